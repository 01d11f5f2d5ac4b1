// An analytics server for tests, next to the enrollment test's Redis,
// catalog and enrollment server, plus helpers that set the enrollment
// clock, wait until every stream is applied, and read indicators over gRPC.
//
//   class MyTest : public AnalyticsTest {};
//   TEST_F(MyTest, X) {
//     StartAnalytics();
//     ... enrollments through stub() ...
//     WaitCaughtUp();
//     auto card = Scorecard(Month(1));
//   }
#ifndef GNLC_TESTS_INTEGRATION_ANALYTICS_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_ANALYTICS_HARNESS_H_

#include <memory>
#include <string>

#include "gnlc/analytics/v1/analytics_service.grpc.pb.h"
#include "services/analytics/analytics_service.h"
#include "services/analytics/periods.h"
#include "tests/integration/enrollment_harness.h"

namespace gnlc::analytics::testing {

namespace apb = gnlc::analytics::v1;
namespace epb = gnlc::enrollment::v1;
using enrollment::testing::OfferingSpec;

struct AnalyticsServer {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<RedisPool> pool;
  std::unique_ptr<AnalyticsService> service;
  std::unique_ptr<GnlcServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<apb::AnalyticsService::Stub> stub;

  // Starts with `city` (TestCity() plus targets and peers as a test wants)
  // and waits until SERVING. `enrollment_address`, `catalog_address`: where
  // a recount reads the records and the programs ("": none).
  static std::unique_ptr<AnalyticsServer> Start(
      const std::string& redis_address, const CityConfig& city,
      const std::string& enrollment_address = "", const std::string& catalog_address = "",
      AnalyticsService::Clock clock = [] { return absl::Now(); });
  ~AnalyticsServer();
};

class AnalyticsTest : public enrollment::testing::EnrollmentTest {
 protected:
  void TearDown() override;

  void StartAnalytics(
      const CityConfig& city, AnalyticsService::Clock clock = [] { return absl::Now(); });
  void StartAnalytics();
  void StopAnalytics() { analytics_.reset(); }
  // Until every entry of every stream is read and acknowledged.
  void WaitCaughtUp();

  // The enrollment service's clock reads `t` from now on.
  void SetClock(absl::Time t) { clock_offset_ns_ = absl::ToInt64Nanoseconds(t - absl::Now()); }
  // The month `n` months after the current one (UTC, the test city's zone),
  // and its 10th day at noon.
  static apb::Period Month(int n);
  static absl::Time DayInMonth(int n, int day = 10);

  absl::StatusOr<apb::GetScorecardResponse> Scorecard(const apb::Period& period);
  // The indicator's value on a scorecard (fails the test if missing).
  static apb::IndicatorValue Find(const apb::GetScorecardResponse& card, apb::Indicator indicator);

  apb::AnalyticsService::Stub& analytics() { return *analytics_->stub; }

  std::unique_ptr<AnalyticsServer> analytics_;
};

}  // namespace gnlc::analytics::testing

#endif  // GNLC_TESTS_INTEGRATION_ANALYTICS_HARNESS_H_
