// The server bootstrap through a real catalog: health follows Redis,
// /metrics and /healthz on the admin port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/catalog_harness.h"
#include "tests/support/http_get.h"

namespace gnlc::catalog::testing {
namespace {

using ::testing::HasSubstr;
using Health = grpc::health::v1::HealthCheckResponse;

TEST(ServerHealth, FollowsRedisDownAndBackWithoutARestart) {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto replica = CatalogReplica::Start((*redis)->address());
  const std::string service = "gnlc.catalog.v1.CatalogService";
  ASSERT_EQ(gnlc::testing::CheckHealth(replica->channel, service), Health::SERVING);
  ASSERT_EQ(gnlc::testing::CheckHealth(replica->channel, ""), Health::SERVING);

  (*redis)->Kill(SIGKILL);
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(gnlc::testing::WaitForHealth(replica->channel, service, Health::NOT_SERVING,
                                           absl::Seconds(5)));
  EXPECT_LT(absl::Now() - killed, absl::Seconds(2));
  auto healthz = gnlc::testing::HttpGet(replica->server->admin_port(), "/healthz");
  ASSERT_TRUE(healthz.ok());
  EXPECT_EQ(healthz->status, 503);

  // Reads keep working from the index while Redis is away; writes do not.
  pb::CreateProgramRequest create;
  create.set_parent("cities/nanjing");
  *create.mutable_program() = NewProgram("书法", "Calligraphy");
  pb::CreateProgramResponse created;
  EXPECT_EQ(replica->stub->CreateProgram(Ctx().get(), create, &created).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE((*redis)->Restart().ok());
  ASSERT_TRUE(
      gnlc::testing::WaitForHealth(replica->channel, service, Health::SERVING, absl::Seconds(5)));
  EXPECT_TRUE(replica->stub->CreateProgram(Ctx().get(), create, &created).ok());
}

TEST(ServerAdmin, MetricsShowPerMethodCountsAndLatencyHistograms) {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto replica = CatalogReplica::Start((*redis)->address());
  pb::GetProgramRequest get;
  get.set_name("cities/nanjing/programs/pnothere");
  pb::GetProgramResponse got;
  for (int i = 0; i < 3; ++i) replica->stub->GetProgram(Ctx().get(), get, &got);
  auto metrics = gnlc::testing::HttpGet(replica->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_rpc_requests_total{code=\"NOT_FOUND\","
                                       "method=\"GetProgram\",service=\"catalog\"} 3"));
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_rpc_latency_seconds_bucket{method=\"GetProgram\""));
  auto healthz = gnlc::testing::HttpGet(replica->server->admin_port(), "/healthz");
  ASSERT_TRUE(healthz.ok());
  EXPECT_EQ(healthz->status, 200);
}

TEST(ServerAdmin, CatalogMetricsShowTheIndexAndTheSearchCache) {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto replica = CatalogReplica::Start((*redis)->address());
  MustCreateProgram(*replica->stub, NewProgram("刺绣", "Embroidery"));
  pb::SearchProgramsRequest req;
  req.set_query("刺绣");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(MustSearch(*replica->stub, req).total_size(), 1);
  auto metrics = gnlc::testing::HttpGet(replica->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_catalog_index_records{kind=\"program\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_catalog_search_cache_total{result=\"miss\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_catalog_search_cache_total{result=\"hit\"} 2"));
  EXPECT_THAT(metrics->body, HasSubstr("gnlc_catalog_index_build_seconds"));
}

}  // namespace
}  // namespace gnlc::catalog::testing
