// The dashboard's figures and charts: values with the significant digits
// they need at any scale, bar charts, progress bars and the long trend
// charts with their target's straight line. Inline SVG only; every drawn
// value carries data-value so a browser test can check what was drawn.
#ifndef GNLC_SERVICES_ANALYTICS_DASHBOARD_CHARTS_H_
#define GNLC_SERVICES_ANALYTICS_DASHBOARD_CHARTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gnlc/analytics/v1/analytics.pb.h"
#include "services/analytics/indicator_format.h"
#include "services/analytics/indicators.h"

namespace gnlc::analytics {

// HTML-escapes text.
std::string Escape(absl::string_view s);

// A share of the population per 100,000 ("16.4 per 100,000"), for rates of
// residents that read better so.
std::string Per100k(double v, bool zh);

// How complete a drawn value is: whole, of a period still under way, or
// provisional (outcomes still being recorded). Drawn hatched when not whole,
// and named in the chart's table and legend: never by colour alone.
enum class Mark { kWhole, kPartial, kProvisional };
Mark MarkOf(const pb::Coverage& coverage);

// One bar: its label, value, and how complete it is.
struct Bar {
  std::string label;
  double value = 0;
  Mark mark = Mark::kWhole;
  std::string note;  // shown in the table, e.g. "outcomes known for 41%"
  // A ratio with nothing to divide by: no bar, shown as "–" (never as 0).
  bool empty = false;
};

// Vertical bars with their values above them (`per100k`: as residents per
// 100,000, e.g. "8.48"), for short labels (months).
std::string BarChart(const IndicatorInfo& info, const std::vector<Bar>& bars, absl::string_view id,
                     bool per100k = false);
// Horizontal bars, one per row, each label in a column wide enough for the
// longest (district names in either language never run into each other).
std::string RowChart(const IndicatorInfo& info, const std::vector<Bar>& bars, absl::string_view id,
                     bool per100k = false);
// The same values as a table, for screen readers and for copying: the text
// alternative of a chart (`value_header`: the values' column heading).
std::string ChartTable(const IndicatorInfo& info, const std::vector<Bar>& bars,
                       absl::string_view label_header, absl::string_view value_header, bool per100k,
                       bool zh);

std::string ProgressBar(const pb::IndicatorValue& v);

// A month's point of a trend: the month's start and its value.
struct TrendPoint {
  absl::Time start;
  double value = 0;
  std::string label;  // "2025-03"
  Mark mark = Mark::kWhole;
  // Nothing to divide by: not drawn, and the line breaks there.
  bool empty = false;
};
// The straight line a target draws: from `from` (value `from_value`) to
// `to` (value `to_value`).
struct TargetLine {
  absl::Time from, to;
  double from_value = 0, to_value = 0;
  std::string caption;  // "target 70% by 2029-12-31"
};
// A line of monthly values from `start` to `end`, January of each year
// marked on the axis, and the target's line clipped to the chart. The line
// joins whole periods only; partial and provisional ones are hollow points
// on a shaded band, labelled with `provisional_caption` when any is
// provisional.
std::string TrendChart(const IndicatorInfo& info, const std::vector<TrendPoint>& points,
                       absl::Time start, absl::Time end, const std::optional<TargetLine>& target,
                       absl::string_view id, absl::string_view provisional_caption = "");

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DASHBOARD_CHARTS_H_
