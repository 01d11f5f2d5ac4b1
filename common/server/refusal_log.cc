#include "common/server/refusal_log.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"

namespace gnlc {
namespace {

std::string KeyOf(const RefusalLog::Kind& kind) {
  return absl::StrCat(kind.audit ? "a" : "l", "|", kind.source, "|", kind.reason, "|", kind.role,
                      "|", kind.subject);
}

}  // namespace

RefusalLog::RefusalLog(absl::Duration interval, size_t max_keys)
    : max_keys_(max_keys), flusher_([this, interval] { Loop(interval); }) {
  pthread_setname_np(flusher_.native_handle(), "gnlc-refusals");
}

RefusalLog::~RefusalLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  flusher_.join();
  Flush();
}

bool RefusalLog::First(const Kind& kind) {
  std::string key = KeyOf(kind);
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    if (counts_.size() < max_keys_) {
      counts_.emplace(std::move(key), Count{kind, 0});
      return true;
    }
    // Very many sources at once: counted together, never written one by one.
    Kind many{"(many)", "(many)", "", "", kind.audit};
    it = counts_.try_emplace(KeyOf(many), Count{many, 0}).first;
  }
  ++it->second.more;
  return false;
}

void RefusalLog::Flush() {
  absl::flat_hash_map<std::string, Count> counts;
  {
    absl::MutexLock lock(&mu_);
    counts.swap(counts_);
  }
  // Written outside the lock; a kind seen again starts a new interval with
  // a line in full.
  for (const auto& [key, count] : counts) {
    if (count.more == 0) continue;
    const Kind& k = count.kind;
    const LogField fields[] = {{"refused_more", absl::StrCat(count.more)},
                               {"source", k.source},
                               {"reason", k.reason},
                               {"role", k.role},
                               {"subject", k.subject}};
    if (k.audit) {
      LogAudit(fields);
    } else {
      LogJson(LogLevel::kWarn, "refused", fields);
    }
  }
}

void RefusalLog::Loop(absl::Duration interval) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) return;
    }
    Flush();
  }
}

}  // namespace gnlc
