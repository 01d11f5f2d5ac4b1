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
#include "services/analytics/indicators.h"

namespace gnlc::analytics {

// HTML-escapes text.
std::string Escape(absl::string_view s);

// A rate as a percentage with three significant digits below 1% ("0.0164%",
// "0.0005%", never "0.0%"), one decimal above ("72.4%"); other indicators
// as numbers ("4.33").
std::string FormatValue(const IndicatorInfo& info, double v);
// A number as plain decimals, without exponent or trailing zeros
// ("0.0000012"), for data attributes and the CSV.
std::string PlainNumber(double x);

// A share of the population per 100,000 ("16.4 per 100,000"), for rates of
// residents that read better so.
std::string Per100k(double v, bool zh);

// Vertical bars with their values above them (`per100k`: as residents per
// 100,000, e.g. "8.48").
std::string BarChart(const IndicatorInfo& info, const std::vector<std::string>& labels,
                     const std::vector<double>& values, absl::string_view id, bool per100k = false);

std::string ProgressBar(const pb::IndicatorValue& v);

// A month's point of a trend: the month's start and its value.
struct TrendPoint {
  absl::Time start;
  double value = 0;
  std::string label;  // "2025-03"
};
// The straight line a target draws: from `from` (value `from_value`) to
// `to` (value `to_value`).
struct TargetLine {
  absl::Time from, to;
  double from_value = 0, to_value = 0;
  std::string caption;  // "target 70% by 2029-12-31"
};
// A line of monthly values from `start` to `end`, January of each year
// marked on the axis, and the target's line clipped to the chart.
std::string TrendChart(const IndicatorInfo& info, const std::vector<TrendPoint>& points,
                       absl::Time start, absl::Time end, const std::optional<TargetLine>& target,
                       absl::string_view id);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DASHBOARD_CHARTS_H_
