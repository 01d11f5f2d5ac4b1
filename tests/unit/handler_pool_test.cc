// The handler pool: handlers that wait run side by side (that is its point:
// gRPC's two callback threads could not), and nothing posted is dropped at
// shutdown, and its queue is bounded; a bulk pool's threads yield the CPU,
// and RunAndWait hands a job over and returns its status.
#include "common/server/handler_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/bulk_priority.h"
#include "common/status/errors.h"

namespace gnlc {
namespace {

TEST(HandlerPool, AsManyHandlersWaitAtOnceAsItHasThreads) {
  constexpr int kThreads = 16;
  HandlerPool pool(kThreads);
  // Each handler waits until all of them are waiting: only possible if
  // all 16 run at the same time.
  std::atomic<int> started{0};
  absl::Notification all_started;
  std::atomic<int> saw_all{0};
  absl::BlockingCounter finished(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(pool.Post([&] {
      ++started;
      if (all_started.WaitForNotificationWithTimeout(absl::Seconds(10))) ++saw_all;
      finished.DecrementCount();
    }));
  }
  // Bounded: with fewer threads the count stops short and the test fails
  // (the waiting handlers give up after 10 s) instead of hanging.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (started.load() < kThreads && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(started.load(), kThreads);
  all_started.Notify();
  finished.Wait();
  EXPECT_EQ(saw_all.load(), kThreads);
}

TEST(HandlerPool, RunsEverythingPostedBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    HandlerPool pool(2);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.Post([&ran] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 1000);
}

// Past its bound a pool refuses work rather than queueing it, and takes
// work again once the queue has room.
TEST(HandlerPool, RefusesWorkPastItsQueueBound) {
  absl::Notification release;
  absl::Notification running;
  std::atomic<int> ran{0};
  {
    HandlerPool pool(1, 3);
    // The one thread is busy with this...
    ASSERT_TRUE(pool.Post([&] {
      running.Notify();
      release.WaitForNotification();
      ++ran;
    }));
    running.WaitForNotification();
    // ...so three wait, and a fourth is refused.
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.Post([&ran] { ++ran; })) << i;
    EXPECT_FALSE(pool.Post([&ran] { ran += 100; }));
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 4);
}

TEST(HandlerPool, BulkThreadsYieldTheCpuAndOthersDoNot) {
  // Relative to the test's own priority, whatever `nice` it was run under.
  const int mine = ThisThreadNice();
  if (mine >= kMaxNice) GTEST_SKIP() << "the test runs at the lowest priority already";
  HandlerPool bulk(2, 4, HandlerPool::kBulk);
  HandlerPool resident(2);
  int bulk_nice = -100, resident_nice = -100;
  ASSERT_TRUE(RunAndWait(bulk, [&] {
                bulk_nice = ThisThreadNice();
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(RunAndWait(resident, [&] {
                resident_nice = ThisThreadNice();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(bulk_nice, std::min(kMaxNice, mine + kBulkNiceStep));
  EXPECT_EQ(resident_nice, mine);
  // Per thread, and once: marking a thread again changes nothing, and the
  // thread that created it stays as it was.
  int twice = -100;
  std::thread([&] {
    MarkThisThreadBulk();
    MarkThisThreadBulk();
    twice = ThisThreadNice();
  }).join();
  EXPECT_EQ(twice, std::min(kMaxNice, mine + kBulkNiceStep));
  EXPECT_EQ(ThisThreadNice(), mine);
}

TEST(HandlerPool, RunAndWaitReturnsTheJobsStatusOrRefusesWhenFull) {
  HandlerPool pool(1, 1, HandlerPool::kBulk);
  EXPECT_EQ(RunAndWait(pool, [] { return absl::NotFoundError("x"); }).code(),
            absl::StatusCode::kNotFound);
  absl::Notification running, release;
  std::thread busy([&] {
    EXPECT_TRUE(RunAndWait(pool, [&] {
                  running.Notify();
                  release.WaitForNotification();
                  return absl::OkStatus();
                }).ok());
  });
  running.WaitForNotification();
  ASSERT_TRUE(pool.Post([] {}));  // the queue's one place
  bool ran = false;
  const absl::Status refused = RunAndWait(pool, [&] {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_TRUE(RetryDelayOf(refused).has_value()) << refused;
  EXPECT_FALSE(ran);
  release.Notify();
  busy.join();
}

}  // namespace
}  // namespace gnlc
