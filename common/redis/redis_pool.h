// A fixed pool of Redis connections shared by a server's threads.
//
//   RedisPool pool(options);                        // connects lazily
//   ASSIGN_OR_RETURN(RedisReply r, pool.Command({"GET", key}));
//
// A caller borrows a connection for one command and returns it at once, so
// a pool of 8 serves thousands of concurrent RPCs without opening a
// connection per thread (which a sync server once did, with 10k sockets).
#ifndef GNLC_COMMON_REDIS_REDIS_POOL_H_
#define GNLC_COMMON_REDIS_REDIS_POOL_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

class RedisPool final {
 public:
  explicit RedisPool(RedisOptions options);

  [[nodiscard]] absl::StatusOr<RedisReply> Command(const std::vector<absl::string_view>& args);

  const RedisOptions& options() const { return options_; }

 private:
  std::unique_ptr<RedisConnection> Acquire();
  void Release(std::unique_ptr<RedisConnection> conn);

  RedisOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
};

// Visits every (field, value) of a hash with HSCAN, a few thousand at a
// time, so a large hash never blocks Redis.
absl::Status ScanHash(RedisPool& pool, absl::string_view key,
                      const std::function<void(absl::string_view, absl::string_view)>& visit);

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_POOL_H_
