#include "tests/integration/analytics_harness.h"

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "services/analytics/dashboard.h"
#include "tests/support/grpc_testing.h"

namespace gnlc::analytics::testing {

std::unique_ptr<AnalyticsServer> AnalyticsServer::Start(const std::string& redis_address,
                                                        const CityConfig& city,
                                                        const std::string& enrollment_address,
                                                        const std::string& catalog_address,
                                                        AnalyticsService::Clock clock) {
  auto r = std::make_unique<AnalyticsServer>();
  ServerOptions options = TestServerOptions("analytics", city, redis_address);
  options.enrollment_address = enrollment_address;
  options.catalog_address = catalog_address;
  r->metrics = std::make_unique<Metrics>("analytics");
  r->pool = std::make_unique<RedisPool>(options.redis);
  r->service = std::make_unique<AnalyticsService>(options, r->pool.get(), r->metrics.get(),
                                                  std::move(clock));
  r->server = std::make_unique<GnlcServer>(options, r->metrics.get());
  r->server->AddService(r->service.get(), "gnlc.analytics.v1.AnalyticsService");
  r->server->AcceptPeers();
  AnalyticsService* service = r->service.get();
  r->server->SetReadiness([service] { return service->ready(); });
  r->server->AddWebServer(MakeDashboard(options, service));
  const absl::Status started = r->server->Start();
  EXPECT_TRUE(started.ok()) << started;
  const absl::Status ingesting = r->service->Start();
  EXPECT_TRUE(ingesting.ok()) << ingesting;
  r->channel = gnlc::testing::LocalChannel(r->server->port(), city.city_id());
  r->stub = apb::AnalyticsService::NewStub(r->channel);
  EXPECT_TRUE(gnlc::testing::WaitForHealth(r->channel, "gnlc.analytics.v1.AnalyticsService",
                                           grpc::health::v1::HealthCheckResponse::SERVING,
                                           absl::Seconds(10)));
  return r;
}

AnalyticsServer::~AnalyticsServer() {
  if (server) server->Shutdown();
  if (service) service->Stop();
}

void AnalyticsTest::TearDown() {
  analytics_.reset();
  EnrollmentTest::TearDown();
}

void AnalyticsTest::StartAnalytics(const CityConfig& city, AnalyticsService::Clock clock) {
  analytics_ = AnalyticsServer::Start(
      ServiceRedisAddress(), city, absl::StrCat("127.0.0.1:", enrollment_->server->port()),
      absl::StrCat("127.0.0.1:", catalog_->server->port()), std::move(clock));
}

void AnalyticsTest::StartAnalytics() { StartAnalytics(City()); }

void AnalyticsTest::WaitCaughtUp() {
  ASSERT_TRUE(gnlc::testing::PollUntil(
      [&] {
        auto done = analytics_->service->ingester().CaughtUp();
        return done.ok() && *done;
      },
      absl::Seconds(30)))
      << "analytics did not catch up with the streams";
}

apb::Period AnalyticsTest::Month(int n) {
  const absl::CivilMonth m = absl::ToCivilMonth(absl::Now(), absl::UTCTimeZone()) + n;
  return MakePeriod(apb::PERIOD_KIND_MONTH, static_cast<int>(m.year()), m.month());
}

absl::Time AnalyticsTest::DayInMonth(int n, int day) {
  const absl::CivilMonth m = absl::ToCivilMonth(absl::Now(), absl::UTCTimeZone()) + n;
  return absl::FromCivil(absl::CivilSecond(m.year(), m.month(), day, 12, 0, 0),
                         absl::UTCTimeZone());
}

absl::StatusOr<apb::GetScorecardResponse> AnalyticsTest::Scorecard(const apb::Period& period) {
  apb::GetScorecardRequest req;
  req.set_parent("cities/nanjing");
  *req.mutable_period() = period;
  apb::GetScorecardResponse resp;
  const grpc::Status s = analytics().GetScorecard(catalog::testing::Ctx().get(), req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

apb::IndicatorValue AnalyticsTest::Find(const apb::GetScorecardResponse& card,
                                        apb::Indicator indicator) {
  for (const auto& v : card.indicators()) {
    if (v.indicator() == indicator) return v;
  }
  ADD_FAILURE() << "no " << apb::Indicator_Name(indicator) << " on the scorecard";
  return {};
}

}  // namespace gnlc::analytics::testing
