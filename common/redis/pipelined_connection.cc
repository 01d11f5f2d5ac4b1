#include "common/redis/pipelined_connection.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/status/errors.h"

namespace gnlc {
namespace {

absl::Status StorageUnavailable() {
  return Unavailable("STORAGE_UNAVAILABLE", "storage is unavailable, retry later");
}

// Milliseconds poll() may wait for the oldest call's deadline (rounded up,
// so a wake-up is never before it); -1 when nothing is in flight.
int PollTimeoutMs(absl::Time now, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  if (deadline <= now) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(deadline - now + absl::Milliseconds(1)));
}

}  // namespace

PipelinedConnection::PipelinedConnection(RedisOptions options)
    : options_(std::move(options)), backoff_(options_.min_backoff) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

PipelinedConnection::~PipelinedConnection() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

absl::StatusOr<RedisReply> PipelinedConnection::Command(
    const std::vector<absl::string_view>& args) {
  Call call;
  call.bytes = FormatRedisCommand(args);
  if (call.bytes.empty()) return absl::InvalidArgumentError("redis: empty command");
  call.writes = !IsReadOnlyCommand(args[0]);
  bool first;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return Unavailable("STORAGE_UNAVAILABLE", "storage client is shutting down");
    if (absl::Now() < next_attempt_) return StorageUnavailable();  // backing off
    call.deadline = absl::Now() + options_.command_timeout;
    first = queue_.empty();
    queue_.push_back(&call);
    pending_.fetch_add(1, std::memory_order_relaxed);
  }
  // One wake-up per batch: whoever queues after us rides on ours, because
  // the I/O thread takes the whole queue after reading the wake-up.
  if (first) Wake();
  call.done.WaitForNotification();
  return std::move(call.result);
}

void PipelinedConnection::Wake() {
  const uint64_t one = 1;
  // A full counter (never, in practice) still leaves the fd readable.
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void PipelinedConnection::Complete(Call* call, absl::StatusOr<RedisReply> result) {
  call->result = std::move(result);
  pending_.fetch_sub(1, std::memory_order_relaxed);
  call->done.Notify();  // the caller may destroy *call from here on
}

bool PipelinedConnection::TakeQueued(std::deque<Call*>& into) {
  absl::MutexLock lock(&mu_);
  for (Call* c : queue_) into.push_back(c);
  queue_.clear();
  return !stopping_;
}

absl::Status PipelinedConnection::Connect() {
  {
    absl::MutexLock lock(&mu_);
    if (absl::Now() < next_attempt_) return StorageUnavailable();
  }
  absl::StatusOr<redisContext*> ctx = OpenRedisContext(options_);
  if (!ctx.ok()) {
    absl::MutexLock lock(&mu_);
    BackOff();
    if (options_.on_error) options_.on_error();
    return ctx.status();
  }
  ctx_ = *ctx;
  backoff_ = options_.min_backoff;
  return absl::OkStatus();
}

void PipelinedConnection::BackOff() {
  next_attempt_ = absl::Now() + backoff_;
  backoff_until_ns_.store(absl::ToUnixNanos(next_attempt_), std::memory_order_relaxed);
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
}

void PipelinedConnection::Disconnect() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

void PipelinedConnection::FailAll(std::deque<Call*>& calls, const absl::Status& status) {
  for (Call* c : calls) {
    if (!c->replication_check) Complete(c, status);
  }
  calls.clear();
}

namespace {
// Whether the other end closed `fd` (its close is waiting to be read).
bool PeerClosed(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
}  // namespace

void PipelinedConnection::Run() {
  std::deque<Call*> in_flight;  // written or to be written, in order
  std::string out;              // bytes not yet written
  // With replicas_to_ack: our WAITs in flight, and the callers answered by
  // Redis whose batch's WAIT has not answered yet.
  std::deque<std::unique_ptr<Call>> checks;
  std::deque<Call*> held;
  const bool replicated = options_.replicas_to_ack > 0;
  const std::string wait_bytes =
      FormatRedisCommand({"WAIT", std::to_string(options_.replicas_to_ack),
                          std::to_string(std::max<int64_t>(
                              1, absl::ToInt64Milliseconds(options_.replica_ack_timeout)))});
  // Writes the calls from in_flight[from] on, and their WAIT if any of
  // them may change data.
  auto write_batch = [&](size_t from) {
    if (from >= in_flight.size()) return;
    bool writes = false;
    for (size_t i = from; i < in_flight.size(); ++i) {
      out += in_flight[i]->bytes;
      writes = writes || in_flight[i]->writes;
    }
    if (!replicated || !writes) return;
    auto check = std::make_unique<Call>();
    check->replication_check = true;
    check->deadline = absl::Now() + options_.command_timeout + options_.replica_ack_timeout;
    out += wait_bytes;
    in_flight.push_back(check.get());
    checks.push_back(std::move(check));
  };
  // The WAIT after a batch answered `replicas`: its callers learn theirs.
  auto release = [&](int64_t replicas) {
    for (Call* c : held) {
      if (replicas < options_.replicas_to_ack && c->result.ok()) {
        Complete(c, WithRetryDelay(
                        Unavailable("STORAGE_NOT_REPLICATED",
                                    "storage took the change but no replica confirmed it in time: "
                                    "retry with the same request id"),
                        absl::Seconds(1)));
      } else {
        Complete(c, std::move(c->result));
      }
    }
    held.clear();
  };
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(nullptr, &redisReaderFree);
  char buf[64 * 1024];

  // A failure with calls in flight: nobody can tell which of them Redis ran,
  // so all fail, the socket goes, and reconnecting waits for the backoff.
  auto fail = [&] {
    Disconnect();
    reader.reset();
    out.clear();
    {
      absl::MutexLock lock(&mu_);
      BackOff();
    }
    if (options_.on_error) options_.on_error();
    FailAll(in_flight, StorageUnavailable());
    FailAll(held, StorageUnavailable());
    checks.clear();
  };

  while (true) {
    if (ctx_ == nullptr) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](PipelinedConnection* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
              return self->stopping_ || !self->queue_.empty();
            },
            this));
      }
      if (!TakeQueued(in_flight)) break;
      if (absl::Status s = Connect(); !s.ok()) {
        FailAll(in_flight, s);
        continue;
      }
      reader.reset(redisReaderCreate());
      write_batch(0);
    }

    const size_t before = in_flight.size();
    const bool was_idle = before == 0 && out.empty();
    if (!TakeQueued(in_flight)) break;
    // Redis may have closed the idle connection (a restart, CLIENT KILL)
    // before this thread saw it: its close is already waiting on the
    // socket, and writing first would fail the new calls for nothing. Look
    // before writing onto a socket that has been idle; nothing was sent.
    if (was_idle && !in_flight.empty() && PeerClosed(ctx_->fd)) {
      Disconnect();
      reader.reset();
      if (absl::Status s = Connect(); !s.ok()) {
        FailAll(in_flight, s);
        continue;
      }
      reader.reset(redisReaderCreate());
    }
    write_batch(before);

    // Write first: the socket is nearly always writable, and a poll() per
    // batch is a system call saved.
    if (!out.empty()) {
      const ssize_t n = ::send(ctx_->fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fail();
        continue;
      }
    }

    pollfd fds[2] = {
        {.fd = ctx_->fd,
         .events = static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)),
         .revents = 0},
        {.fd = wake_fd_, .events = POLLIN, .revents = 0},
    };
    const absl::Time oldest =
        in_flight.empty() ? absl::InfiniteFuture() : in_flight.front()->deadline;
    const int ready = ::poll(fds, 2, PollTimeoutMs(absl::Now(), oldest));
    if (ready < 0 && errno != EINTR) {
      fail();
      continue;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(ctx_->fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0 && in_flight.empty()) {
        // Redis closed an idle connection (a restart): reconnect quietly,
        // before the next command rather than failing it.
        Disconnect();
        reader.reset();
        continue;
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        fail();
        continue;
      }
      if (n > 0 && redisReaderFeed(reader.get(), buf, static_cast<size_t>(n)) != REDIS_OK) {
        fail();
        continue;
      }
      bool broken = false;
      while (true) {
        void* parsed = nullptr;
        if (redisReaderGetReply(reader.get(), &parsed) != REDIS_OK) {
          broken = true;
          break;
        }
        if (parsed == nullptr) break;
        if (in_flight.empty()) {  // a reply nobody asked for: out of step
          freeReplyObject(parsed);
          broken = true;
          break;
        }
        Call* call = in_flight.front();
        in_flight.pop_front();
        auto* reply = static_cast<redisReply*>(parsed);
        if (call->replication_check) {
          release(reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0);
          freeReplyObject(reply);
          checks.pop_front();
          continue;
        }
        // This server takes no writes now (demoted, loading, cut off):
        // what else is in flight fails too, and the primary is found again.
        const bool failover = reply->type == REDIS_REPLY_ERROR &&
                              IsFailoverError(absl::string_view(reply->str, reply->len));
        // A read is answered at once: what it saw may yet be lost with
        // the primary, but nothing is acknowledged by it.
        if (replicated && !failover && call->writes) {
          call->result = ReplyOrError(reply);
          held.push_back(call);
        } else {
          Complete(call, ReplyOrError(reply));
        }
        if (failover) {
          broken = true;
          break;
        }
      }
      if (broken) {
        fail();
        continue;
      }
    }
    if (!in_flight.empty() && absl::Now() >= in_flight.front()->deadline) fail();  // timed out
  }

  // Stopping: nothing more is written; whatever was queued or in flight fails.
  Disconnect();
  TakeQueued(in_flight);
  const absl::Status stopping =
      Unavailable("STORAGE_UNAVAILABLE", "storage client is shutting down");
  FailAll(in_flight, stopping);
  FailAll(held, stopping);
}

}  // namespace gnlc
