// Where an indicator's value stands against its target, and why, in both
// languages: the status of the scorecard (analytics.proto, Status).
//
//   const Standing s = StandingOf(info, value, coverage, target, at, tz);
//   v.set_status(s.status);        // STATUS_BEHIND
//   s.reason_en                    // "expected 61.0% by now on the path ..."
#ifndef GNLC_SERVICES_ANALYTICS_STANDING_H_
#define GNLC_SERVICES_ANALYTICS_STANDING_H_

#include <string>

#include "absl/time/time.h"
#include "gnlc/analytics/v1/analytics.pb.h"
#include "services/analytics/indicators.h"

namespace gnlc::analytics {

struct Standing {
  // (value - baseline) / (target - baseline), clamped to [0, 1].
  double progress = 0;
  pb::Status status = pb::STATUS_UNSPECIFIED;
  std::string reason_en, reason_zh;

  bool on_track() const { return status == pb::STATUS_ON_TRACK || status == pb::STATUS_TARGET_MET; }
};

// Judges `value` (with its coverage) against `target` at time `at` (the
// period's end, or now for a period under way):
//   provisional outcomes, or a growing count of a period under way: not
//   judged; an empty ratio: no data; at or better than the target: met;
//   worse than the baseline: below baseline; otherwise on track when at or
//   better than the straight path from the baseline (at the end of the
//   baseline period) to the target (at the deadline), behind when not.
// "Better" follows the target (a target below its baseline, e.g. less
// waitlist pressure, is met from above).
Standing StandingOf(const IndicatorInfo& info, const Fraction& value, const pb::Coverage& coverage,
                    const pb::Target& target, absl::Time at, absl::TimeZone tz);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_STANDING_H_
