// Redis at its memory limit (maxmemory, noeviction): writes are refused as
// UNAVAILABLE STORAGE_FULL (retry later), never INTERNAL; nothing is half
// written; reads go on; once there is room again, writes go through.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "common/redis/redis_connection.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/http_get.h"

namespace gnlc::enrollment::testing {
namespace {

using StorageFullTest = EnrollmentTest;

// A new learner and an enrollment grow the data: refused at the limit.
// (Redis lets a script through whose first write frees memory, a
// cancellation say: it cannot stop it halfway, and it makes room.)
TEST_F(StorageFullTest, AFullRedisRefusesWritesAsUnavailableAndStillServesReads) {
  const std::string offering = CreateOffering(5);
  const std::string learner = CreateLearner();
  auto first = Enroll(learner, offering);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string other_offering = CreateOffering(5);
  // Enrollment knows the offering before Redis fills (whether its catalog
  // consumer got there first or not): its seats are then a read.
  ASSERT_TRUE(Seats(other_offering).ok());

  RedisConnection admin(redis_->AdminOptions());
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  epb::CreateLearnerRequest create;
  create.set_parent("cities/nanjing");
  create.mutable_learner()->set_district("gulou");
  create.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
  epb::CreateLearnerResponse created;
  const grpc::Status refused =
      stub().CreateLearner(catalog::testing::Ctx().get(), create, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_EQ(CodeAndReason(FromGrpcStatus(refused)), "UNAVAILABLE STORAGE_FULL");
  auto second = Enroll(learner, other_offering);
  EXPECT_EQ(CodeAndReason(second.status()), "UNAVAILABLE STORAGE_FULL");
  // Nothing of the refused writes happened, and reads are served.
  auto seats = Seats(other_offering);
  ASSERT_TRUE(seats.ok()) << seats.status();
  EXPECT_EQ(seats->taken(), 0);
  auto read = Get(first->name());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state(), epb::ENROLLMENT_STATE_CONFIRMED);
  // Operators see the limit (and what is used) in the metrics.
  const int admin_port = enrollment_->server->admin_port();
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] {
        auto m = gnlc::testing::HttpGet(admin_port, "/metrics");
        return m.ok() &&
               absl::StrContains(m->body,
                                 "gnlc_redis_maxmemory_bytes{service=\"enrollment\"} 1\n") &&
               absl::StrContains(m->body, "gnlc_redis_used_memory_bytes{service=\"enrollment\"} ");
      },
      absl::Seconds(15)));

  // Room again: the same writes go through.
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  EXPECT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), create, &created).ok());
  second = Enroll(learner, other_offering);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->state(), epb::ENROLLMENT_STATE_CONFIRMED);
}

}  // namespace
}  // namespace gnlc::enrollment::testing
