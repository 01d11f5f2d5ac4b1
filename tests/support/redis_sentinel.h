// A real Redis Sentinel for tests, watching a primary on loopback as the
// test PKI's "admin" user, with short timers so that a failover takes
// seconds. With RedisServerProcess::MakeReplicaOf, tests run a primary, its
// replica and Sentinels the way a highly available city does.
//
//   auto primary = RedisServerProcess::Start();
//   auto replica = RedisServerProcess::Start();
//   ASSERT_TRUE((*replica)->MakeReplicaOf(**primary).ok());
//   auto sentinel = SentinelProcess::Start("gnlc", (*primary)->port());
//   RedisOptions o;
//   ParseRedisAddress("sentinel:gnlc@" + (*sentinel)->address(), o);
#ifndef GNLC_TESTS_SUPPORT_REDIS_SENTINEL_H_
#define GNLC_TESTS_SUPPORT_REDIS_SENTINEL_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace gnlc::testing {

class SentinelProcess final {
 public:
  // Watches `primary_name` at 127.0.0.1:`primary_port` (quorum 1, down after
  // 1.5 s without an answer); returns once it answers PING.
  static absl::StatusOr<std::unique_ptr<SentinelProcess>> Start(
      const std::string& primary_name, int primary_port, const std::string& city = "nanjing");
  ~SentinelProcess();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log_path() const { return dir_ + "/sentinel.log"; }

 private:
  explicit SentinelProcess(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Spawn(const std::string& config);

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_REDIS_SENTINEL_H_
