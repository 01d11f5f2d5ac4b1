// The pipelined connection against a real redis-server: many threads share
// one socket, each gets its own reply, and when Redis dies or stalls with
// commands in flight every caller gets an error and none hangs or gets
// another caller's reply.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/redis/pipelined_connection.h"
#include "common/redis/redis_pool.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

RedisOptions OptionsFor(const testing::RedisServerProcess& redis) {
  RedisOptions o = redis.AdminOptions();
  o.connect_timeout = absl::Milliseconds(200);
  o.command_timeout = absl::Seconds(5);
  o.min_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(50);
  return o;
}

// A script that keeps Redis busy for `ms` and then answers "slept": every
// command sent meanwhile queues behind it, in flight.
constexpr absl::string_view kBusy = R"lua(
local t0 = redis.call('TIME')
repeat local t = redis.call('TIME')
until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > tonumber(ARGV[1]) * 1000
return 'slept')lua";

// Waits (bounded) until `n` commands are queued or in flight on `conn`.
bool AwaitPending(const PipelinedConnection& conn, int64_t n) {
  for (int i = 0; i < 2000; ++i) {
    if (conn.pending() >= n) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return false;
}

TEST(PipelinedConnection, ManyThreadsOnOneSocketEachGetTheirOwnReplies) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisOptions options = OptionsFor(**redis);
  options.pool_size = 2;
  RedisPool pool(options);
  constexpr int kThreads = 32;
  constexpr int kPerThread = 300;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Values of different lengths, binary included, so replies of
        // neighbours differ in size and a mix-up would show.
        const std::string key = absl::StrCat("k", t, ":", i);
        const std::string value = absl::StrCat(std::string(static_cast<size_t>(i % 7) * 100, 'x'),
                                               std::string("\0\xff", 2), t, "/", i);
        if (!pool.Command({"SET", key, value}).ok()) ++failed;
        auto got = pool.Command({"GET", key});
        if (!got.ok()) {
          ++failed;
        } else if (got->view().str() != value) {
          ++wrong;
        }
        auto len = pool.Command({"STRLEN", key});
        if (!len.ok() || len->view().integer() != static_cast<int64_t>(value.size())) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);

  // 32 threads, and Redis saw only the pool's two connections (and this one).
  auto clients = pool.Command({"CLIENT", "LIST"});
  ASSERT_TRUE(clients.ok()) << clients.status();
  const std::vector<absl::string_view> lines =
      absl::StrSplit(clients->view().str(), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 2u) << clients->view().str();
}

TEST(PipelinedConnection, RedisKilledWithCommandsInFlightFailsEveryCallerAndRecovers) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  int errors = 0;
  RedisOptions options = OptionsFor(**redis);
  options.on_error = [&errors] { ++errors; };  // only the I/O thread calls it
  PipelinedConnection conn(options);
  ASSERT_TRUE(conn.Command({"SET", "k", "v"}).ok());

  // One command keeps Redis busy; 20 more queue behind it on the same socket.
  std::vector<absl::StatusOr<RedisReply>> results;
  for (int i = 0; i < 21; ++i) results.emplace_back(absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = conn.Command({"EVAL", kBusy, "0", "3000"}); });
  ASSERT_TRUE(AwaitPending(conn, 1));
  for (int i = 1; i <= 20; ++i) {
    threads.emplace_back([&, i] { results[i] = conn.Command({"ECHO", absl::StrCat("m", i)}); });
  }
  ASSERT_TRUE(AwaitPending(conn, 21));
  (*redis)->Kill(SIGKILL);
  for (auto& th : threads) th.join();  // none hangs: this returns
  for (const auto& r : results) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  EXPECT_EQ(conn.pending(), 0);
  EXPECT_GT(errors, 0);

  ASSERT_TRUE((*redis)->Restart().ok());
  absl::StatusOr<RedisReply> up = absl::UnavailableError("");
  for (int i = 0; i < 100 && !up.ok(); ++i) {
    up = conn.Command({"ECHO", "after"});
    if (!up.ok()) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->view().str(), "after");
}

TEST(PipelinedConnection, ACommandPastItsTimeoutFailsAndItsLateReplyReachesNobody) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisOptions options = OptionsFor(**redis);
  options.command_timeout = absl::Milliseconds(200);
  PipelinedConnection conn(options);

  const absl::Time start = absl::Now();
  auto slow = conn.Command({"EVAL", kBusy, "0", "800"});
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kUnavailable) << slow.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(700));  // the timeout, not the script

  // The script still runs in Redis and answers "slept" on the old socket;
  // the next caller must get its own reply.
  absl::StatusOr<RedisReply> next = absl::UnavailableError("");
  for (int i = 0; i < 200 && !next.ok(); ++i) {
    next = conn.Command({"ECHO", "mine"});
    if (!next.ok()) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->view().str(), "mine");
}

TEST(PipelinedConnection, AnIdleConnectionRedisDroppedReconnectsWithoutAnError) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  int errors = 0;
  RedisOptions options = OptionsFor(**redis);
  options.on_error = [&errors] { ++errors; };
  PipelinedConnection conn(options);
  ASSERT_TRUE(conn.Command({"SET", "k", "v"}).ok());

  // Another client closes ours (as a Redis restart or an ACL change would).
  RedisConnection admin((*redis)->AdminOptions());
  auto killed = admin.Command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_EQ(killed->view().integer(), 1);
  // The I/O thread sees the close while idle; give it the moment it needs.
  absl::StatusOr<RedisReply> after = absl::UnknownError("");
  for (int i = 0; i < 3; ++i) {
    after = conn.Command({"GET", "k"});
    ASSERT_TRUE(after.ok()) << after.status();
  }
  EXPECT_EQ(after->view().str(), "v");
  EXPECT_EQ(errors, 0);
}

TEST(PipelinedConnection, ErrorRepliesGoToTheirOwnCallerOnly) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  PipelinedConnection conn(OptionsFor(**redis));
  ASSERT_TRUE(conn.Command({"SET", "s", "text"}).ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if ((i + t) % 2 == 0) {
          // WRONGTYPE: an error reply must fail this caller and nobody else.
          auto r = conn.Command({"HGET", "s", "f"});
          if (r.ok() || r.status().code() != absl::StatusCode::kInternal) ++wrong;
        } else {
          auto r = conn.Command({"ECHO", absl::StrCat(t, ":", i)});
          if (!r.ok() || r->view().str() != absl::StrCat(t, ":", i)) ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace gnlc
