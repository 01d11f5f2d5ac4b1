// Fair shares through gRPC: a caller far over its limit gets
// RESOURCE_EXHAUSTED with a RetryInfo and a pushback trailer, while another
// caller at a normal rate sees no error at all; limited calls are counted.
// (That the second caller's latency stays normal is measured in
// tests/bench/rate_limit_bench.sh, not asserted here.)
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/auth/dev_pki.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/test_security.h"

namespace gnlc::catalog::testing {
namespace {

class RateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = gnlc::testing::RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    CityConfig city = TestCity();
    // Reads: 5 a second, 10 at once.
    city.mutable_rate_limits()->mutable_read()->set_per_second(5);
    city.mutable_rate_limits()->mutable_read()->set_burst(10);
    catalog_ = CatalogReplica::Start(redis_->address(), city, [] { return absl::Now(); });
  }

  std::unique_ptr<pb::CatalogService::Stub> Resident(const std::string& subject) {
    return pb::CatalogService::NewStub(gnlc::testing::SecureChannel(
        catalog_->server->port(), "nanjing",
        gnlc::testing::TestToken("nanjing",
                                 {.role = "resident", .subject = subject, .partner = ""})));
  }

  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<CatalogReplica> catalog_;
};

TEST_F(RateLimitTest, AFloodingCallerIsLimitedAndAnotherIsNot) {
  auto flooder = Resident("flooder");
  auto neighbour = Resident("neighbour");
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  int ok = 0, limited = 0;
  grpc::Status refusal;
  std::string pushback;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    pb::ListProgramsResponse resp;
    grpc::Status s = flooder->ListPrograms(&ctx, req, &resp);
    if (s.ok()) {
      ++ok;
    } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++limited;
      refusal = s;
      auto trailer = ctx.GetServerTrailingMetadata().find("grpc-retry-pushback-ms");
      if (trailer != ctx.GetServerTrailingMetadata().end()) {
        pushback.assign(trailer->second.data(), trailer->second.size());
      }
    } else {
      ADD_FAILURE() << s.error_code() << " " << s.error_message();
    }
  }
  // The burst, and whatever refilled while the loop ran, got through.
  EXPECT_GE(ok, 10);
  EXPECT_GT(limited, 50);
  const absl::Status status = FromGrpcStatus(refusal);
  EXPECT_EQ(ErrorReason(status), "RATE_LIMITED");
  EXPECT_EQ(ErrorMetadataOf(status)["class"], "read");
  auto delay = RetryDelayOf(status);
  ASSERT_TRUE(delay.has_value());
  EXPECT_GT(*delay, absl::ZeroDuration());
  EXPECT_LE(*delay, absl::Milliseconds(200));  // one token at 5 per second
  EXPECT_FALSE(pushback.empty());

  // The neighbour, at its own normal pace, never notices.
  for (int i = 0; i < 8; ++i) {
    grpc::ClientContext ctx;
    pb::ListProgramsResponse resp;
    grpc::Status s = neighbour->ListPrograms(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  // Writes are another class: the flooder's reads do not use them up.
  auto metrics = gnlc::testing::HttpGet(catalog_->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find(absl::StrCat("gnlc_rate_limited_total{class=\"read\"} ", limited)),
            std::string::npos)
      << metrics->body;
}

// Anonymous catalog reads are counted per client address, so opening a new
// connection does not refill the bucket.
TEST_F(RateLimitTest, AnonymousReadersShareTheBucketOfTheirAddress) {
  auto first = pb::CatalogService::NewStub(
      gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing", ""));
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  int limited = 0;
  for (int i = 0; i < 60; ++i) {
    grpc::ClientContext ctx;
    pb::ListProgramsResponse resp;
    grpc::Status s = first->ListPrograms(&ctx, req, &resp);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++limited;
  }
  ASSERT_GT(limited, 0);
  // A fresh connection from the same address is still over the limit...
  auto second = pb::CatalogService::NewStub(
      gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing", ""));
  grpc::ClientContext ctx;
  pb::ListProgramsResponse resp;
  EXPECT_EQ(second->ListPrograms(&ctx, req, &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // ...and a resident from the same address has a share of their own.
  grpc::ClientContext resident_ctx;
  EXPECT_TRUE(Resident("r1")->ListPrograms(&resident_ctx, req, &resp).ok());
}

TEST_F(RateLimitTest, TheCitysOwnServicesAreNotLimited) {
  auto service = pb::CatalogService::NewStub(gnlc::testing::SecureChannel(
      catalog_->server->port(), "nanjing",
      gnlc::testing::TestToken("nanjing",
                               {.role = "service", .subject = "enrollment", .partner = ""})));
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  for (int i = 0; i < 40; ++i) {
    grpc::ClientContext ctx;
    pb::ListProgramsResponse resp;
    grpc::Status s = service->ListPrograms(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
}

}  // namespace
}  // namespace gnlc::catalog::testing
