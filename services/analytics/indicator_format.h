// Indicator values as people and spreadsheets read them, shared by the
// status reasons of the API (standing.h), the dashboard and the CSV.
//
//   FormatValue(info, 0.7243)   // "72.4%"
//   PlainNumber(1.2e-6)         // "0.0000012"
#ifndef GNLC_SERVICES_ANALYTICS_INDICATOR_FORMAT_H_
#define GNLC_SERVICES_ANALYTICS_INDICATOR_FORMAT_H_

#include <string>

#include "services/analytics/indicators.h"

namespace gnlc::analytics {

// A rate as a percentage with three significant digits below 1% ("0.0164%",
// "0.0005%", never "0.0%"), one decimal above ("72.4%"); other indicators
// as numbers ("4.33").
std::string FormatValue(const IndicatorInfo& info, double v);
// A number as plain decimals, without exponent or trailing zeros
// ("0.0000012"), for data attributes and the CSV.
std::string PlainNumber(double x);
// `x` with three significant digits, trailing zeros dropped ("0.0164",
// "0.0005", "12.3").
std::string Significant(double x);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_INDICATOR_FORMAT_H_
