// A few pipelined Redis connections (options.pool_size, default 2) shared by
// all of a server's threads.
//
//   RedisPool pool(options);                        // connects lazily
//   ASSIGN_OR_RETURN(RedisReply r, pool.Command({"GET", key}));
//
// A command goes to the connection with the fewest commands waiting, where
// it is pipelined with other callers' (common/redis/pipelined_connection.h):
// the caller blocks for its own reply only. The round trip of every
// command sent for a caller (LiveScope, live_latency.h) is recorded in
// live(): what the server's callers see of Redis, which bulk work paces
// itself by.
#ifndef GNLC_COMMON_REDIS_REDIS_POOL_H_
#define GNLC_COMMON_REDIS_REDIS_POOL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/redis/live_latency.h"
#include "common/redis/pipelined_connection.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

class RedisPool final {
 public:
  explicit RedisPool(RedisOptions options);

  [[nodiscard]] absl::StatusOr<RedisReply> Command(const std::vector<absl::string_view>& args);

  const RedisOptions& options() const { return options_; }

  // Round trips of the live commands sent through this pool.
  const LiveLatency& live() const { return live_; }

 private:
  RedisOptions options_;
  LiveLatency live_;
  std::vector<std::unique_ptr<PipelinedConnection>> connections_;
  std::atomic<uint32_t> next_{0};  // where a tie between connections goes
};

// Visits every (field, value) of a hash with HSCAN, a few thousand at a
// time, so a large hash never blocks Redis.
absl::Status ScanHash(RedisPool& pool, absl::string_view key,
                      const std::function<void(absl::string_view, absl::string_view)>& visit);

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_POOL_H_
