#include "common/redis/redis_pool.h"

#include "absl/strings/string_view.h"

namespace gnlc {

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)) {
  if (options_.pool_size < 1) options_.pool_size = 1;
  for (int i = 0; i < options_.pool_size; ++i) {
    connections_.push_back(std::make_unique<PipelinedConnection>(options_));
  }
}

absl::StatusOr<RedisReply> RedisPool::Command(const std::vector<absl::string_view>& args) {
  // Starting from a rotating index spreads ties; the least busy wins, and
  // one backing off after a failure (a failover, a restart) loses to any
  // that is not, so callers meet its failure only when every one failed.
  const size_t n = connections_.size();
  size_t best = next_.fetch_add(1, std::memory_order_relaxed) % n;
  bool best_waits = connections_[best]->backing_off();
  for (size_t i = 1; i < n; ++i) {
    const size_t c = (best + i) % n;
    const bool waits = connections_[c]->backing_off();
    if ((best_waits && !waits) ||
        (best_waits == waits && connections_[c]->pending() < connections_[best]->pending())) {
      best = c;
      best_waits = waits;
    }
  }
  if (!LiveScope::Active()) return connections_[best]->Command(args);
  const absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> reply = connections_[best]->Command(args);
  const absl::Time end = absl::Now();
  live_.Record(end - start, end);
  return reply;
}

absl::Status ScanHash(RedisPool& pool, absl::string_view key,
                      const std::function<void(absl::string_view, absl::string_view)>& visit) {
  std::string cursor = "0";
  do {
    auto reply = pool.Command({"HSCAN", key, cursor, "COUNT", "2000"});
    if (!reply.ok()) return reply.status();
    const ReplyView r = reply->view();
    cursor = std::string(r[0].str());
    const ReplyView items = r[1];
    for (size_t i = 1; i < items.size(); i += 2) visit(items[i - 1].str(), items[i].str());
  } while (cursor != "0");
  return absl::OkStatus();
}

}  // namespace gnlc
