#include "services/analytics/dashboard.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

// How long the dashboard waits for peers.
constexpr absl::Duration kPeerTimeout = absl::Milliseconds(1500);
constexpr int kChartMonths = 12;

std::string QueryParam(absl::string_view query, absl::string_view name) {
  for (absl::string_view kv : absl::StrSplit(query, '&')) {
    const size_t eq = kv.find('=');
    if (eq != absl::string_view::npos && kv.substr(0, eq) == name) {
      return std::string(kv.substr(eq + 1));
    }
  }
  return "";
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

std::string Format(const IndicatorInfo& info, double v) {
  if (info.percent) return absl::StrFormat("%.1f%%", v * 100);
  if (info.indicator == pb::INDICATOR_MEAN_RATING ||
      info.indicator == pb::INDICATOR_WAITLIST_PRESSURE) {
    return absl::StrFormat("%.2f", v);
  }
  return absl::StrFormat("%.0f", v);
}

struct Text {
  bool zh;
  const char* operator()(const char* zh_text, const char* en_text) const {
    return zh ? zh_text : en_text;
  }
};

// Vertical bars with their values written above them. Each bar carries its
// value in data-value, so a browser test can check what was drawn.
std::string BarChart(const IndicatorInfo& info, const std::vector<std::string>& labels,
                     const std::vector<double>& values, absl::string_view id) {
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
                          "data-value=\"%.6f\" data-label=\"%s\"></rect>",
                          x + 4, kTop + kBarArea - h, slot - 8, h, values[i], Escape(labels[i]));
    absl::StrAppendFormat(
        &svg, "<text class=\"value\" x=\"%d\" y=\"%.2f\" text-anchor=\"middle\">%s</text>",
        x + slot / 2, kTop + kBarArea - h - 4, Format(info, values[i]));
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

constexpr char kStyle[] = R"css(
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#111827}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left;font-size:14px}
.bar{fill:#2563eb}.bar.behind{fill:#d97706}.bar.ok{fill:#059669}
.chart text{font-size:11px;fill:#374151}.charts{display:flex;flex-wrap:wrap;gap:24px}
.note{color:#6b7280;font-size:13px}.off{color:#b91c1c}
)css";

// Checks after layout that every bar was drawn, writing its rendered size
// next to its value (read by the browser test; harmless otherwise).
constexpr char kRenderedScript[] = R"js(
addEventListener('load', function () {
  document.querySelectorAll('rect[data-value]').forEach(function (r) {
    var b = r.getBBox();
    r.setAttribute('data-rendered', b.width.toFixed(2) + 'x' + b.height.toFixed(2));
  });
  document.body.setAttribute('data-rendered', 'yes');
});
)js";

}  // namespace

HttpResponse RenderDashboard(AnalyticsService& service, absl::string_view query) {
  const Text t{QueryParam(query, "lang") != "en"};
  pb::Period period = service.CurrentPeriod(pb::PERIOD_KIND_YEAR);
  if (const std::string p = QueryParam(query, "period"); !p.empty()) {
    auto parsed = ParsePeriodKey(p);
    if (!parsed.ok())
      return {400, "text/plain; charset=utf-8", std::string(parsed.status().message()) + "\n"};
    period = *parsed;
  }
  auto card = service.Scorecard(period);
  if (!card.ok()) return {503, "text/plain; charset=utf-8", "analytics data unavailable, retry\n"};
  const CityConfig& city = service.city();
  const std::string city_name = t.zh ? city.display_name().zh() : city.display_name().en();

  std::string html = absl::StrCat(
      "<!DOCTYPE html><html lang=\"", t("zh", "en"), "\"><head><meta charset=\"utf-8\">",
      "<meta name=\"viewport\" content=\"width=device-width\"><title>",
      Escape(city_name.empty() ? city.city_id() : city_name), " ",
      t("学习型城市指标", "learning city indicators"), "</title><style>", kStyle,
      "</style></head><body><h1>", Escape(city_name.empty() ? city.city_id() : city_name), " · ",
      t("学习型城市指标", "Learning city indicators"), " · ", PeriodLabel(period), "</h1>",
      "<p class=\"note\"><a href=\"?lang=zh&period=", PeriodKey(period), "\">中文</a> · ",
      "<a href=\"?lang=en&period=", PeriodKey(period), "\">English</a></p>");

  // Scorecard.
  absl::StrAppend(&html, "<h2>", t("计分卡", "Scorecard"), "</h2><table id=\"scorecard\"><tr><th>",
                  t("指标", "Indicator"), "</th><th>", t("当前值", "Value"), "</th><th>",
                  t("目标", "Target"), "</th><th>", t("进度", "Progress"), "</th><th>",
                  t("状态", "Status"), "</th></tr>");
  for (const auto& v : (*card)->indicators()) {
    const IndicatorInfo* info = FindIndicator(v.indicator());
    absl::StrAppend(&html, "<tr data-indicator=\"", info->slug, "\"><td>",
                    Escape(t.zh ? v.display_name().zh() : v.display_name().en()),
                    "<div class=\"note\">", Escape(info->building_block),
                    "</div></td><td class=\"v\">", Format(*info, v.value()));
    if (v.denominator() > 0) {
      absl::StrAppend(&html, " <span class=\"note\">(", v.numerator(), " / ", v.denominator(),
                      ")</span>");
    }
    absl::StrAppend(&html, "</td>");
    if (v.has_target()) {
      absl::StrAppend(
          &html, "<td>", Format(*info, v.target().target_value()), " ", t("于", "by"), " ",
          absl::FormatTime(
              "%Y-%m-%d", absl::FromUnixSeconds(v.target().deadline().seconds()) - absl::Seconds(1),
              service.time_zone()),
          "</td><td>", ProgressBar(v), absl::StrFormat(" %.0f%%", v.progress() * 100), "</td><td>",
          v.on_track() ? t("按计划", "on track") : t("落后", "behind"), "</td>");
    } else {
      absl::StrAppend(&html, "<td>–</td><td></td><td></td>");
    }
    absl::StrAppend(&html, "</tr>");
  }
  absl::StrAppend(&html, "</table>");

  // Monthly charts, the last 12 months to the end of the period (or now).
  pb::Period last = service.CurrentPeriod(pb::PERIOD_KIND_MONTH);
  const pb::Period period_last =
      MakePeriod(pb::PERIOD_KIND_MONTH, period.year(),
                 period.kind() == pb::PERIOD_KIND_MONTH     ? period.index()
                 : period.kind() == pb::PERIOD_KIND_QUARTER ? period.index() * 3
                                                            : 12);
  if (Ordinal(period_last) < Ordinal(last)) last = period_last;
  pb::Period first = last;
  for (int i = 1; i < kChartMonths; ++i) {
    first = first.index() == 1 ? MakePeriod(pb::PERIOD_KIND_MONTH, first.year() - 1, 12)
                               : MakePeriod(pb::PERIOD_KIND_MONTH, first.year(), first.index() - 1);
  }
  auto months = PeriodRange(first, last, kChartMonths);
  absl::StrAppend(&html, "<h2>", t("月度趋势", "Monthly trend"), "</h2><div class=\"charts\">");
  for (pb::Indicator ind : {pb::INDICATOR_PARTICIPATION_RATE, pb::INDICATOR_JOB_PLACEMENT_RATE,
                            pb::INDICATOR_SATISFACTION, pb::INDICATOR_WAITLIST_PRESSURE}) {
    const IndicatorInfo* info = FindIndicator(ind);
    auto points = service.Series(ind, *months);
    if (!points.ok()) continue;
    std::vector<std::string> labels;
    std::vector<double> values;
    for (const auto& p : *points) {
      labels.push_back(absl::StrFormat("%02d", p.period().index()));
      values.push_back(p.value());
    }
    absl::StrAppend(&html, "<figure><figcaption>", t.zh ? info->zh : info->en, " (",
                    PeriodLabel(first), " – ", PeriodLabel(last), ")</figcaption>",
                    BarChart(*info, labels, values, absl::StrCat("series-", info->slug)),
                    "</figure>");
  }
  absl::StrAppend(&html, "</div>");

  // Breakdown by district.
  const IndicatorInfo* part = FindIndicator(pb::INDICATOR_PARTICIPATION_RATE);
  if (auto rows =
          service.Breakdown(pb::INDICATOR_PARTICIPATION_RATE, period, pb::DIMENSION_DISTRICT);
      rows.ok()) {
    std::vector<std::string> labels;
    std::vector<double> values;
    for (const auto& r : *rows) {
      std::string label = r.key();
      for (const auto& d : city.districts()) {
        if (d.id() == r.key() && !(t.zh ? d.display_name().zh() : d.display_name().en()).empty()) {
          label = t.zh ? d.display_name().zh() : d.display_name().en();
        }
      }
      labels.push_back(label);
      values.push_back(r.value());
    }
    absl::StrAppend(&html, "<h2>", t("各区参与率", "Participation by district"), " · ",
                    PeriodLabel(period), "</h2>",
                    BarChart(*part, labels, values, "breakdown-district"));
  }

  // Peer cities.
  absl::StrAppend(&html, "<h2>", t("城市比较", "Comparison with peer cities"),
                  "</h2><table id=\"peers\"><tr><th>", t("城市", "City"), "</th>");
  const std::vector<pb::Indicator> compared = {pb::INDICATOR_PARTICIPATION_RATE,
                                               pb::INDICATOR_JOB_PLACEMENT_RATE,
                                               pb::INDICATOR_SATISFACTION};
  for (pb::Indicator ind : compared) {
    const IndicatorInfo* info = FindIndicator(ind);
    absl::StrAppend(&html, "<th>", t.zh ? info->zh : info->en, "</th>");
  }
  absl::StrAppend(&html, "</tr>");
  for (const auto& c : service.Compare(period, kPeerTimeout)) {
    absl::StrAppend(&html, "<tr data-city=\"", Escape(c.city()), "\"><td>", Escape(c.city()),
                    "</td>");
    if (!c.available()) {
      absl::StrAppend(&html, "<td colspan=\"3\" class=\"off\">", t("不可用", "unavailable"), ": ",
                      Escape(c.error()), "</td></tr>");
      continue;
    }
    for (pb::Indicator ind : compared) {
      for (const auto& v : c.indicators()) {
        if (v.indicator() == ind)
          absl::StrAppend(&html, "<td>", Format(*FindIndicator(ind), v.value()), "</td>");
      }
    }
    absl::StrAppend(&html, "</tr>");
  }
  absl::StrAppend(&html, "</table><p class=\"note\">",
                  t("数据来自本市各服务的事件流，实时更新。CSV：",
                    "Computed from the city's event streams in real time. CSV: "),
                  "<a "
                  "href=\"/export.csv?indicator=participation-rate\">/"
                  "export.csv?indicator=participation-rate</a></p>",
                  "<script>", kRenderedScript, "</script></body></html>");
  return {200, "text/html; charset=utf-8", std::move(html)};
}

HttpResponse RenderCsv(AnalyticsService& service, absl::string_view query) {
  const auto bad = [](absl::string_view why) {
    return HttpResponse{400, "text/plain; charset=utf-8", absl::StrCat(why, "\n")};
  };
  const IndicatorInfo* info = FindIndicatorBySlug(QueryParam(query, "indicator"));
  if (info == nullptr) {
    std::string names;
    for (const auto& i : AllIndicators())
      absl::StrAppend(&names, names.empty() ? "" : ", ", i.slug);
    return bad(absl::StrCat("indicator= must be one of: ", names));
  }
  pb::Period to = service.CurrentPeriod(pb::PERIOD_KIND_MONTH);
  if (const std::string s = QueryParam(query, "to"); !s.empty()) {
    auto p = ParsePeriodKey(s);
    if (!p.ok()) return bad(p.status().message());
    to = *p;
  }
  pb::Period from = to.kind() == pb::PERIOD_KIND_MONTH
                        ? MakePeriod(pb::PERIOD_KIND_MONTH, to.year() - 1 + (to.index() == 12),
                                     to.index() % 12 + 1)
                        : to;
  if (const std::string s = QueryParam(query, "from"); !s.empty()) {
    auto p = ParsePeriodKey(s);
    if (!p.ok()) return bad(p.status().message());
    from = *p;
  }
  auto periods = PeriodRange(from, to, 120);
  if (!periods.ok()) return bad(periods.status().message());
  auto points = service.Series(info->indicator, *periods);
  if (!points.ok())
    return {503, "text/plain; charset=utf-8", "analytics data unavailable, retry\n"};
  std::string csv = "period,indicator,value,numerator,denominator\r\n";
  for (const auto& p : *points) {
    absl::StrAppendFormat(&csv, "%s,%s,%.6f,%d,%d\r\n", PeriodKey(p.period()), info->slug,
                          p.value(), p.numerator(), p.denominator());
  }
  return {200, "text/csv; charset=utf-8", std::move(csv)};
}

void AddDashboard(AdminHttpServer& admin, AnalyticsService* service) {
  admin.AddHandler("/dashboard",
                   [service](const HttpRequest& r) { return RenderDashboard(*service, r.query); });
  admin.AddHandler("/export.csv",
                   [service](const HttpRequest& r) { return RenderCsv(*service, r.query); });
}

}  // namespace gnlc::analytics
