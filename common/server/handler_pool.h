// Threads that run the handlers which wait for Redis, so gRPC's own
// callback threads never do.
//
// gRPC 1.51 runs callback handlers on its "nexting" threads, of which it
// starts two on a 2-core machine. A handler that blocks on Redis there holds
// one of the two, so at most two requests of a service could wait for Redis
// at once, whatever the clients' concurrency, and calls would queue for a
// thread rather than for Redis. Handed to these threads instead, as many requests wait for Redis as
// there are threads, and the pipelined Redis connections (common/redis) send them together.
//
// Its queue is bounded: when Redis stalls, calls pile up here rather than
// in gRPC, and past `max_queued` a new one is refused at once (the caller
// answers RESOURCE_EXHAUSTED with RetryInfo) instead of holding memory and
// a client's deadline for work that will be late anyway.
//
//   HandlerPool pool(32, 2048);
//   if (!pool.Post([reactor, ...] { ...; reactor->Finish(status); })) {
//     reactor->Finish(busy);
//   }
#ifndef GNLC_COMMON_SERVER_HANDLER_POOL_H_
#define GNLC_COMMON_SERVER_HANDLER_POOL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace gnlc {

class HandlerPool final {
 public:
  // Default bound: queued calls, beyond those the threads are running.
  static constexpr size_t kDefaultMaxQueued = 2048;
  // Threads for bulk jobs: they run at a lower CPU priority
  // (common/server/bulk_priority.h) and are named "gnlc-bulk".
  enum Priority { kResident, kBulk };
  explicit HandlerPool(int threads, size_t max_queued = kDefaultMaxQueued,
                       Priority priority = kResident);
  // Runs everything already posted, then joins the threads.
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs `work` on one of the threads, in the order posted; false (and
  // `work` not run) when max_queued calls are already waiting.
  [[nodiscard]] bool Post(std::function<void()> work);

  // Jobs its threads have taken up so far (counted before each runs, so a
  // job that has answered its caller is always counted).
  uint64_t started() const { return started_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queued_;
  std::atomic<uint64_t> started_{0};
  std::vector<std::thread> threads_;
};

// Runs `work` on one of `pool`'s threads and returns its status once done:
// a handler hands its bulk job to bulk threads and waits for it. When
// `pool` has `max_queued` jobs waiting already, RESOURCE_EXHAUSTED with
// RetryInfo, and `work` is not run.
absl::Status RunAndWait(HandlerPool& pool, absl::FunctionRef<absl::Status()> work);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HANDLER_POOL_H_
