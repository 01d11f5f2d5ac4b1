#include "common/redis/redis_pool.h"

#include "absl/strings/string_view.h"

namespace gnlc {

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)) {
  if (options_.pool_size < 1) options_.pool_size = 1;
  for (int i = 0; i < options_.pool_size; ++i) {
    idle_.push_back(std::make_unique<RedisConnection>(options_));
  }
}

std::unique_ptr<RedisConnection> RedisPool::Acquire() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<RedisConnection>>* idle) { return !idle->empty(); }, &idle_));
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  return conn;
}

void RedisPool::Release(std::unique_ptr<RedisConnection> conn) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(conn));
}

absl::StatusOr<RedisReply> RedisPool::Command(const std::vector<absl::string_view>& args) {
  auto conn = Acquire();
  auto reply = conn->Command(args);
  Release(std::move(conn));
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
