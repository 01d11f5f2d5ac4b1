#include "services/analytics/analytics_service.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/server/bulk_pacer_metrics.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/analytics/periods.h"
#include "services/analytics/standing.h"

namespace gnlc::analytics {
namespace {

// A series covers at most this many periods (10 years of months).
constexpr int kMaxSeriesPeriods = 120;
constexpr absl::Duration kDefaultPeerTimeout = absl::Seconds(2);

}  // namespace

absl::TimeZone CityTimeZone(const CityConfig& city) {
  absl::TimeZone tz;
  if (city.time_zone().empty() || !absl::LoadTimeZone(city.time_zone(), &tz)) {
    return absl::UTCTimeZone();
  }
  return tz;
}

AnalyticsService::AnalyticsService(const ServerOptions& options, RedisPool* pool, Metrics* metrics,
                                   Clock clock, absl::Duration cache_max_age)
    : RpcService(MakeRpcEdge(options, metrics, "analytics.gnlc.org")),
      options_(options),
      city_(options.city.city_id()),
      tz_(CityTimeZone(options.city)),
      rules_(CountingRules::Of(options.city, tz_)),
      facts_(FactsOf(options.city)),
      clock_(std::move(clock)),
      store_(pool),
      statistics_(options.enrollment_address.empty()
                      ? nullptr
                      : std::make_unique<enrollment::StatisticsClient>(options.enrollment_address,
                                                                       options.city)),
      catalog_(options.catalog_address.empty() ? nullptr
                                               : std::make_unique<catalog::CatalogClient>(
                                                     options.catalog_address, options.city)),
      ingester_(options.redis, pool, rules_, &metrics->registry(), statistics_.get(),
                catalog_.get(), options.city.city_id()),
      cache_(cache_max_age),
      peers_(options.city),
      live_publisher_(pool, "analytics") {
  ingester_.OnApplied([this] { cache_.Invalidate(); });
  ExportBulkPacerMetrics(metrics, &ingester_.bulk());
  ServeRpcs();
}

AnalyticsService::~AnalyticsService() { Stop(); }

pb::Target AnalyticsService::TargetFromConfig(const gnlc::config::v1::IndicatorTarget& t) const {
  pb::Target target;
  const IndicatorInfo* info = FindIndicatorBySlug(t.indicator());
  target.set_indicator(info->indicator);
  target.set_name(absl::StrCat(CityName(city_), "/targets/", info->slug));
  target.set_baseline_value(t.baseline_value());
  *target.mutable_baseline_period() = MakePeriod(pb::PERIOD_KIND_YEAR, t.baseline_year());
  target.set_target_value(t.target_value());
  // "By the end of the target year": the first instant of the next one.
  *target.mutable_deadline() =
      TimestampFromTime(PeriodEnd(MakePeriod(pb::PERIOD_KIND_YEAR, t.target_year()), tz_));
  *target.mutable_update_time() = TimestampFromTime(clock_());
  return target;
}

absl::Status AnalyticsService::Start() {
  absl::TimeZone probe;
  if (!options_.city.time_zone().empty() &&
      !absl::LoadTimeZone(options_.city.time_zone(), &probe)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone '", options_.city.time_zone(), "' is not a known IANA zone"));
  }
  for (const auto& t : options_.city.targets()) {
    if (FindIndicatorBySlug(t.indicator()) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("targets: unknown indicator '", t.indicator(), "'"));
    }
    if (t.target_year() < t.baseline_year()) {
      return absl::InvalidArgumentError(
          absl::StrCat("targets: ", t.indicator(), " has target_year before baseline_year"));
    }
  }
  // Targets set through the API win over the file: only missing ones.
  for (const auto& t : options_.city.targets()) {
    RETURN_IF_ERROR(store_.PutTarget(TargetFromConfig(t), /*only_if_absent=*/true));
  }
  ingester_.Start();
  ready_ = true;
  return absl::OkStatus();
}

void AnalyticsService::Stop() {
  ready_ = false;
  ingester_.Stop();
}

pb::Period AnalyticsService::CurrentPeriod(pb::PeriodKind kind) const {
  return PeriodOf(kind, clock_(), tz_);
}

absl::StatusOr<pb::Period> AnalyticsService::RequestPeriod(const pb::Period& p,
                                                           absl::string_view field) const {
  if (p.kind() == pb::PERIOD_KIND_UNSPECIFIED && p.year() == 0 && p.index() == 0) {
    return CurrentPeriod(pb::PERIOD_KIND_MONTH);
  }
  return ValidatePeriod(p, field);
}

pb::Period AnalyticsService::GrowthBaseline(const pb::Period& period,
                                            const std::vector<pb::Target>& targets) const {
  for (const auto& t : targets) {
    if (t.indicator() == pb::INDICATOR_PARTICIPATION_GROWTH) {
      return InYear(period, t.baseline_period().year());
    }
  }
  return InYear(period, period.year() - 1);
}

absl::StatusOr<pb::Coverage> AnalyticsService::CoverageOf(
    const IndicatorInfo& info, const pb::Period& period, const pb::Period& base,
    const Counters& counters, absl::string_view slice, absl::Time now, Counters& baseline) {
  pb::Coverage coverage;
  if (info.follow_up) {
    coverage = FollowUpCoverage(counters, slice, period, now, tz_, rules_.follow_up_months);
  }
  coverage.set_partial(PeriodEnd(period, tz_) > now);
  if (coverage.partial() && info.indicator == pb::INDICATOR_PARTICIPATION_GROWTH) {
    if (!slice.empty()) {
      return FailedPrecondition(
          "PERIOD_UNDER_WAY",
          absl::StrCat("growth of ", PeriodLabel(period),
                       " is compared day for day with a year before for the whole city only; "
                       "ask for its breakdown once the period has ended"),
          {{"field", "period"}});
    }
    const SameDays same = SameDaysAs(base, period, now, tz_);
    int64_t learners = 0;
    if (!same.spans.empty()) {
      ASSIGN_OR_RETURN(learners, store_.DistinctIn("part", same.spans));
    }
    baseline["part"] = learners;
    coverage.set_baseline_through(same.through);
  }
  return coverage;
}

absl::StatusOr<AnalyticsService::Value> AnalyticsService::ValueOf(
    const IndicatorInfo& info, const pb::Period& period, const std::vector<pb::Target>& targets,
    const Counters& counters, Counters baseline, absl::string_view slice, absl::Time now) {
  Value v;
  ASSIGN_OR_RETURN(v.coverage, CoverageOf(info, period, GrowthBaseline(period, targets), counters,
                                          slice, now, baseline));
  v.fraction = Compute(info.indicator, counters, slice, facts_, &baseline);
  return v;
}

absl::StatusOr<std::vector<Counters>> AnalyticsService::ReadWithBaselines(
    const std::vector<pb::Period>& periods, const std::vector<pb::Target>& targets) {
  std::vector<pb::Period> all = periods;
  for (const auto& p : periods) all.push_back(GrowthBaseline(p, targets));
  return store_.ReadPeriods(all);
}

absl::StatusOr<std::shared_ptr<const pb::GetScorecardResponse>> AnalyticsService::Scorecard(
    const pb::Period& period) {
  const absl::Time now = clock_();
  const std::string key = "scorecard/" + PeriodKey(period);
  if (auto hit = cache_.Get(key, now)) {
    return std::static_pointer_cast<const pb::GetScorecardResponse>(hit);
  }
  ASSIGN_OR_RETURN(std::vector<pb::Target> targets, store_.ListTargets());
  ASSIGN_OR_RETURN(std::vector<Counters> counters, ReadWithBaselines({period}, targets));
  auto resp = std::make_shared<pb::GetScorecardResponse>();
  *resp->mutable_period() = period;
  // Progress is judged at the period's end, or now for the current period.
  const absl::Time at = std::min(now, PeriodEnd(period, tz_));
  for (const IndicatorInfo& info : AllIndicators()) {
    ASSIGN_OR_RETURN(Value value,
                     ValueOf(info, period, targets, counters[0], counters[1], "", now));
    const Fraction& f = value.fraction;
    pb::IndicatorValue* v = resp->add_indicators();
    v->set_indicator(info.indicator);
    v->mutable_display_name()->set_zh(info.zh);
    v->mutable_display_name()->set_en(info.en);
    v->set_building_block(info.building_block);
    v->set_value(f.value);
    v->set_numerator(f.numerator);
    v->set_denominator(f.denominator);
    *v->mutable_coverage() = value.coverage;
    for (const auto& t : targets) {
      if (t.indicator() != info.indicator) continue;
      *v->mutable_target() = t;
      const Standing s = StandingOf(info, f, value.coverage, t, at, tz_);
      v->set_progress(s.progress);
      v->set_on_track(s.on_track());
      v->set_status(s.status);
      v->mutable_status_reason()->set_en(s.reason_en);
      v->mutable_status_reason()->set_zh(s.reason_zh);
    }
  }
  cache_.Put(key, resp, now);
  return resp;
}

absl::StatusOr<std::vector<pb::SeriesPoint>> AnalyticsService::Series(
    pb::Indicator indicator, const std::vector<pb::Period>& periods) {
  ASSIGN_OR_RETURN(std::vector<pb::Target> targets, store_.ListTargets());
  ASSIGN_OR_RETURN(std::vector<Counters> counters, ReadWithBaselines(periods, targets));
  const IndicatorInfo* info = FindIndicator(indicator);
  const absl::Time now = clock_();
  std::vector<pb::SeriesPoint> points;
  for (size_t i = 0; i < periods.size(); ++i) {
    ASSIGN_OR_RETURN(Value value, ValueOf(*info, periods[i], targets, counters[i],
                                          counters[periods.size() + i], "", now));
    pb::SeriesPoint& p = points.emplace_back();
    *p.mutable_period() = periods[i];
    p.set_value(value.fraction.value);
    p.set_numerator(value.fraction.numerator);
    p.set_denominator(value.fraction.denominator);
    *p.mutable_coverage() = std::move(value.coverage);
  }
  return points;
}

absl::StatusOr<std::vector<pb::BreakdownRow>> AnalyticsService::Breakdown(pb::Indicator indicator,
                                                                          const pb::Period& period,
                                                                          pb::Dimension dimension) {
  ASSIGN_OR_RETURN(std::vector<pb::Target> targets, store_.ListTargets());
  ASSIGN_OR_RETURN(std::vector<Counters> counters, ReadWithBaselines({period}, targets));
  ASSIGN_OR_RETURN(std::vector<Slice> slices,
                   SlicesOf(indicator, dimension, options_.city, counters[0]));
  const IndicatorInfo* info = FindIndicator(indicator);
  const absl::Time now = clock_();
  std::vector<pb::BreakdownRow> rows;
  for (const Slice& s : slices) {
    ASSIGN_OR_RETURN(Value value,
                     ValueOf(*info, period, targets, counters[0], counters[1], s.slice, now));
    pb::BreakdownRow& row = rows.emplace_back();
    row.set_key(s.key);
    row.set_value(value.fraction.value);
    row.set_numerator(value.fraction.numerator);
    row.set_denominator(value.fraction.denominator);
    *row.mutable_coverage() = std::move(value.coverage);
  }
  return rows;
}

std::vector<pb::CityScorecard> AnalyticsService::Compare(const pb::Period& period,
                                                         absl::Duration timeout) {
  std::vector<pb::CityScorecard> out(1);
  out[0].set_city(city_);
  *out[0].mutable_display_name() = options_.city.display_name();
  if (auto own = Scorecard(period); own.ok()) {
    out[0].set_available(true);
    *out[0].mutable_indicators() = (*own)->indicators();
  } else {
    out[0].set_error("this city's counters are unavailable (Redis)");
  }
  for (auto& card : peers_.Fetch(period, timeout)) out.push_back(std::move(card));
  return out;
}

// --- RPCs ---

// Each hands its logic to the common edge (parsing, permissions, status
// mapping, metrics, logs).
void AnalyticsService::ServeRpcs() {
  Rpc(&AnalyticsService::DoGetScorecard);
  Rpc(&AnalyticsService::DoGetIndicatorSeries);
  Rpc(&AnalyticsService::DoGetBreakdown);
  Rpc(&AnalyticsService::DoSetTarget);
  Rpc(&AnalyticsService::DoListTargets);
  Rpc(&AnalyticsService::DoCompareCities);
  CheckAllServed();
}

absl::Status AnalyticsService::DoGetScorecard(const pb::GetScorecardRequest& req,
                                              pb::GetScorecardResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(pb::Period period, RequestPeriod(req.period(), "period"));
  ASSIGN_OR_RETURN(auto card, Scorecard(period));
  resp.CopyFrom(*card);
  *resp.mutable_city_display_name() = options_.city.display_name();
  return absl::OkStatus();
}

absl::Status AnalyticsService::DoGetIndicatorSeries(const pb::GetIndicatorSeriesRequest& req,
                                                    pb::GetIndicatorSeriesResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(const IndicatorInfo* info, ValidateIndicator(req.indicator(), "indicator"));
  ASSIGN_OR_RETURN(pb::Period from, ValidatePeriod(req.from_period(), "from_period"));
  ASSIGN_OR_RETURN(pb::Period to, ValidatePeriod(req.to_period(), "to_period"));
  ASSIGN_OR_RETURN(std::vector<pb::Period> periods, PeriodRange(from, to, kMaxSeriesPeriods));
  const absl::Time now = clock_();
  const std::string key =
      absl::StrCat("series/", info->slug, "/", PeriodKey(from), "/", PeriodKey(to));
  if (auto hit = cache_.Get(key, now)) {
    resp.CopyFrom(*hit);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<pb::SeriesPoint> points, Series(info->indicator, periods));
  auto answer = std::make_shared<pb::GetIndicatorSeriesResponse>();
  for (auto& p : points) *answer->add_points() = std::move(p);
  resp.CopyFrom(*answer);
  cache_.Put(key, std::move(answer), now);
  return absl::OkStatus();
}

absl::Status AnalyticsService::DoGetBreakdown(const pb::GetBreakdownRequest& req,
                                              pb::GetBreakdownResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(const IndicatorInfo* info, ValidateIndicator(req.indicator(), "indicator"));
  ASSIGN_OR_RETURN(pb::Period period, RequestPeriod(req.period(), "period"));
  ASSIGN_OR_RETURN(std::vector<pb::BreakdownRow> rows,
                   Breakdown(info->indicator, period, req.dimension()));
  for (auto& r : rows) *resp.add_rows() = std::move(r);
  return absl::OkStatus();
}

absl::Status AnalyticsService::DoSetTarget(const pb::SetTargetRequest& req,
                                           pb::SetTargetResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  const pb::Target& in = req.target();
  ASSIGN_OR_RETURN(const IndicatorInfo* info,
                   ValidateIndicator(in.indicator(), "target.indicator"));
  for (const auto& [field, v] : {std::pair{"target.baseline_value", in.baseline_value()},
                                 std::pair{"target.target_value", in.target_value()}}) {
    if (!std::isfinite(v) || std::fabs(v) > 1e12) {
      return InvalidArgument("INVALID_TARGET", absl::StrCat(field, " must be a finite number"),
                             {{"field", field}});
    }
  }
  ASSIGN_OR_RETURN(pb::Period baseline,
                   ValidatePeriod(in.baseline_period(), "target.baseline_period"));
  if (!in.has_deadline() ||
      absl::FromUnixSeconds(in.deadline().seconds()) <= PeriodEnd(baseline, tz_)) {
    return InvalidArgument("INVALID_TARGET",
                           "target.deadline must be after the end of target.baseline_period",
                           {{"field", "target.deadline"}});
  }
  pb::Target t;
  t.set_name(absl::StrCat(CityName(city_), "/targets/", info->slug));
  t.set_indicator(info->indicator);
  t.set_baseline_value(in.baseline_value());
  *t.mutable_baseline_period() = baseline;
  t.set_target_value(in.target_value());
  t.mutable_deadline()->set_seconds(in.deadline().seconds());
  *t.mutable_update_time() = TimestampFromTime(clock_());
  RETURN_IF_ERROR(store_.PutTarget(t, /*only_if_absent=*/false));
  cache_.Invalidate();
  *resp.mutable_target() = std::move(t);
  return absl::OkStatus();
}

absl::Status AnalyticsService::DoListTargets(const pb::ListTargetsRequest& req,
                                             pb::ListTargetsResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(std::vector<pb::Target> targets, store_.ListTargets());
  for (auto& t : targets) *resp.add_targets() = std::move(t);
  return absl::OkStatus();
}

absl::Status AnalyticsService::DoCompareCities(const pb::CompareCitiesRequest& req,
                                               pb::CompareCitiesResponse& resp,
                                               absl::Time deadline) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(pb::Period period, RequestPeriod(req.period(), "period"));
  if (req.timeout_ms() < 0 || req.timeout_ms() > 10000) {
    return InvalidArgument("INVALID_TIMEOUT", "timeout_ms must be between 0 and 10000",
                           {{"field", "timeout_ms"}});
  }
  absl::Duration timeout =
      req.timeout_ms() == 0 ? kDefaultPeerTimeout : absl::Milliseconds(req.timeout_ms());
  // Never past the caller's own deadline.
  timeout = std::max(absl::ZeroDuration(), std::min(timeout, deadline - absl::Now()));
  for (auto& card : Compare(period, timeout)) *resp.add_cities() = std::move(card);
  return absl::OkStatus();
}

}  // namespace gnlc::analytics
