#include "services/analytics/dashboard_charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace gnlc::analytics {
namespace {

// `x` with three significant digits, trailing zeros dropped ("0.0164",
// "0.0005", "12.3").
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

}  // namespace

std::string PlainNumber(double x) {
  std::string s = absl::StrFormat("%.12f", x);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string Escape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
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

std::string Per100k(double v, bool zh) {
  return zh ? absl::StrCat("每十万人 ", Significant(v * 100000))
            : absl::StrCat(Significant(v * 100000), " per 100,000");
}

std::string BarChart(const IndicatorInfo& info, const std::vector<std::string>& labels,
                     const std::vector<double>& values, absl::string_view id, bool per100k) {
  constexpr int kWidth = 480, kHeight = 170, kBarArea = 120, kTop = 24;
  double max = 0;
  for (double v : values) max = std::max(max, v);
  const double scale = max > 0 ? kBarArea / max : 0;
  const int slot = values.empty() ? kWidth : kWidth / static_cast<int>(values.size());
  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\">",
      id, kWidth, kHeight, kWidth, kHeight);
  for (size_t i = 0; i < values.size(); ++i) {
    const double h = values[i] * scale;
    const int x = static_cast<int>(i) * slot;
    absl::StrAppendFormat(&svg,
                          "<rect class=\"bar\" x=\"%d\" y=\"%.2f\" width=\"%d\" height=\"%.2f\" "
                          "data-value=\"%s\" data-label=\"%s\"></rect>",
                          x + 4, kTop + kBarArea - h, slot - 8, h, PlainNumber(values[i]),
                          Escape(labels[i]));
    absl::StrAppendFormat(
        &svg, "<text class=\"value\" x=\"%d\" y=\"%.2f\" text-anchor=\"middle\">%s</text>",
        x + slot / 2, kTop + kBarArea - h - 4,
        per100k ? Significant(values[i] * 100000) : FormatValue(info, values[i]));
    absl::StrAppendFormat(
        &svg, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
        x + slot / 2, kTop + kBarArea + 16, Escape(labels[i]));
  }
  return svg + "</svg>";
}

std::string ProgressBar(const pb::IndicatorValue& v) {
  constexpr int kWidth = 200;
  return absl::StrFormat(
      "<svg class=\"progress\" width=\"%d\" height=\"14\" viewBox=\"0 0 %d 14\">"
      "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"14\" fill=\"#e5e7eb\"></rect>"
      "<rect class=\"bar %s\" x=\"0\" y=\"0\" width=\"%.2f\" height=\"14\" "
      "data-value=\"%.6f\"></rect></svg>",
      kWidth, kWidth, kWidth, v.on_track() ? "ok" : "behind", v.progress() * kWidth, v.progress());
}

std::string TrendChart(const IndicatorInfo& info, const std::vector<TrendPoint>& points,
                       absl::Time start, absl::Time end, const std::optional<TargetLine>& target,
                       absl::string_view id) {
  constexpr double kWidth = 720, kHeight = 200, kLeft = 56, kRight = 12, kTop = 16, kBottom = 28;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  double max = 0, min = 0;
  for (const auto& p : points) {
    max = std::max(max, p.value);
    min = std::min(min, p.value);
  }
  // The target's line at the chart's edges (clipped to its own span).
  std::optional<std::pair<std::pair<absl::Time, double>, std::pair<absl::Time, double>>> line;
  if (target && target->to > target->from && target->to > start && target->from < end) {
    const auto at = [&](absl::Time t) {
      const double share = absl::FDivDuration(t - target->from, target->to - target->from);
      return target->from_value + (target->to_value - target->from_value) * share;
    };
    const absl::Time a = std::max(start, target->from), b = std::min(end, target->to);
    line = {{a, at(a)}, {b, at(b)}};
    max = std::max({max, line->first.second, line->second.second});
    min = std::min({min, line->first.second, line->second.second});
  }
  if (max <= min) max = min + 1;
  max += (max - min) * 0.08;
  const double span = absl::ToDoubleSeconds(end - start);
  const auto x = [&](absl::Time t) {
    return kLeft + plot_w * std::clamp(absl::ToDoubleSeconds(t - start) / span, 0.0, 1.0);
  };
  const auto y = [&](double v) { return kTop + plot_h * (1 - (v - min) / (max - min)); };

  std::string svg = absl::StrFormat(
      "<svg class=\"trend\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\">",
      id, static_cast<int>(kWidth), static_cast<int>(kHeight), static_cast<int>(kWidth),
      static_cast<int>(kHeight));
  // The axis: zero (or the bottom), the top value, January of every year.
  absl::StrAppendFormat(&svg,
                        "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
                        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                        kLeft, y(min), kLeft + plot_w, y(min), kLeft - 4, y(min) + 4,
                        FormatValue(info, min), kLeft - 4, kTop + 8, FormatValue(info, max));
  for (const auto& p : points) {
    if (p.label.size() == 7 && p.label.substr(5) == "01") {
      absl::StrAppendFormat(&svg,
                            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                            "<text class=\"tick year\" x=\"%.1f\" y=\"%.1f\">%s</text>",
                            x(p.start), kTop, x(p.start), kTop + plot_h, x(p.start) + 3,
                            kHeight - 10, p.label.substr(0, 4));
    }
  }
  if (line) {
    absl::StrAppendFormat(&svg,
                          "<line class=\"target\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "data-from=\"%s\" data-to=\"%s\"/>"
                          "<text class=\"target-caption\" x=\"%.1f\" y=\"%.1f\" "
                          "text-anchor=\"end\">%s</text>",
                          x(line->first.first), y(line->first.second), x(line->second.first),
                          y(line->second.second), PlainNumber(line->first.second),
                          PlainNumber(line->second.second), x(line->second.first) - 2,
                          y(line->second.second) - 6, Escape(target->caption));
  }
  std::string path;
  const double half_month = plot_w / std::max<size_t>(points.size(), 1) / 2;
  for (const auto& p : points) {
    absl::StrAppendFormat(&path, "%s%.1f,%.1f ", path.empty() ? "" : "", x(p.start) + half_month,
                          y(p.value));
  }
  absl::StrAppendFormat(&svg, "<polyline class=\"series\" points=\"%s\"/>", path);
  for (const auto& p : points) {
    absl::StrAppendFormat(&svg,
                          "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
                          "data-value=\"%s\" data-label=\"%s\"><title>%s %s</title></circle>",
                          x(p.start) + half_month, y(p.value), PlainNumber(p.value),
                          Escape(p.label), Escape(p.label), FormatValue(info, p.value));
  }
  return svg + "</svg>";
}

}  // namespace gnlc::analytics
