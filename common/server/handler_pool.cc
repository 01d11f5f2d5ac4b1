#include "common/server/handler_pool.h"

#include <pthread.h>

#include <utility>

#include "absl/synchronization/notification.h"
#include "common/server/bulk_priority.h"
#include "common/status/errors.h"

namespace gnlc {

HandlerPool::HandlerPool(int threads, size_t max_queued, Priority priority)
    : max_queued_(max_queued) {
  if (threads < 1) threads = 1;
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, priority] {
      if (priority == kBulk) MarkThisThreadBulk();
      Loop();
    });
    pthread_setname_np(threads_.back().native_handle(),
                       priority == kBulk ? "gnlc-bulk" : "gnlc-handler");
  }
}

HandlerPool::~HandlerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

bool HandlerPool::Post(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(work));
  return true;
}

void HandlerPool::Loop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](HandlerPool* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    started_.fetch_add(1, std::memory_order_relaxed);
    work();
  }
}

absl::Status RunAndWait(HandlerPool& pool, absl::FunctionRef<absl::Status()> work) {
  absl::Status status;
  absl::Notification done;
  if (!pool.Post([&] {
        status = work();
        done.Notify();
      })) {
    return WithRetryDelay(MakeError(absl::StatusCode::kResourceExhausted, "BULK_BUSY",
                                    "other bulk jobs of this server are waiting: retry later"),
                          absl::Seconds(5));
  }
  done.WaitForNotification();
  return status;
}

}  // namespace gnlc
