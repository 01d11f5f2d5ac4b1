#include "common/server/refusal_tarpit.h"

#include "absl/time/clock.h"

namespace gnlc {

RefusalTarpit::RefusalTarpit(size_t max_held) : max_held_(max_held) {
  thread_ = std::thread([this] { Run(); });
}

RefusalTarpit::~RefusalTarpit() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
  }
  thread_.join();
}

bool RefusalTarpit::Hold(absl::Time until, std::function<void()> answer) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_held_) return false;
  const bool earliest = queue_.empty() || until < queue_.top().until;
  queue_.push({until, std::move(answer)});
  if (earliest) changed_.Signal();
  return true;
}

size_t RefusalTarpit::held() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void RefusalTarpit::Run() {
  for (;;) {
    std::vector<std::function<void()>> due;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && (queue_.empty() || queue_.top().until > absl::Now())) {
        if (queue_.empty()) {
          changed_.Wait(&mu_);
        } else {
          changed_.WaitWithDeadline(&mu_, queue_.top().until);
        }
      }
      const absl::Time now = absl::Now();
      while (!queue_.empty() && (stopping_ || queue_.top().until <= now)) {
        due.push_back(std::move(const_cast<Entry&>(queue_.top()).answer));
        queue_.pop();
      }
      if (stopping_ && due.empty()) return;
    }
    // Outside the lock: an answer may take a moment (gRPC's Finish).
    for (auto& answer : due) answer();
  }
}

}  // namespace gnlc
