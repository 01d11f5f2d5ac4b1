// Threads that run the handlers which wait for Redis, so gRPC's own
// callback threads never do.
//
// gRPC 1.51 runs callback handlers on its "nexting" threads, of which it
// starts two on a 2-core machine. A handler that blocks on Redis there holds
// one of the two, so at most two requests of a service were ever waiting
// for Redis, whatever the clients' concurrency: a CreateEnrollment spent
// most of its ~0.5 ms waiting for a thread, not for Redis (BENCHMARKS.md).
// Handed to these threads instead, as many requests wait for Redis as there
// are threads, and the pipelined Redis connections (common/redis) send them
// together.
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

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace gnlc {

class HandlerPool final {
 public:
  // Default bound: queued calls, beyond those the threads are running.
  static constexpr size_t kDefaultMaxQueued = 2048;
  explicit HandlerPool(int threads, size_t max_queued = kDefaultMaxQueued);
  // Runs everything already posted, then joins the threads.
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs `work` on one of the threads, in the order posted; false (and
  // `work` not run) when max_queued calls are already waiting.
  [[nodiscard]] bool Post(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queued_;
  std::vector<std::thread> threads_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HANDLER_POOL_H_
