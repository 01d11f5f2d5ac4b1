// The consumer group consumer: applies each event once, skips redelivered
// ones, and survives a Redis crash and restart.
#include "common/events/group_consumer.h"

#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <set>

#include "common/redis/redis_pool.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

constexpr char kStream[] = "test:{0}:events";

RedisOptions OptionsFor(const testing::RedisServerProcess& redis) {
  RedisOptions o = redis.AdminOptions();
  o.connect_timeout = absl::Milliseconds(200);
  o.command_timeout = absl::Milliseconds(500);
  o.min_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(50);
  return o;
}

void Publish(RedisPool& pool, int n) {
  Event e = NewEvent("nanjing", "cities/nanjing/things/" + std::to_string(n), absl::Now());
  e.mutable_learner_erased()->set_learner(std::to_string(n));
  const std::string bytes = EncodeEvent(e);
  ASSERT_TRUE(pool.Command({"XADD", kStream, "*", "e", bytes}).ok());
}

struct Applied {
  std::mutex mu;
  std::multiset<std::string> learners;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return learners.size();
  }
  GroupConsumer::Handler handler() {
    return [this](const Event& e) {
      std::lock_guard<std::mutex> lock(mu);
      learners.insert(e.learner_erased().learner());
      return absl::OkStatus();
    };
  }
};

TEST(GroupConsumer, AppliesEveryEventOnceAndSkipsRedeliveries) {
  auto redis = testing::RedisServerProcess::Start("always");
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisPool pool(OptionsFor(**redis));
  for (int i = 0; i < 10; ++i) Publish(pool, i);
  Applied applied;
  {
    GroupConsumer consumer(OptionsFor(**redis), {kStream, "analytics", "c1"}, applied.handler());
    consumer.Start();
    ASSERT_TRUE(testing::PollUntil([&] { return applied.size() == 10; }, absl::Seconds(5)));
  }
  // Rewind the group: Redis redelivers all ten, as after a lost ack.
  ASSERT_TRUE(pool.Command({"XGROUP", "SETID", kStream, "analytics", "0"}).ok());
  Publish(pool, 10);
  GroupConsumer again(OptionsFor(**redis), {kStream, "analytics", "c1"}, applied.handler());
  again.Start();
  ASSERT_TRUE(testing::PollUntil([&] { return again.skipped_count() == 10; }, absl::Seconds(5)));
  ASSERT_TRUE(testing::PollUntil([&] { return applied.size() == 11; }, absl::Seconds(5)));
  again.Stop();
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(applied.learners.count(std::to_string(i)), 1u) << i;
}

TEST(GroupConsumer, SurvivesARedisCrashAndRestart) {
  auto redis = testing::RedisServerProcess::Start("always");
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisPool pool(OptionsFor(**redis));
  Applied applied;
  GroupConsumer consumer(OptionsFor(**redis), {kStream, "analytics", "c1"}, applied.handler());
  consumer.Start();
  for (int i = 0; i < 5; ++i) Publish(pool, i);
  ASSERT_TRUE(testing::PollUntil([&] { return applied.size() == 5; }, absl::Seconds(5)));
  (*redis)->Kill(SIGKILL);
  ASSERT_TRUE((*redis)->Restart().ok());
  for (int i = 5; i < 10; ++i) {
    // The pool reconnects on the first command after its backoff.
    bool ok = false;
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      Event e = NewEvent("nanjing", "x", absl::Now());
      e.mutable_learner_erased()->set_learner(std::to_string(i));
      ok = pool.Command({"XADD", kStream, "*", "e", EncodeEvent(e)}).ok();
      if (!ok) absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(ok);
  }
  ASSERT_TRUE(testing::PollUntil([&] { return applied.size() == 10; }, absl::Seconds(5)));
  consumer.Stop();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(applied.learners.count(std::to_string(i)), 1u) << i;
}

TEST(GroupConsumer, TakesOverTheEntriesOfAConsumerThatDied) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisPool pool(OptionsFor(**redis));
  for (int i = 0; i < 5; ++i) Publish(pool, i);
  // A replica that read them and died before applying (its pod is gone).
  ASSERT_TRUE(pool.Command({"XGROUP", "CREATE", kStream, "analytics", "0"}).ok());
  ASSERT_TRUE(
      pool.Command({"XREADGROUP", "GROUP", "analytics", "ghost", "STREAMS", kStream, ">"}).ok());
  // And another that is far ahead: its progress must not hide the ghost's.
  for (int i = 5; i < 8; ++i) Publish(pool, i);
  Applied applied;
  GroupConsumerOptions options{kStream, "analytics", "c2"};
  options.claim_after = absl::Milliseconds(100);
  GroupConsumer consumer(OptionsFor(**redis), options, applied.handler());
  consumer.Start();
  ASSERT_TRUE(testing::PollUntil([&] { return applied.size() == 8; }, absl::Seconds(5)));
  consumer.Stop();
  std::lock_guard<std::mutex> lock(applied.mu);
  EXPECT_EQ(applied.learners, (std::multiset<std::string>{"0", "1", "2", "3", "4", "5", "6", "7"}));
  auto pending = pool.Command({"XPENDING", kStream, "analytics"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->view()[0].integer(), 0);  // nothing left unacknowledged
}

}  // namespace
}  // namespace gnlc
