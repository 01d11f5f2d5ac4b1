#include "services/analytics/indicator_format.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace gnlc::analytics {

std::string Significant(double x) {
  if (x == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(x))));
  const int decimals = std::clamp(2 - magnitude, 0, 12);
  std::string s = absl::StrFormat("%.*f", decimals, x);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string PlainNumber(double x) {
  std::string s = absl::StrFormat("%.12f", x);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string FormatValue(const IndicatorInfo& info, double v) {
  if (info.percent) {
    const double pct = v * 100;
    if (pct == 0) return "0%";
    if (std::fabs(pct) >= 1) return absl::StrFormat("%.1f%%", pct);
    return Significant(pct) + "%";
  }
  if (info.indicator == pb::INDICATOR_MEAN_RATING ||
      info.indicator == pb::INDICATOR_WAITLIST_PRESSURE) {
    return absl::StrFormat("%.2f", v);
  }
  return absl::StrFormat("%.0f", v);
}

}  // namespace gnlc::analytics
