#include "services/analytics/standing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/analytics/indicator_format.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {

Standing StandingOf(const IndicatorInfo& info, const Fraction& value, const pb::Coverage& coverage,
                    const pb::Target& target, absl::Time at, absl::TimeZone tz) {
  Standing s;
  const double v = value.value;
  const double base = target.baseline_value();
  const double goal = target.target_value();
  const double span = goal - base;
  // Which way is better: towards the target, or the indicator's own sense
  // when the target equals its baseline.
  const bool up = span != 0 ? span > 0 : !info.lower_is_better;
  const auto at_least = [up](double a, double b) { return up ? a >= b : a <= b; };
  s.progress = span == 0 ? (at_least(v, goal) ? 1 : 0) : std::clamp((v - base) / span, 0.0, 1.0);

  const std::string shown = FormatValue(info, v);
  const int baseline_year = target.baseline_period().year();
  const absl::Time deadline = absl::FromUnixSeconds(target.deadline().seconds());
  const std::string by = absl::FormatTime("%Y-%m-%d", deadline - absl::Seconds(1), tz);
  if (coverage.provisional()) {
    s.status = pb::STATUS_PROVISIONAL;
    const std::string known = absl::StrFormat("%.0f%%", coverage.outcomes_known() * 100);
    s.reason_en = absl::StrCat("outcomes known for ", known,
                               " of the period's graduates so far: judged once its follow-up "
                               "window has closed");
    s.reason_zh = absl::StrCat("目前已知 ", known, " 毕业学员的结果：跟踪期结束后再评估");
    return s;
  }
  if (info.accumulates && coverage.partial()) {
    s.status = pb::STATUS_PARTIAL_PERIOD;
    s.reason_en =
        "the period is still under way: a count that grows through it is judged when it "
        "ends";
    s.reason_zh = "本期尚未结束：随期累积的数值在期末评估";
    return s;
  }
  if (info.ratio && value.denominator == 0) {
    s.status = pb::STATUS_NO_DATA;
    s.reason_en = "nothing counted for this period yet";
    s.reason_zh = "本期尚无数据";
    return s;
  }
  if (at_least(v, goal)) {
    s.status = pb::STATUS_TARGET_MET;
    s.reason_en =
        absl::StrCat(shown, " meets the target of ", FormatValue(info, goal), " (", by, ")");
    s.reason_zh = absl::StrCat(shown, " 已达到目标 ", FormatValue(info, goal), "（", by, "）");
    return s;
  }
  if (!at_least(v, base)) {
    s.status = pb::STATUS_BELOW_BASELINE;
    s.reason_en = absl::StrCat(shown, up ? " is below" : " is above", " the baseline of ",
                               FormatValue(info, base), " (", baseline_year, ")");
    s.reason_zh = absl::StrCat(shown, up ? " 低于" : " 高于", "基线 ", FormatValue(info, base),
                               "（", baseline_year, "）");
    return s;
  }
  const absl::Time t0 = PeriodEnd(target.baseline_period(), tz);
  double elapsed = 1;
  if (deadline > t0) elapsed = std::clamp(absl::FDivDuration(at - t0, deadline - t0), 0.0, 1.0);
  const double expected = base + span * elapsed;
  s.status = at_least(v, expected) ? pb::STATUS_ON_TRACK : pb::STATUS_BEHIND;
  s.reason_en = absl::StrCat("expected ", FormatValue(info, expected), " by then on the path from ",
                             FormatValue(info, base), " (", baseline_year, ") to ",
                             FormatValue(info, goal), " (", by, "); ", shown);
  s.reason_zh = absl::StrCat("按从 ", FormatValue(info, base), "（", baseline_year, "）到 ",
                             FormatValue(info, goal), "（", by, "）的路径，此时应为 ",
                             FormatValue(info, expected), "；实际 ", shown);
  return s;
}

}  // namespace gnlc::analytics
