#include "services/analytics/dashboard_charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace gnlc::analytics {

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

std::string Per100k(double v, bool zh) {
  return zh ? absl::StrCat("每十万人 ", Significant(v * 100000))
            : absl::StrCat(Significant(v * 100000), " per 100,000");
}

Mark MarkOf(const pb::Coverage& coverage) {
  if (coverage.provisional()) return Mark::kProvisional;
  return coverage.partial() ? Mark::kPartial : Mark::kWhole;
}

namespace {

const char* MarkClass(Mark m) {
  switch (m) {
    case Mark::kPartial:
      return " partial";
    case Mark::kProvisional:
      return " provisional";
    default:
      return "";
  }
}

// The hatching of bars that are not whole, one per chart (ids are
// per document).
std::string HatchDefs(absl::string_view id) {
  return absl::StrFormat(
      "<defs><pattern id=\"hatch-%s\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#dbeafe\"></rect>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#0072b2\" stroke-width=\"3\"></line>"
      "</pattern></defs>",
      id);
}

// Inline, so that it wins over the page's .bar colour.
std::string BarFill(const Bar& b, absl::string_view id) {
  return b.mark == Mark::kWhole ? "" : absl::StrCat(" style=\"fill:url(#hatch-", id, ")\"");
}

std::string Shown(const IndicatorInfo& info, const Bar& b, bool per100k) {
  if (b.empty) return "–";
  return per100k ? Significant(b.value * 100000) : FormatValue(info, b.value);
}

// About how wide `text` is at the charts' 11px: CJK characters a full em,
// others a little over half of one (generous, so that nothing touches).
double TextWidth(absl::string_view text) {
  double w = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += n >= 3 ? 11.5 : 7;
    i += n;
  }
  return w;
}

}  // namespace

std::string BarChart(const IndicatorInfo& info, const std::vector<Bar>& bars, absl::string_view id,
                     bool per100k) {
  constexpr int kWidth = 480, kHeight = 170, kBarArea = 120, kTop = 24;
  double max = 0;
  for (const Bar& b : bars) max = std::max(max, b.value);
  const double scale = max > 0 ? kBarArea / max : 0;
  const int slot = bars.empty() ? kWidth : kWidth / static_cast<int>(bars.size());
  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\">%s",
      id, kWidth, kHeight, kWidth, kHeight, HatchDefs(id));
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double h = b.empty ? 0 : b.value * scale;
    const int x = static_cast<int>(i) * slot;
    absl::StrAppendFormat(
        &svg,
        "<rect class=\"bar%s\"%s x=\"%d\" y=\"%.2f\" width=\"%d\" height=\"%.2f\" "
        "data-value=\"%s\" data-label=\"%s\"></rect>",
        MarkClass(b.mark), BarFill(b, id), x + 4, kTop + kBarArea - h, slot - 8, h,
        PlainNumber(b.value), Escape(b.label));
    absl::StrAppendFormat(
        &svg, "<text class=\"value\" x=\"%d\" y=\"%.2f\" text-anchor=\"middle\">%s</text>",
        x + slot / 2, kTop + kBarArea - h - 4, Shown(info, b, per100k));
    absl::StrAppendFormat(
        &svg, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
        x + slot / 2, kTop + kBarArea + 16, Escape(b.label));
  }
  return svg + "</svg>";
}

std::string RowChart(const IndicatorInfo& info, const std::vector<Bar>& bars, absl::string_view id,
                     bool per100k) {
  constexpr double kWidth = 560, kRow = 22, kGap = 8, kValueRoom = 64;
  double label_w = 40;
  for (const Bar& b : bars) label_w = std::max(label_w, TextWidth(b.label));
  const double bar_x = label_w + kGap;
  const double bar_area = std::max(60.0, kWidth - bar_x - kValueRoom);
  const double height = kRow * static_cast<double>(bars.size()) + 4;
  double max = 0;
  for (const Bar& b : bars) max = std::max(max, b.value);
  const double scale = max > 0 ? bar_area / max : 0;
  std::string svg = absl::StrFormat(
      "<svg class=\"chart rows\" id=\"%s\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
      "%.0f\" role=\"img\">%s",
      id, kWidth, height, kWidth, height, HatchDefs(id));
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = kRow * static_cast<double>(i) + 2;
    const double w = b.empty ? 0 : b.value * scale;
    absl::StrAppendFormat(
        &svg,
        "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
        "<rect class=\"bar%s\"%s x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
        "data-value=\"%s\" data-label=\"%s\"></rect>"
        "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">%s</text>",
        label_w, y + 14, Escape(b.label), MarkClass(b.mark), BarFill(b, id), bar_x, y + 3, w,
        kRow - 6, PlainNumber(b.value), Escape(b.label), bar_x + w + 4, y + 14,
        Shown(info, b, per100k));
  }
  return svg + "</svg>";
}

std::string ChartTable(const IndicatorInfo& info, const std::vector<Bar>& bars,
                       absl::string_view label_header, absl::string_view value_header, bool per100k,
                       bool zh) {
  std::string html =
      absl::StrCat("<details class=\"data\"><summary>", zh ? "数据表" : "Table",
                   "</summary><table><tr><th>", Escape(label_header), "</th><th>",
                   Escape(value_header), "</th><th>", zh ? "说明" : "Note", "</th></tr>");
  for (const Bar& b : bars) {
    std::string note = b.note;
    if (note.empty() && b.mark == Mark::kPartial) note = zh ? "本期尚未结束" : "period under way";
    absl::StrAppend(&html, "<tr><td>", Escape(b.label), "</td><td>", Shown(info, b, per100k),
                    "</td><td>", Escape(note), "</td></tr>");
  }
  return html + "</table></details>";
}

std::string ProgressBar(const pb::IndicatorValue& v) {
  constexpr int kWidth = 160;
  const char* state = v.status() == pb::STATUS_BELOW_BASELINE ? "below"
                      : v.on_track()                          ? "ok"
                                                              : "behind";
  return absl::StrFormat(
      "<svg class=\"progress\" width=\"%d\" height=\"14\" viewBox=\"0 0 %d 14\">"
      "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"14\" fill=\"#e5e7eb\"></rect>"
      "<rect class=\"bar %s\" x=\"0\" y=\"0\" width=\"%.2f\" height=\"14\" "
      "data-value=\"%.6f\"></rect></svg>",
      kWidth, kWidth, kWidth, state, v.progress() * kWidth, v.progress());
}

std::string TrendChart(const IndicatorInfo& info, const std::vector<TrendPoint>& points,
                       absl::Time start, absl::Time end, const std::optional<TargetLine>& target,
                       absl::string_view id, absl::string_view provisional_caption) {
  // Room above the plot for the open band's caption, clear of the target's.
  constexpr double kWidth = 720, kHeight = 212, kRight = 12, kTop = 30, kBottom = 28;
  double max = 0, min = 0;
  for (const auto& p : points) {
    if (p.empty) continue;
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
  // Room for the longer of the axis's two values, right-aligned before it.
  const double kLeft = std::max(
      40.0, 8 + std::max(TextWidth(FormatValue(info, min)), TextWidth(FormatValue(info, max))));
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
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
  // Periods not whole (under way, or outcomes still coming in) sit on a
  // shaded band, off the line.
  const TrendPoint* first_open = nullptr;
  for (const auto& p : points) {
    if (p.mark != Mark::kWhole) {
      first_open = &p;
      break;
    }
  }
  if (first_open != nullptr) {
    const double from = x(first_open->start);
    absl::StrAppendFormat(&svg,
                          "<rect class=\"open-band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"></rect>",
                          from, kTop, kLeft + plot_w - from, plot_h);
    if (!provisional_caption.empty()) {
      absl::StrAppendFormat(&svg,
                            "<text class=\"open-caption\" x=\"%.1f\" y=\"%.1f\" "
                            "text-anchor=\"end\">%s</text>",
                            kLeft + plot_w - 2, 11.0, Escape(provisional_caption));
    }
  }
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
  const double half_month = plot_w / std::max<size_t>(points.size(), 1) / 2;
  // The line joins whole periods with a value; a period with nothing to
  // divide by breaks it (no point is drawn at a 0 that was never measured).
  std::vector<std::string> segments(1);
  for (const auto& p : points) {
    if (p.mark != Mark::kWhole) continue;
    if (p.empty) {
      if (!segments.back().empty()) segments.emplace_back();
      continue;
    }
    absl::StrAppendFormat(&segments.back(), "%.1f,%.1f ", x(p.start) + half_month, y(p.value));
  }
  for (const auto& segment : segments) {
    if (!segment.empty()) {
      absl::StrAppendFormat(&svg, "<polyline class=\"series\" points=\"%s\"/>", segment);
    }
  }
  for (const auto& p : points) {
    if (p.empty) continue;
    absl::StrAppendFormat(&svg,
                          "<circle class=\"point%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" "
                          "data-value=\"%s\" data-label=\"%s\"><title>%s %s</title></circle>",
                          MarkClass(p.mark), x(p.start) + half_month, y(p.value),
                          p.mark == Mark::kWhole ? "2.5" : "3", PlainNumber(p.value),
                          Escape(p.label), Escape(p.label), FormatValue(info, p.value));
  }
  return svg + "</svg>";
}

}  // namespace gnlc::analytics
