// Residents' calls, measured where they wait: the enrollment service
// publishes the p99 of the Redis commands its handlers sent to
// live:{0}:enrollment, by which bulk work in every service of the city
// paces itself (common/redis/bulk_pacer.h).
#include "common/redis/live_latency.h"

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "common/redis/redis_connection.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"

namespace gnlc::enrollment::testing {
namespace {

using gnlc::testing::PollUntil;

TEST_F(EnrollmentTest, ResidentsCallsArePublishedAsTheServicesLiveLatencyUntilTheyStop) {
  RedisConnection admin(InspectOptions());
  const std::string key = LiveLatencyKey("enrollment");
  int64_t micros = 0;
  ASSERT_TRUE(PollUntil(
      [&] {
        for (int i = 0; i < 10; ++i) CreateLearner();
        auto reply = admin.Command({"GET", key});
        return reply.ok() && !reply->view().is_nil() &&
               absl::SimpleAtoi(reply->view().str(), &micros);
      },
      absl::Seconds(10)))
      << "nothing published at " << key;
  EXPECT_GT(micros, 0);
  EXPECT_LT(micros, 10'000'000) << "a p99 in microseconds";
  // Once the calls stop the figure expires: an old spike never holds bulk
  // work back.
  EXPECT_TRUE(PollUntil(
      [&] {
        auto reply = admin.Command({"EXISTS", key});
        return reply.ok() && reply->view().integer() == 0;
      },
      absl::Seconds(5)));
}

}  // namespace
}  // namespace gnlc::enrollment::testing
