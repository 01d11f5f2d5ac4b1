// What each indicator means and how it is computed from the counters of a
// period (the definitions are written out in analytics.proto and docs/architecture.md).
//
// Counters are the fields of a period's hash: "part" (distinct
// participants), "part|d:gulou" (of them, in a district), "conf", "wait",
// "done", "drop", "grad", "placed", "known" (graduates with an outcome
// recorded), "rated", "rsum", "r45", and gauges at the
// period's end: "g:active", "g:active|pm:3", "g:prog", "g:prog|k:3",
// "g:fc|CNY" (committed cents), "g:fd|CNY" (disbursed cents).
#ifndef GNLC_SERVICES_ANALYTICS_INDICATORS_H_
#define GNLC_SERVICES_ANALYTICS_INDICATORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/analytics/v1/analytics.pb.h"

namespace gnlc::analytics {

namespace pb = gnlc::analytics::v1;

using Counters = absl::flat_hash_map<std::string, int64_t>;

struct IndicatorInfo {
  pb::Indicator indicator;
  const char* slug;  // in target names: "participation-rate"
  const char* zh;
  const char* en;
  const char* building_block;
  // A rate shown as a percentage (otherwise a count or a mean).
  bool percent;
  // Waitlist pressure is better when lower.
  bool lower_is_better;
  // A ratio (numerator / denominator), not a count or a gauge.
  bool ratio = true;
  // Its outcome is recorded after the event it is about (job placement):
  // measured by cohort once a follow-up window has closed.
  bool follow_up = false;
  // Grows through a period (distinct learners so far): a period under way
  // is not judged against a whole period's target.
  bool accumulates = false;
};

// Every indicator, in scorecard order.
const std::vector<IndicatorInfo>& AllIndicators();
// nullptr for UNSPECIFIED or unknown values.
const IndicatorInfo* FindIndicator(pb::Indicator indicator);
const IndicatorInfo* FindIndicatorBySlug(absl::string_view slug);
// The indicator named by a request field: known and not UNSPECIFIED.
absl::StatusOr<const IndicatorInfo*> ValidateIndicator(int indicator, absl::string_view field);

// One computed value.
struct Fraction {
  int64_t numerator = 0;
  int64_t denominator = 0;  // 0 for counts
  double value = 0;
};

// The city facts the computation needs.
struct CityFacts {
  int64_t population = 0;
  absl::flat_hash_map<std::string, int64_t> district_population;
  std::string reporting_currency = "CNY";
};
CityFacts FactsOf(const CityConfig& config);

// `slice` is "" for the whole city, else "d:gulou", "a:4", "k:3", "m:2",
// "pm:7" or a currency code. PARTICIPATION_GROWTH takes the baseline
// period's counters in `baseline`.
Fraction Compute(pb::Indicator indicator, const Counters& counters, absl::string_view slice,
                 const CityFacts& city, const Counters* baseline = nullptr);

// The slices of a breakdown, with the row key each is shown under; an
// error when the dimension does not apply to the indicator.
struct Slice {
  std::string key;    // "gulou", "AGE_BAND_SENIOR", "CNY"
  std::string slice;  // "d:gulou", "a:5", "CNY"
};
absl::StatusOr<std::vector<Slice>> SlicesOf(pb::Indicator indicator, pb::Dimension dimension,
                                            const CityConfig& city, const Counters& counters);

// A counter of a period in a slice ("" for the whole city); 0 when absent.
int64_t CounterOf(const Counters& c, absl::string_view metric, absl::string_view slice);

// The coverage of a follow-up indicator's value for `period` (job
// placement): the share of the cohort with a known outcome ("known" /
// "grad"), and provisional until `follow_up_months` calendar months after
// the period's end have passed at `now`.
pb::Coverage FollowUpCoverage(const Counters& c, absl::string_view slice, const pb::Period& period,
                              absl::Time now, absl::TimeZone tz, int follow_up_months);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_INDICATORS_H_
