// One Redis connection shared by many threads, which pipelines their
// commands: callers queue formatted commands from any thread, and one I/O
// thread writes everything queued in one system call and hands each reply
// to its caller in order. Redis then reads many commands per read and
// answers them in one write, and its AOF is flushed once per batch, instead
// of once per command as with one blocking connection per caller.
//
//   PipelinedConnection conn(options);
//   absl::StatusOr<RedisReply> r = conn.Command({"GET", key});  // blocks
//
// With options.replicas_to_ack, a WAIT follows every batch written, and the
// batch's callers get their replies only when it says enough replicas have
// everything up to there; otherwise the calls that succeeded fail with
// UNAVAILABLE STORAGE_NOT_REPLICATED (applied on the primary, perhaps not
// kept by a failover: retry with the same request id).
//
// Failure is all-or-nothing per connection, as with a blocking connection:
// a timeout (the oldest command waiting past options.command_timeout), a
// broken socket or a protocol error fails every command in flight with
// UNAVAILABLE and drops the socket; the next command reconnects after the
// backoff. Replies are matched to callers by position only, so after any
// error no reply is ever read from that socket again: no caller can get
// another's reply. An idle connection that Redis closed (a restart)
// reconnects before its next command, without an error.
//
// Not for blocking commands (XREAD BLOCK): they would hold up everyone
// behind them. Those own a RedisConnection.
#ifndef GNLC_COMMON_REDIS_PIPELINED_CONNECTION_H_
#define GNLC_COMMON_REDIS_PIPELINED_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_reply.h"

namespace gnlc {

class PipelinedConnection final {
 public:
  explicit PipelinedConnection(RedisOptions options);
  ~PipelinedConnection();  // fails what is still queued, joins the I/O thread
  PipelinedConnection(const PipelinedConnection&) = delete;
  PipelinedConnection& operator=(const PipelinedConnection&) = delete;

  // Same contract as RedisConnection::Command (without a per-call timeout).
  [[nodiscard]] absl::StatusOr<RedisReply> Command(const std::vector<absl::string_view>& args);

  // Commands queued or written whose replies have not arrived (for picking
  // the least busy connection of a pool).
  int64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  // Whether it is backing off after a failure (its calls fail at once), so
  // that a pool sends them to another connection meanwhile.
  bool backing_off() const {
    return absl::ToUnixNanos(absl::Now()) < backoff_until_ns_.load(std::memory_order_relaxed);
  }

 private:
  // A caller's command and where its reply goes; lives on the caller's stack
  // until `done` is notified.
  struct Call {
    std::string bytes;  // the command in Redis' protocol
    absl::Time deadline;
    absl::StatusOr<RedisReply> result = absl::UnknownError("not run");
    absl::Notification done;
    // Our own WAIT after a batch (options.replicas_to_ack): nobody waits
    // for it, and the batch's callers wait for its answer.
    bool replication_check = false;
    // Whether it may change data (IsReadOnlyCommand): only writes wait for
    // the replicas, and a batch of reads is sent without a WAIT.
    bool writes = true;
  };

  void Run();  // the I/O thread
  // Connects and authenticates (blocking, bounded by connect_timeout).
  absl::Status Connect();
  // Moves queued calls behind those in flight; false when stopping.
  bool TakeQueued(std::deque<Call*>& into);
  // Completes every call given with `status`.
  void FailAll(std::deque<Call*>& calls, const absl::Status& status);
  void Disconnect();
  void Complete(Call* call, absl::StatusOr<RedisReply> result);
  void Wake();

  const RedisOptions options_;
  int wake_fd_ = -1;  // an eventfd: a call was queued, or stop
  std::atomic<int64_t> pending_{0};

  absl::Mutex mu_;
  std::vector<Call*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set while the connection backs off after a failure: calls fail at once.
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::atomic<int64_t> backoff_until_ns_{0};  // next_attempt_, for backing_off()
  void BackOff() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Owned by the I/O thread.
  redisContext* ctx_ = nullptr;
  absl::Duration backoff_;

  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_PIPELINED_CONNECTION_H_
