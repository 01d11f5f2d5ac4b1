// The Redis users of the services, in force on a real redis-server: each
// service reaches only its own keys, also from inside a script, reads the
// streams it follows and writes none of them; the default user is no one's.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/auth/dev_pki.h"
#include "common/redis/live_latency.h"
#include "common/redis/redis_connection.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_security.h"

namespace gnlc {
namespace {

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
  }

  std::unique_ptr<RedisConnection> As(const std::string& user) {
    RedisOptions options = redis_->AdminOptions();
    options.user = user;
    auto password = auth::ReadFileToString(
        absl::StrCat(testing::TestPkiDir(), "/nanjing/redis/", user, ".password"));
    EXPECT_TRUE(password.ok());
    options.password = std::string(absl::StripAsciiWhitespace(*password));
    return std::make_unique<RedisConnection>(options);
  }

  // The error for `args` ("redis: NOPERM ..."), or "" when it succeeded.
  static std::string ErrorOf(RedisConnection& c, const std::vector<absl::string_view>& args) {
    auto reply = c.Command(args);
    return reply.ok() ? "" : std::string(reply.status().message());
  }

  std::unique_ptr<testing::RedisServerProcess> redis_;
};

TEST_F(RedisAclTest, CatalogCannotWriteEnrollmentKeysNotEvenFromAScript) {
  auto catalog = As("catalog");
  EXPECT_EQ(ErrorOf(*catalog, {"SET", "cat:{0}:x", "1"}), "");
  EXPECT_TRUE(absl::StrContains(ErrorOf(*catalog, {"SET", "enr:{0}:x", "1"}), "NOPERM"));
  // A script that declares only its own key and then reaches for another's.
  const std::string sneaky = ErrorOf(
      *catalog, {"EVAL", "redis.call('SET', KEYS[1], 1) return redis.call('SET', 'enr:{0}:x', 1)",
                 "1", "cat:{0}:y"});
  // Redis 7.0 words a refusal inside a script as ERR, not NOPERM.
  EXPECT_TRUE(absl::StrContains(sneaky, "NOPERM") ||
              absl::StrContains(sneaky, "can't access at least one of the keys"))
      << "[" << sneaky << "]";
  auto admin = std::make_unique<RedisConnection>(redis_->AdminOptions());
  auto written = admin->Command({"EXISTS", "enr:{0}:x"});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->view().integer(), 0);
}

TEST_F(RedisAclTest, StreamsAreReadOrConsumedButNeverWrittenByOthers) {
  auto enrollment = As("enrollment");
  ASSERT_EQ(ErrorOf(*enrollment, {"XADD", "enr:{0}:events", "*", "e", "x"}), "");
  auto catalog = As("catalog");
  // Catalog follows and consumes the enrollment stream...
  EXPECT_EQ(ErrorOf(*catalog, {"XREAD", "COUNT", "1", "STREAMS", "enr:{0}:events", "0"}), "");
  EXPECT_EQ(ErrorOf(*catalog, {"XGROUP", "CREATE", "enr:{0}:events", "catalog", "0"}), "");
  EXPECT_EQ(ErrorOf(*catalog, {"XREADGROUP", "GROUP", "catalog", "c1", "COUNT", "1", "STREAMS",
                               "enr:{0}:events", ">"}),
            "");
  // ...reads how far enrollment trimmed it, reports its follower's
  // position, and moves its own group past a trim...
  EXPECT_EQ(ErrorOf(*catalog, {"GET", "enr:{0}:events:trimmed"}), "");
  EXPECT_EQ(ErrorOf(*catalog, {"HSET", "enr:{0}:events:readers", "catalog-seats/x", "0-0 1"}), "");
  EXPECT_EQ(ErrorOf(*catalog, {"XINFO", "GROUPS", "enr:{0}:events"}), "");
  EXPECT_EQ(ErrorOf(*catalog, {"XGROUP", "SETID", "enr:{0}:events", "catalog", "0"}), "");
  // ...but cannot add to it, trim it, delete it or say it was trimmed.
  for (const std::vector<absl::string_view>& write :
       std::vector<std::vector<absl::string_view>>{{"XADD", "enr:{0}:events", "*", "e", "x"},
                                                   {"XTRIM", "enr:{0}:events", "MAXLEN", "0"},
                                                   {"DEL", "enr:{0}:events"},
                                                   {"SET", "enr:{0}:events:trimmed", "9-0"}}) {
    EXPECT_TRUE(absl::StrContains(ErrorOf(*catalog, write), "NOPERM")) << write[0];
  }
  // Analytics consumes; it reports no follower position.
  auto analytics = As("analytics");
  EXPECT_EQ(ErrorOf(*analytics, {"GET", "enr:{0}:events:trimmed"}), "");
  EXPECT_TRUE(absl::StrContains(
      ErrorOf(*analytics, {"HSET", "enr:{0}:events:readers", "x", "0-0 1"}), "NOPERM"));
  // Partnership follows no one's stream.
  auto partnership = As("partnership");
  EXPECT_TRUE(absl::StrContains(
      ErrorOf(*partnership, {"XREAD", "COUNT", "1", "STREAMS", "enr:{0}:events", "0"}), "NOPERM"));
  // No service may run dangerous commands.
  EXPECT_TRUE(absl::StrContains(ErrorOf(*catalog, {"FLUSHALL"}), "NOPERM"));
  EXPECT_TRUE(absl::StrContains(ErrorOf(*enrollment, {"CONFIG", "GET", "*"}), "NOPERM"));
}

TEST_F(RedisAclTest, EachServicePublishesItsOwnLiveLatencyAndReadsEveryOnes) {
  for (const std::string& service : LiveLatencyServices()) {
    auto c = As(service);
    EXPECT_EQ(ErrorOf(*c, {"SET", LiveLatencyKey(service), "900", "PX", "1500"}), "") << service;
  }
  for (const std::string& service : LiveLatencyServices()) {
    auto c = As(service);
    std::vector<absl::string_view> mget = {"MGET"};
    std::vector<std::string> keys;
    for (const std::string& other : LiveLatencyServices()) keys.push_back(LiveLatencyKey(other));
    mget.insert(mget.end(), keys.begin(), keys.end());
    EXPECT_EQ(ErrorOf(*c, mget), "") << service;
    for (const std::string& other : LiveLatencyServices()) {
      if (other == service) continue;
      // Nobody can make another service look slow (or fast).
      EXPECT_TRUE(absl::StrContains(ErrorOf(*c, {"SET", LiveLatencyKey(other), "1"}), "NOPERM"))
          << service << " wrote " << other;
    }
  }
}

TEST_F(RedisAclTest, TheDefaultUserIsNoOnes) {
  RedisOptions anonymous = redis_->AdminOptions();
  anonymous.user.clear();
  anonymous.password.clear();
  RedisConnection c(anonymous);
  EXPECT_TRUE(absl::StrContains(ErrorOf(c, {"GET", "cat:{0}:x"}), "NOAUTH"))
      << ErrorOf(c, {"PING"});
}

}  // namespace
}  // namespace gnlc
