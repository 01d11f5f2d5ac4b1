// gnlc.analytics.v1.AnalyticsService: the city's indicators against its
// targets. The Ingester turns the other services' events into counters in
// Redis (AnalyticsStore); the RPCs compute indicators from those counters
// (indicators.h), with recent answers cached per replica (AnswerCache).
// The dashboard and CSV export on the admin port use the same computations.
//
//   AnalyticsService analytics(options, &pool, &metrics);
//   server.AddService(&analytics, "gnlc.analytics.v1.AnalyticsService");
//   analytics.Start();        // seeds targets from the config, ingests
#ifndef GNLC_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
#define GNLC_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "common/redis/live_latency.h"
#include "common/server/rpc_service.h"
#include "common/server/server_options.h"
#include "common/server/service_lifecycle.h"
#include "gnlc/analytics/v1/analytics_service.grpc.pb.h"
#include "services/analytics/analytics_store.h"
#include "services/analytics/answer_cache.h"
#include "services/analytics/indicators.h"
#include "services/analytics/ingester.h"
#include "services/analytics/peer_scorecards.h"

namespace gnlc::analytics {

class AnalyticsService final : public RpcService<pb::AnalyticsService>, public ServiceLifecycle {
 public:
  using Clock = std::function<absl::Time()>;

  AnalyticsService(
      const ServerOptions& options, RedisPool* pool, Metrics* metrics,
      Clock clock = [] { return absl::Now(); }, absl::Duration cache_max_age = absl::Seconds(1));
  ~AnalyticsService() override;

  // Writes the config's targets that are not set yet, then follows the
  // streams. ready() turns true once the targets are written.
  absl::Status Start() override;
  void Stop() override;
  bool ready() const override { return ready_.load(); }
  Ingester& ingester() { return ingester_; }

  // The computations behind the RPCs, for the dashboard and CSV export.
  absl::StatusOr<std::shared_ptr<const pb::GetScorecardResponse>> Scorecard(
      const pb::Period& period);
  absl::StatusOr<std::vector<pb::SeriesPoint>> Series(pb::Indicator indicator,
                                                      const std::vector<pb::Period>& periods);
  absl::StatusOr<std::vector<pb::BreakdownRow>> Breakdown(pb::Indicator indicator,
                                                          const pb::Period& period,
                                                          pb::Dimension dimension);
  // The city Redis's memory used against its limit, for the status line.
  absl::StatusOr<RedisMemory> StorageMemory() { return store_.Memory(); }
  std::vector<pb::CityScorecard> Compare(const pb::Period& period, absl::Duration timeout);
  pb::Period CurrentPeriod(pb::PeriodKind kind) const;
  const CityConfig& city() const { return options_.city; }
  absl::TimeZone time_zone() const { return tz_; }
  int follow_up_months() const { return rules_.follow_up_months; }

 private:
  // Registers every RPC with the common edge (constructor).
  void ServeRpcs();
  absl::Status DoGetScorecard(const pb::GetScorecardRequest& req, pb::GetScorecardResponse& resp);
  absl::Status DoGetIndicatorSeries(const pb::GetIndicatorSeriesRequest& req,
                                    pb::GetIndicatorSeriesResponse& resp);
  absl::Status DoGetBreakdown(const pb::GetBreakdownRequest& req, pb::GetBreakdownResponse& resp);
  absl::Status DoSetTarget(const pb::SetTargetRequest& req, pb::SetTargetResponse& resp);
  absl::Status DoListTargets(const pb::ListTargetsRequest& req, pb::ListTargetsResponse& resp);
  absl::Status DoCompareCities(const pb::CompareCitiesRequest& req, pb::CompareCitiesResponse& resp,
                               absl::Time deadline);
  // The period a request names, or the current month when it names none.
  absl::StatusOr<pb::Period> RequestPeriod(const pb::Period& p, absl::string_view field) const;
  // The baseline of PARTICIPATION_GROWTH for `period` (see analytics.proto).
  pb::Period GrowthBaseline(const pb::Period& period, const std::vector<pb::Target>& targets) const;
  // Counters of `periods` followed by those of their growth baselines.
  absl::StatusOr<std::vector<Counters>> ReadWithBaselines(const std::vector<pb::Period>& periods,
                                                          const std::vector<pb::Target>& targets);
  pb::Target TargetFromConfig(const gnlc::config::v1::IndicatorTarget& t) const;
  // What a value of `info` for `period` in `slice` covers at `now`:
  // partial, provisional, outcomes known. For growth of a period under way
  // it also sets `baseline`'s participation to the same calendar days of
  // the baseline period `base` (whole city only: FAILED_PRECONDITION for a
  // slice).
  absl::StatusOr<pb::Coverage> CoverageOf(const IndicatorInfo& info, const pb::Period& period,
                                          const pb::Period& base, const Counters& counters,
                                          absl::string_view slice, absl::Time now,
                                          Counters& baseline);
  // One value with its coverage (the computation behind every answer).
  struct Value {
    Fraction fraction;
    pb::Coverage coverage;
  };
  absl::StatusOr<Value> ValueOf(const IndicatorInfo& info, const pb::Period& period,
                                const std::vector<pb::Target>& targets, const Counters& counters,
                                Counters baseline, absl::string_view slice, absl::Time now);

  const ServerOptions options_;
  const std::string city_;
  absl::TimeZone tz_;
  // The zone and job placement's follow-up window.
  CountingRules rules_;
  CityFacts facts_;
  Clock clock_;
  AnalyticsStore store_;
  // Where a recount reads the enrollment records (--enrollment; none: no
  // recount, see ingester.h).
  std::unique_ptr<enrollment::StatisticsClient> statistics_;
  // Where a recount lists the programs (--catalog; none: no recount).
  std::unique_ptr<catalog::CatalogClient> catalog_;
  Ingester ingester_;
  AnswerCache cache_;
  PeerScorecards peers_;
  std::atomic<bool> ready_{false};
  // The p99 of this server's live calls, for every service's bulk work.
  LivePublisher live_publisher_;
};

// The time zone of the config (UTC when empty or unknown).
absl::TimeZone CityTimeZone(const CityConfig& city);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
