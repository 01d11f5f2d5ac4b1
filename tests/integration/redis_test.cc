// The Redis layer against a real redis-server: pool, reconnect, scripts.
#include <gtest/gtest.h>

#include <csignal>

#include "common/redis/redis_pool.h"
#include "common/redis/redis_script.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

RedisOptions OptionsFor(const testing::RedisServerProcess& redis) {
  RedisOptions o = redis.AdminOptions();
  o.pool_size = 2;
  o.connect_timeout = absl::Milliseconds(200);
  o.command_timeout = absl::Milliseconds(500);
  o.min_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(50);
  return o;
}

TEST(RedisPool, ReportsUnavailableWhileRedisIsDownAndRecoversByItself) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  int errors = 0;
  RedisOptions options = OptionsFor(**redis);
  options.on_error = [&errors] { ++errors; };
  RedisPool pool(options);
  ASSERT_TRUE(pool.Command({"SET", "k", "v"}).ok());

  (*redis)->Kill(SIGKILL);
  const auto down = pool.Command({"GET", "k"});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GT(errors, 0);

  ASSERT_TRUE((*redis)->Restart().ok());
  // Backoff is at most 50 ms; a few attempts must get through.
  absl::StatusOr<RedisReply> up = absl::UnavailableError("");
  for (int i = 0; i < 50 && !up.ok(); ++i) {
    up = pool.Command({"PING"});
    if (!up.ok()) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(up.ok()) << up.status();
}

TEST(RedisConnection, AnIdleConnectionRedisDroppedReconnectsBeforeItsNextCommand) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  int errors = 0;
  RedisOptions options = OptionsFor(**redis);
  options.on_error = [&errors] { ++errors; };
  RedisConnection conn(options);
  ASSERT_TRUE(conn.Command({"SET", "k", "v"}).ok());

  // Redis restarts while the connection sits idle (as in a pool): the next
  // command must succeed the first time, with no error counted.
  (*redis)->Kill(SIGKILL);
  ASSERT_TRUE((*redis)->Restart().ok());
  const auto after = conn.Command({"PING"});
  EXPECT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(errors, 0);
}

TEST(RedisScript, ReloadsAfterTheScriptCacheIsFlushed) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  RedisPool pool(OptionsFor(**redis));
  const RedisScript incr("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto first = incr.Run(pool, {"n"}, {"2"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->view().integer(), 2);
  ASSERT_TRUE(pool.Command({"SCRIPT", "FLUSH"}).ok());
  auto second = incr.Run(pool, {"n"}, {"3"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->view().integer(), 5);
  // Binary-safe arguments.
  const RedisScript echo("return ARGV[1]");
  const std::string binary("a\0b\xff", 4);
  auto echoed = echo.Run(pool, {}, {binary});
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(std::string(echoed->view().str()), binary);
}

}  // namespace
}  // namespace gnlc
