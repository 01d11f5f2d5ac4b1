// BulkPacer's control law with a fake clock, fake chunks and a scripted
// live latency: chunks sized to the budget, pauses while live calls are
// slowed, none when nobody is calling, and the quiet level re-measured.
#include "common/redis/bulk_pacer.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "common/redis/live_latency.h"

namespace gnlc {
namespace {

using absl::Milliseconds;

// A clock that only moves when chunks "run" or the pacer sleeps.
struct World {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::optional<absl::Duration> live;  // what live calls see now
  // How `live` responds: while set, it is `slowed` unless the pacer slept
  // at least `needs_pause` before the chunk that just ran.
  std::optional<absl::Duration> slowed;
  absl::Duration quiet_level = Milliseconds(1);
  absl::Duration needs_pause = absl::ZeroDuration();
  absl::Duration slept_before_chunk = absl::ZeroDuration();
  std::vector<absl::Duration> sleeps;

  BulkPacerOptions Options() {
    BulkPacerOptions o;
    o.now = [this] { return now; };
    o.sleep = [this](absl::Duration d) {
      now += d;
      sleeps.push_back(d);
      slept_before_chunk += d;
    };
    o.live = [this] { return live; };
    return o;
  }
};

TEST(BulkPacerTest, ChunksAreSizedSoThatEachTakesAboutTheBudget) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  std::vector<size_t> sizes;
  // 50 µs a row plus 200 µs a script.
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 5000, absl::InfiniteFuture(),
                                [&](size_t begin, size_t end) {
                                  sizes.push_back(end - begin);
                                  w.now += absl::Microseconds(200 + 50 * (end - begin));
                                  return absl::OkStatus();
                                })
                  .ok());
  ASSERT_GE(sizes.size(), 5u);
  EXPECT_EQ(sizes[0], 16u);  // before anything is known
  size_t covered = 0;
  for (size_t s : sizes) covered += s;
  EXPECT_EQ(covered, 5000u);
  // Then near 5 ms each: (5000 - 200) / 50 = 96 rows at best, never more
  // than the budget allows with the overhead counted as per-row cost.
  for (size_t i = 3; i + 1 < sizes.size(); ++i) {
    EXPECT_GE(sizes[i], 80u) << i;
    EXPECT_LE(sizes[i], 100u) << i;
  }
  EXPECT_TRUE(w.sleeps.empty());  // nobody calling: no pause
}

TEST(BulkPacerTest, ChunksAreShorterWhileLiveCallsWaitBehindThem) {
  World w;
  w.live = Milliseconds(1);  // and never slowed
  BulkPacer pacer(nullptr, w.Options());
  std::vector<size_t> sizes;
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 2000, absl::InfiniteFuture(),
                                [&](size_t begin, size_t end) {
                                  sizes.push_back(end - begin);
                                  w.now += absl::Microseconds(50 * (end - begin));
                                  return absl::OkStatus();
                                })
                  .ok());
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes[2], 20u);  // 1 ms / 50 µs
  EXPECT_EQ(pacer.stats().pauses, 0);
}

TEST(BulkPacerTest, EachJobLearnsItsOwnCost) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  const auto run = [&](const char* job, int micros_per_row) {
    size_t last = 0;
    EXPECT_TRUE(pacer
                    .ForEachChunk(job, 2000, absl::InfiniteFuture(),
                                  [&](size_t begin, size_t end) {
                                    last = end - begin;
                                    w.now += absl::Microseconds(micros_per_row * (end - begin));
                                    return absl::OkStatus();
                                  })
                    .ok());
    return last;
  };
  run("cheap", 10);
  run("dear", 250);
  EXPECT_EQ(run("cheap", 10) % 500, 0u);  // 5 ms / 10 µs: 500 rows a chunk
  EXPECT_EQ(run("dear", 250), 20u);       // 5 ms / 250 µs
}

TEST(BulkPacerTest, PausesGrowWhileLiveCallsAreSlowedAndShrinkWhenTheyRecover) {
  World w;
  w.live = Milliseconds(1);  // quiet level at the start: 1 ms
  BulkPacer pacer(nullptr, w.Options());
  int chunk = 0;
  std::vector<absl::Duration> pauses;
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 40 * 50, absl::InfiniteFuture(),
                                [&](size_t begin, size_t end) {
                                  ++chunk;
                                  w.now += absl::Microseconds(100 * (end - begin));
                                  // Slowed (3 ms > 2 × 1 ms) for chunks 1-10, then fine.
                                  w.live = chunk <= 10 ? Milliseconds(3) : Milliseconds(1);
                                  pauses.push_back(pacer.stats().pause);
                                  return absl::OkStatus();
                                })
                  .ok());
  // During the slow spell the pause doubles from one chunk's time (1 ms:
  // 10 rows, sized for the 1 ms budget of a city with live calls) up to 32.
  EXPECT_EQ(pacer.stats().quiet, Milliseconds(1));
  EXPECT_GT(pacer.stats().pauses, 10);
  absl::Duration most = absl::ZeroDuration();
  for (absl::Duration d : w.sleeps) most = std::max(most, d);
  EXPECT_EQ(most, Milliseconds(32));
  // After it, the pause halves back to nothing.
  EXPECT_EQ(pacer.stats().pause, absl::ZeroDuration());
}

TEST(BulkPacerTest, NoPauseWhenNobodyIsCalling) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 10000, absl::InfiniteFuture(),
                                [&](size_t, size_t) {
                                  w.now += Milliseconds(5);
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_EQ(pacer.stats().pauses, 0);
}

TEST(BulkPacerTest, AJobAlreadyRunningWhenResidentsComeMeasuresTheirQuietLevel) {
  World w;
  // No live calls when the job starts; then they come, and every chunk
  // makes them 4 ms, while 0.5 ms when bulk work holds back.
  bool held_back = false;
  w.live = std::nullopt;
  int chunk = 0;
  BulkPacerOptions o = w.Options();
  o.sleep = [&](absl::Duration d) {
    w.now += d;
    w.sleeps.push_back(d);
    held_back = d >= Milliseconds(400);
    if (held_back) w.live = Milliseconds(0.5);
  };
  BulkPacer paced(nullptr, o);
  ASSERT_TRUE(paced
                  .ForEachChunk("rows", 100000, absl::InfiniteFuture(),
                                [&](size_t, size_t) {
                                  if (++chunk == 3) w.live = Milliseconds(4);
                                  w.now += Milliseconds(5);
                                  if (chunk > 3) w.live = Milliseconds(4);
                                  return absl::OkStatus();
                                })
                  .ok());
  // The quiet level is what was seen while bulk work held back: 0.5 ms, so
  // 4 ms counts as slowed (not "the norm") and pauses follow.
  ASSERT_TRUE(paced.stats().quiet.has_value());
  EXPECT_EQ(*paced.stats().quiet, Milliseconds(0.5));
  EXPECT_GT(paced.stats().pauses, 5);
}

TEST(BulkPacerTest, NoPausesWhenTheDeadlineIsNear) {
  World w;
  w.live = Milliseconds(1);
  BulkPacer pacer(nullptr, w.Options());
  const absl::Time deadline = w.now + absl::Seconds(4);  // under the 5 s reserve
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 1000, deadline,
                                [&](size_t, size_t) {
                                  w.now += Milliseconds(1);
                                  w.live = Milliseconds(10);
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_EQ(pacer.stats().pauses, 0);
}

TEST(BulkPacerTest, StopsAtItsDeadlineSoThatARetryNeverRunsBesideIt) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  size_t done = 0;
  const absl::Status s =
      pacer.ForEachChunk("rows", 100000, w.now + Milliseconds(12), [&](size_t begin, size_t end) {
        done = end;
        w.now += Milliseconds(5);
        return absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_GT(done, 0u);
  EXPECT_LT(done, 100000u);
}

TEST(BulkPacerTest, StopsAtTheFirstError) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  size_t calls = 0;
  const absl::Status s =
      pacer.ForEachChunk("rows", 1000, absl::InfiniteFuture(), [&](size_t, size_t) {
        ++calls;
        return calls == 2 ? absl::UnavailableError("x") : absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_EQ(calls, 2u);
}

TEST(BulkPacerTest, AChunkRunsInABulkScope) {
  World w;
  BulkPacer pacer(nullptr, w.Options());
  EXPECT_FALSE(BulkScope::Active());
  bool inside = false;
  ASSERT_TRUE(pacer
                  .ForEachChunk("rows", 1, absl::InfiniteFuture(),
                                [&](size_t, size_t) {
                                  inside = BulkScope::Active();
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_TRUE(inside);
  EXPECT_FALSE(BulkScope::Active());
}

TEST(LiveLatencyTest, TheWindowHoldsRecentCallsOnly) {
  LiveLatency live;
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 1; i <= 100; ++i) live.Record(absl::Microseconds(i * 10), t);
  live.Record(absl::Seconds(3), t - absl::Seconds(1));  // too old to count
  const LiveLatency::Window w = live.Recent(t + Milliseconds(10), Milliseconds(250));
  EXPECT_EQ(w.samples, 100);
  EXPECT_EQ(w.p99, absl::Microseconds(1000));
  for (int i = 1; i <= 900; ++i) live.Record(absl::Microseconds(i), t);  // 1,000 in all
  EXPECT_EQ(live.Recent(t, Milliseconds(250)).p99, absl::Microseconds(910));
  EXPECT_EQ(live.Recent(t + absl::Seconds(1), Milliseconds(250)).samples, 0);
}

}  // namespace
}  // namespace gnlc
