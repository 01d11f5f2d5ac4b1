// One hiredis connection that reconnects by itself, with connect and command
// timeouts. Not thread-safe (neither is hiredis): use one per thread, or a
// RedisPool. A blocking reader (XREAD BLOCK) owns one of these outright.
//
//   RedisConnection conn(options);
//   ASSIGN_OR_RETURN(RedisReply r, conn.Command({"PING"}));
#ifndef GNLC_COMMON_REDIS_REDIS_CONNECTION_H_
#define GNLC_COMMON_REDIS_REDIS_CONNECTION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/redis/redis_reply.h"

namespace gnlc {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // The ACL user (common/redis/redis_acl.h); empty: the default user.
  std::string user;
  std::string password;  // empty: no AUTH
  // Connections of a RedisPool; each pipelines the commands of many callers.
  int pool_size = 2;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(1);
  // Reconnect attempts back off from this up to max_backoff.
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  // Called once per failed connect or command (for metrics).
  std::function<void()> on_error;
  // A primary watched by Redis Sentinel: when `sentinels` (host:port) is
  // set, every connect asks them, in order, where the primary named
  // `primary_name` is (host and port above are then unused) and checks
  // with ROLE that it is one, so after a failover reconnecting finds the
  // new primary.
  std::vector<std::string> sentinels;
  std::string primary_name;
  // Acknowledged means replicated: a pool's connection answers its callers
  // only once this many replicas have everything it wrote (WAIT after each
  // batch), or fails them with UNAVAILABLE STORAGE_NOT_REPLICATED when they
  // have not within replica_ack_timeout. 0: as soon as the primary has it.
  int replicas_to_ack = 0;
  absl::Duration replica_ack_timeout = absl::Seconds(1);
};

// Parses "host:port", or "sentinel:NAME@HOST:PORT,HOST:PORT,..." (the
// Sentinels watching the primary NAME), into options.
absl::Status ParseRedisAddress(absl::string_view address, RedisOptions& options);

// Asks options.sentinels, in order, where options.primary_name is. The first
// Sentinel that knows answers; UNAVAILABLE when none does.
absl::StatusOr<std::pair<std::string, int>> AskSentinelsForPrimary(const RedisOptions& options);

// Whether an error reply means that this server takes no writes from us
// now, though another will: a primary demoted to a replica (READONLY), a
// replica cut off from its primary (MASTERDOWN), a server loading its data
// (LOADING), a primary without the replicas it must write to
// (NOREPLICAS), a blocked read ended by a change of role (UNBLOCKED). The
// connection is dropped and the primary found again.
bool IsFailoverError(absl::string_view error_text);

// Whether the command only reads (GET, HGETALL, XRANGE, EVALSHA_RO, ...; any
// case). Everything else counts as a write, unknown commands and EVALSHA
// included: only writes wait for replicas to acknowledge them.
bool IsReadOnlyCommand(absl::string_view name);

// Connects and authenticates as options.user (blocking, each step bounded by
// the connect timeout), leaving the command timeout set. UNAVAILABLE when
// Redis cannot be reached or refuses the credentials.
absl::StatusOr<redisContext*> OpenRedisContext(const RedisOptions& options);

// `args` as Redis' protocol (RESP) bytes; empty for no arguments.
std::string FormatRedisCommand(const std::vector<absl::string_view>& args);

// A reply, or the status an error reply stands for: UNAVAILABLE with
// RetryInfo for a failover error (above), UNAVAILABLE STORAGE_FULL at
// maxmemory, INTERNAL with Redis' text otherwise (e.g. "NOSCRIPT ...",
// which RedisScript looks for).
absl::StatusOr<RedisReply> ReplyOrError(redisReply* reply);

// Redis's memory: used_memory and maxmemory (0: no limit) of an
// `INFO memory` reply; 0 for what it does not say.
struct RedisMemory {
  int64_t used = 0;
  int64_t limit = 0;
};
RedisMemory ParseRedisMemory(absl::string_view info);

class RedisConnection final {
 public:
  explicit RedisConnection(RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command. UNAVAILABLE when Redis cannot be reached (the next
  // call reconnects, after a backoff); INTERNAL carrying Redis' text for an
  // error reply (e.g. "NOSCRIPT ..."). `timeout` overrides the command
  // timeout for this call (for blocking reads).
  [[nodiscard]] absl::StatusOr<RedisReply> Command(const std::vector<absl::string_view>& args,
                                                   absl::Duration timeout = absl::ZeroDuration());

  // Drops the connection; the next command reconnects at once.
  void Reset();

 private:
  absl::Status EnsureConnected();
  void Fail();

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
  absl::Duration backoff_;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Duration current_timeout_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_CONNECTION_H_
