// A real redis-server for tests: own temp dir, free loopback port, AOF on,
// and the gnlc ACL users of a test city in force (the default user off),
// so every service under test connects as its own user.
// Kill() and Restart() simulate crashes; Restart() reuses the port and the
// AOF, so acknowledged writes must come back.
//
//   auto redis = RedisServerProcess::Start();
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   std::string address = (*redis)->address();   // "127.0.0.1:PORT"
#ifndef GNLC_TESTS_SUPPORT_REDIS_SERVER_H_
#define GNLC_TESTS_SUPPORT_REDIS_SERVER_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"

namespace gnlc::testing {

// A port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

// The test Redis at `address` as the "admin" user of `city`'s test PKI.
RedisOptions TestRedisAdminOptions(const std::string& address, const std::string& city = "nanjing");

// Runs `args` (redis-server and its flags) and returns once it answers PING
// as `options`; `pid` is the process, or -1 if it exited or never answered
// within 10 s (then killed). `what` names it in errors.
absl::Status SpawnRedisAndWait(std::vector<std::string> args, RedisOptions options, pid_t& pid,
                               absl::string_view what);

// The last `lines` lines of a log file, for a test's failure message.
std::string LogTail(const std::string& path, size_t lines = 8);

class RedisServerProcess final {
 public:
  // The users and passwords are those of `city` in the test PKI.
  static absl::StatusOr<std::unique_ptr<RedisServerProcess>> Start(
      std::string appendfsync = "everysec", std::string city = "nanjing");
  ~RedisServerProcess();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // Connection options as the "admin" user, for a test's own checks.
  RedisOptions AdminOptions() const { return TestRedisAdminOptions(address(), city_); }
  const std::string& dir() const { return dir_; }

  // Sends `signal` and reaps the process (SIGKILL: a crash, no shutdown save;
  // a signal the server ignores is repeated, then SIGKILL after 10 s).
  void Kill(int signal);
  // Sends `signal` and leaves the process be (SIGSTOP, SIGCONT: a pause).
  void Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }
  // Starts again on the same port and directory; returns once PING works.
  absl::Status Restart();
  // Replicates `primary` (as the admin user) from now on; returns once the
  // link is up and the first sync done.
  absl::Status MakeReplicaOf(const RedisServerProcess& primary);
  // After a crash (Kill), starts again as `primary`'s replica from the
  // first moment, as an operator brings a failed primary back once Sentinel
  // has promoted another; returns once the first sync is done.
  absl::Status RestartAsReplicaOf(const RedisServerProcess& primary);

 private:
  RedisServerProcess(std::string dir, std::string appendfsync, std::string city)
      : dir_(std::move(dir)), appendfsync_(std::move(appendfsync)), city_(std::move(city)) {}
  absl::Status Spawn(std::vector<std::string> more_args = {});
  // Kill(SIGKILL), then Spawn until the port is free again.
  absl::Status Respawn(const std::vector<std::string>& more_args);
  // Polls INFO replication until the link to `primary` is up on both ends.
  absl::Status WaitForReplicationLink(const RedisServerProcess& primary);

  std::string dir_;
  std::string appendfsync_;
  std::string city_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_REDIS_SERVER_H_
