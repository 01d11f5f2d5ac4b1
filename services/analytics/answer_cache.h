// Recent answers of a replica, so that dashboards and apps polling the same
// scorecard cost no Redis round trip. An answer is used while it is younger
// than `max_age` and nothing was applied by this process since (Invalidate);
// other replicas' changes show within `max_age`.
#ifndef GNLC_SERVICES_ANALYTICS_ANSWER_CACHE_H_
#define GNLC_SERVICES_ANALYTICS_ANSWER_CACHE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace gnlc::analytics {

class AnswerCache final {
 public:
  explicit AnswerCache(absl::Duration max_age) : max_age_(max_age) {}

  std::shared_ptr<const google::protobuf::Message> Get(const std::string& key, absl::Time now) {
    absl::ReaderMutexLock lock(&mu_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.at >= max_age_) return nullptr;
    return it->second.answer;
  }
  void Put(const std::string& key, std::shared_ptr<const google::protobuf::Message> answer,
           absl::Time now) {
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // bounded; refills on use
    entries_[key] = {now, std::move(answer)};
  }
  void Invalidate() {
    absl::MutexLock lock(&mu_);
    entries_.clear();
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  struct Entry {
    absl::Time at;
    std::shared_ptr<const google::protobuf::Message> answer;
  };
  const absl::Duration max_age_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_ANSWER_CACHE_H_
