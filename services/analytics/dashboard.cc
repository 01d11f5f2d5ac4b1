#include "services/analytics/dashboard.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/analytics/dashboard_charts.h"
#include "services/analytics/definitions.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

// How long the dashboard waits for peers.
constexpr absl::Duration kPeerTimeout = absl::Milliseconds(1500);
constexpr int kChartMonths = 12;
// Redis's memory at or above this share of its limit shows as a warning.
constexpr double kStorageWarnShare = 0.8;

std::string QueryParam(absl::string_view query, absl::string_view name) {
  for (absl::string_view kv : absl::StrSplit(query, '&')) {
    const size_t eq = kv.find('=');
    if (eq != absl::string_view::npos && kv.substr(0, eq) == name) {
      return std::string(kv.substr(eq + 1));
    }
  }
  return "";
}

struct Text {
  bool zh;
  const char* operator()(const char* zh_text, const char* en_text) const {
    return zh ? zh_text : en_text;
  }
};

// The years a history goes back at most (the year picker, the trends).
constexpr int kMaxYears = 10;

// Colours from the Okabe-Ito palette, which readers with any common colour
// vision deficiency tell apart; every state is also written in words, and
// bars not whole are hatched, so colour is never the only cue.
constexpr char kStyle[] = R"css(
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#111827}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left;font-size:14px;vertical-align:top}
.bar{fill:#0072b2}.bar.behind{fill:#e69f00}.bar.ok{fill:#0072b2}.bar.below{fill:#d55e00}
.bar.partial,.bar.provisional{stroke:#0072b2;stroke-width:1}
.chart text,.trend text{font-size:11px;fill:#374151}.charts{display:flex;flex-wrap:wrap;gap:24px}
.note{color:#4b5563;font-size:13px}.off{color:#b91c1c}.legend{color:#4b5563;font-size:12px;margin:2px 0 0}
.status{font-weight:600}.status.behind{color:#9a5b00}.status.below{color:#b34700}.status.ok,.status.met{color:#005a8c}.status.open{color:#4b5563}
nav.years a{display:inline-block;padding:2px 10px;margin-right:4px;border:1px solid #d1d5db;border-radius:12px;color:#1f2937;text-decoration:none;font-size:13px}
nav.years a.current{background:#0072b2;border-color:#0072b2;color:#fff}
.trend .series{fill:none;stroke:#0072b2;stroke-width:1.8}.trend .point{fill:#0072b2}
.trend .point.partial,.trend .point.provisional{fill:#fff;stroke:#0072b2;stroke-width:1.5}
.trend .open-band{fill:#f3f4f6}.trend .open-caption{fill:#4b5563}
.trend .target{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}.trend .target-caption{fill:#000}
.trend .target-caption,.trend .open-caption{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.trend .axis{stroke:#9ca3af}.trend .grid{stroke:#e5e7eb}
details.data{font-size:13px;margin-top:4px}details.data table td,details.data table th{font-size:12px;padding:2px 8px}
dl.definitions dt{font-weight:600;margin-top:8px;font-size:14px}dl.definitions dd{margin:2px 0 0 0;font-size:13px;color:#374151}
.signout{position:absolute;top:22px;right:24px;margin:0}
.signout button{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:4px 12px;font-size:13px;color:#374151;cursor:pointer}
svg{max-width:100%;height:auto}.scroll{overflow-x:auto}
@media (max-width:640px){body{margin:12px}.signout{position:static;text-align:right;margin-bottom:4px}h1{font-size:19px}td,th{padding:4px 6px}}
@media print{
@page{size:A4;margin:14mm 12mm}
body{margin:0;font-size:12px}h1{font-size:18px;margin-top:0}h2{font-size:14px;margin-top:16px;break-after:avoid}
.signout,nav.years,.langs,.screen-only,details.data,#storage{display:none}
figure{margin:6px 0;break-inside:avoid}table,dl.definitions dt,dl.definitions dd,.trends figure{break-inside:avoid}
.charts{display:block}td,th{font-size:11px;padding:3px 6px}.note{font-size:10px}
a{color:inherit;text-decoration:none}
}
)css";

// The first month with any participation, within the last kMaxYears.
pb::Period FirstMonthWithData(AnalyticsService& service, int current_year) {
  std::vector<pb::Period> years;
  for (int y = current_year - kMaxYears + 1; y <= current_year; ++y) {
    years.push_back(MakePeriod(pb::PERIOD_KIND_YEAR, y));
  }
  auto points = service.Series(pb::INDICATOR_PARTICIPATION_RATE, years);
  int year = current_year;
  if (points.ok()) {
    for (auto it = points->rbegin(); it != points->rend(); ++it) {
      if (it->numerator() > 0) year = it->period().year();
    }
  }
  auto months = PeriodRange(MakePeriod(pb::PERIOD_KIND_MONTH, year, 1),
                            MakePeriod(pb::PERIOD_KIND_MONTH, year, 12), 12);
  if (months.ok()) {
    auto monthly = service.Series(pb::INDICATOR_PARTICIPATION_RATE, *months);
    if (monthly.ok()) {
      for (const auto& p : *monthly) {
        if (p.numerator() > 0) return p.period();
      }
    }
  }
  return MakePeriod(pb::PERIOD_KIND_MONTH, year, 1);
}

// Links to each year of the history, the shown one marked.
std::string YearPicker(int first, int last, const pb::Period& shown, bool zh) {
  std::string html = absl::StrCat("<nav class=\"years\" id=\"years\">", zh ? "年份：" : "Year: ");
  for (int y = first; y <= last; ++y) {
    absl::StrAppend(&html, "<a href=\"?lang=", zh ? "zh" : "en", "&period=", y, "\"",
                    y == shown.year() ? " class=\"current\"" : "", ">", y, "</a>");
  }
  return html + "</nav>";
}

// A city's name in the page's language, or its id.
std::string CityLabel(const gnlc::type::v1::LocalizedText& name, const std::string& id, bool zh) {
  const std::string& text = zh ? name.zh() : name.en();
  return text.empty() ? id : text;
}

// Checks after layout that every bar was drawn, writing its rendered size
// next to its value (read by the browser test; harmless otherwise).
}  // namespace

// Marks what the browser drew, for the tests that read the page back.
extern const char kDashboardScript[] = R"js(
addEventListener('load', function () {
  document.querySelectorAll('rect[data-value]').forEach(function (r) {
    var b = r.getBBox();
    r.setAttribute('data-rendered', b.width.toFixed(2) + 'x' + b.height.toFixed(2));
  });
  // Labels of a chart that run into each other, as drawn at this width.
  var overlaps = [];
  document.querySelectorAll('svg').forEach(function (svg) {
    var boxes = [];
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width > 0) boxes.push([t.textContent, r]);
    });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i][1], b = boxes[j][1];
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 &&
            b.top < a.bottom - 0.5) {
          overlaps.push(svg.id + ':' + boxes[i][0] + '|' + boxes[j][0]);
        }
      }
    }
  });
  // And the page's title with the sign-out button above it.
  var title = document.querySelector('h1'), out = document.querySelector('.signout');
  if (title && out) {
    var text = document.createRange();
    text.selectNodeContents(title);
    var a = text.getBoundingClientRect(), b = out.getBoundingClientRect();
    if (b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      overlaps.push('title|sign out');
    }
  }
  document.body.setAttribute('data-overlaps', overlaps.join(';'));
  document.body.setAttribute('data-rendered', 'yes');
});
)js";

namespace {

// The bars of a series, marked and annotated by coverage.
std::vector<Bar> BarsOf(const IndicatorInfo& info, const std::vector<pb::SeriesPoint>& points,
                        const Text& t, bool month_labels) {
  std::vector<Bar> bars;
  for (const auto& p : points) {
    Bar b{month_labels ? absl::StrFormat("%02d", p.period().index()) : PeriodLabel(p.period()),
          p.value(), MarkOf(p.coverage()), "", info.ratio && p.denominator() == 0};
    if (p.coverage().provisional()) {
      b.note = absl::StrCat(t("暂定，已知结果 ", "provisional, outcomes known for "),
                            absl::StrFormat("%.0f%%", p.coverage().outcomes_known() * 100));
    }
    bars.push_back(std::move(b));
  }
  return bars;
}

// Monthly series since `first` (the history's first month) of participation
// and of the indicators the city set targets for, each chart with its
// target's line.
std::string TrendSection(AnalyticsService& service, const pb::GetScorecardResponse& card,
                         const pb::Period& first, bool zh) {
  const absl::TimeZone tz = service.time_zone();
  const pb::Period last = service.CurrentPeriod(pb::PERIOD_KIND_MONTH);
  auto months = PeriodRange(first, last, kMaxYears * 12);
  if (!months.ok()) return "";
  std::string html =
      absl::StrCat("<h2>", zh ? "长期趋势（按月）" : "Trends by month", " · ", PeriodLabel(first),
                   " – ", PeriodLabel(last), "</h2><div class=\"trends\">");
  for (pb::Indicator ind : {pb::INDICATOR_PARTICIPATION_RATE, pb::INDICATOR_PARTICIPATION_GROWTH,
                            pb::INDICATOR_JOB_PLACEMENT_RATE, pb::INDICATOR_SATISFACTION}) {
    const IndicatorInfo* info = FindIndicator(ind);
    auto points = service.Series(ind, *months);
    if (!points.ok()) continue;
    std::vector<TrendPoint> trend;
    for (const auto& p : *points) {
      trend.push_back({PeriodStart(p.period(), tz), p.value(), PeriodKey(p.period()),
                       MarkOf(p.coverage()), info->ratio && p.denominator() == 0});
    }
    std::optional<TargetLine> line;
    for (const auto& v : card.indicators()) {
      if (v.indicator() != ind || !v.has_target()) continue;
      const pb::Target& target = v.target();
      const absl::Time deadline = absl::FromUnixSeconds(target.deadline().seconds());
      line = TargetLine{PeriodEnd(target.baseline_period(), tz), deadline, target.baseline_value(),
                        target.target_value(),
                        absl::StrCat(zh ? "目标 " : "target ",
                                     FormatValue(*info, target.target_value()), zh ? "，" : " by ",
                                     absl::FormatTime("%Y-%m-%d", deadline - absl::Seconds(1), tz),
                                     zh ? " 前" : "")};
    }
    absl::StrAppend(
        &html, "<figure><figcaption>", zh ? info->zh : info->en, "</figcaption>",
        TrendChart(
            *info, trend, PeriodStart(first, tz), PeriodEnd(last, tz), line,
            absl::StrCat("trend-", info->slug),
            info->follow_up ? (zh ? "暂定：跟踪期未结束" : "provisional: follow-up open") : ""),
        ChartTable(*info, BarsOf(*info, *points, Text{zh}, /*month_labels=*/false),
                   zh ? "月份" : "Month", zh ? "数值" : "Value", /*per100k=*/false, zh),
        "</figure>");
  }
  return html + "</div>";
}

// The city Redis's memory against its limit: a city sees it fill up long
// before writes are refused (docs/operations/running-a-city.md, "Sizing Redis").
std::string StorageStatus(AnalyticsService& service, const Text& t) {
  auto memory = service.StorageMemory();
  if (!memory.ok()) {
    return absl::StrCat("<p id=\"storage\" class=\"note off\">",
                        t("存储：暂时无法读取", "Storage: not readable right now"), "</p>");
  }
  const auto mb = [](int64_t bytes) { return absl::StrFormat("%.0f MB", bytes / 1048576.0); };
  const std::string attributes =
      absl::StrCat(" data-used=\"", memory->used, "\" data-limit=\"", memory->limit, "\"");
  if (memory->limit <= 0) {
    return absl::StrCat("<p id=\"storage\" class=\"note off\"", attributes, ">",
                        t("存储：已用 ", "Storage: "), mb(memory->used),
                        t("，未设上限（maxmemory）", " used, no limit set (maxmemory)"), "</p>");
  }
  const double share = static_cast<double>(memory->used) / static_cast<double>(memory->limit);
  const bool high = share >= kStorageWarnShare;
  return absl::StrCat(
      "<p id=\"storage\" class=\"note", high ? " off" : "", "\"", attributes, ">",
      t("存储：已用 ", "Storage: "), mb(memory->used), t(" / 上限 ", " of "), mb(memory->limit),
      t("", " used"),
      t.zh ? absl::StrFormat("（%.0f%%）", share * 100) : absl::StrFormat(" (%.0f%%)", share * 100),
      high ? t("，请扩容或归档旧记录", ": make room or raise the limit") : "", "</p>");
}

// What each indicator means, on the page and on the printed report.
std::string Definitions(int follow_up_months, const Text& t) {
  std::string html = absl::StrCat("<h2 id=\"definitions\">", t("指标定义", "Definitions"),
                                  "</h2><dl class=\"definitions\">");
  for (const IndicatorInfo& info : AllIndicators()) {
    absl::StrAppend(&html, "<dt>", t.zh ? info.zh : info.en, "</dt><dd>",
                    Escape(IndicatorDefinition(info.indicator, t.zh, follow_up_months)), "</dd>");
  }
  return html + "</dl>";
}

// The status in words, coloured by class (never by colour alone).
std::string StatusWords(pb::Status status, const Text& t) {
  const auto words = [&](const char* cls, const char* zh, const char* en) {
    return absl::StrCat("<span class=\"status ", cls, "\">", t(zh, en), "</span>");
  };
  switch (status) {
    case pb::STATUS_ON_TRACK:
      return words("ok", "按计划", "on track");
    case pb::STATUS_BEHIND:
      return words("behind", "落后", "behind");
    case pb::STATUS_BELOW_BASELINE:
      return words("below", "低于基线", "below baseline");
    case pb::STATUS_TARGET_MET:
      return words("met", "已达标", "target met");
    case pb::STATUS_PROVISIONAL:
      return words("open", "暂定", "provisional");
    case pb::STATUS_PARTIAL_PERIOD:
      return words("open", "本期未完", "period under way");
    case pb::STATUS_NO_DATA:
      return words("open", "暂无数据", "no data yet");
    default:
      return "";
  }
}

// Under a value: what it covers when that is not a whole period's final
// figure.
std::string CoverageNote(const IndicatorInfo& info, const pb::Coverage& c, const Text& t) {
  std::string note;
  if (c.provisional()) {
    absl::StrAppend(&note, t("暂定：已知 ", "provisional: outcomes known for "),
                    absl::StrFormat("%.0f%%", c.outcomes_known() * 100),
                    t(" 毕业学员的结果", " of graduates"));
  } else if (info.follow_up) {
    absl::StrAppend(&note, t("结果已知 ", "outcomes known for "),
                    absl::StrFormat("%.0f%%", c.outcomes_known() * 100), t("", " of graduates"));
  }
  if (c.partial() && !c.provisional()) {
    absl::StrAppend(&note, note.empty() ? "" : "; ", t("本期尚未结束", "period under way"));
  }
  if (!c.baseline_through().empty()) {
    absl::StrAppend(&note,
                    t("；与基线期同日比较，截至 ", "; compared with the same days, through "),
                    c.baseline_through());
  }
  return note.empty() ? "" : absl::StrCat("<div class=\"note coverage\">", Escape(note), "</div>");
}

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
  const std::string city_name = CityLabel(city.display_name(), city.city_id(), t.zh);
  const int this_year = service.CurrentPeriod(pb::PERIOD_KIND_YEAR).year();
  const pb::Period first_month = FirstMonthWithData(service, this_year);
  const int first_year = std::min(first_month.year(), period.year());

  std::string html = absl::StrCat(
      "<!DOCTYPE html><html lang=\"", t("zh", "en"), "\"><head><meta charset=\"utf-8\">",
      "<meta name=\"viewport\" content=\"width=device-width\"><title>", Escape(city_name), " ",
      t("学习型城市指标", "learning city indicators"), "</title><style>", kStyle,
      "</style></head><body><h1 id=\"title\">", Escape(city_name), " · ",
      t("学习型城市指标", "Learning city indicators"), " · ", PeriodLabel(period), "</h1>",
      "<p class=\"note langs\"><a href=\"?lang=zh&period=", PeriodKey(period), "\">中文</a> · ",
      "<a href=\"?lang=en&period=", PeriodKey(period), "\">English</a></p>",
      "<form method=\"post\" action=\"/logout\" class=\"signout\"><button type=\"submit\">",
      t("退出登录", "Sign out"), "</button></form>",
      YearPicker(first_year, this_year, period, t.zh));

  // Scorecard.
  absl::StrAppend(&html, "<h2>", t("计分卡", "Scorecard"),
                  "</h2><div class=\"scroll\"><table id=\"scorecard\"><tr><th>",
                  t("指标", "Indicator"), "</th><th>", t("数值", "Value"), "</th><th>",
                  t("目标", "Target"), "</th><th>", t("进度", "Progress"), "</th><th>",
                  t("状态", "Status"), "</th></tr>");
  for (const auto& v : (*card)->indicators()) {
    const IndicatorInfo* info = FindIndicator(v.indicator());
    absl::StrAppend(&html, "<tr data-indicator=\"", info->slug, "\" data-status=\"",
                    pb::Status_Name(v.status()), "\"><td>",
                    Escape(t.zh ? v.display_name().zh() : v.display_name().en()),
                    "<div class=\"note\">", Escape(info->building_block),
                    "</div></td><td class=\"v\">",
                    // A ratio with nothing to divide by has no value, not 0.
                    info->ratio && v.denominator() == 0 ? "–" : FormatValue(*info, v.value()));
    if (v.denominator() > 0) {
      absl::StrAppend(&html, " <span class=\"note\">(", v.numerator(), " / ", v.denominator(),
                      ")</span>");
    }
    // A share of all residents reads better per 100,000 than as 0.0164%.
    if (v.indicator() == pb::INDICATOR_PARTICIPATION_RATE) {
      absl::StrAppend(&html, "<div class=\"note per100k\">", Per100k(v.value(), t.zh), "</div>");
    }
    absl::StrAppend(&html, CoverageNote(*info, v.coverage(), t), "</td>");
    if (v.has_target()) {
      const bool judged = v.status() != pb::STATUS_PROVISIONAL &&
                          v.status() != pb::STATUS_PARTIAL_PERIOD &&
                          v.status() != pb::STATUS_NO_DATA;
      absl::StrAppend(
          &html, "<td>", FormatValue(*info, v.target().target_value()), " ", t("于", "by"), " ",
          absl::FormatTime(
              "%Y-%m-%d", absl::FromUnixSeconds(v.target().deadline().seconds()) - absl::Seconds(1),
              service.time_zone()),
          "<div class=\"note\">", t("基线 ", "baseline "),
          FormatValue(*info, v.target().baseline_value()), " (",
          v.target().baseline_period().year(), ")</div></td><td>");
      if (!judged) {
        absl::StrAppend(&html, "–");
      } else if (v.status() == pb::STATUS_BELOW_BASELINE) {
        absl::StrAppend(&html, ProgressBar(v), " ", t("低于基线", "below baseline"));
      } else {
        absl::StrAppend(&html, ProgressBar(v), absl::StrFormat(" %.0f%%", v.progress() * 100));
      }
      absl::StrAppend(&html, "</td><td>", StatusWords(v.status(), t), "<div class=\"note\">",
                      Escape(t.zh ? v.status_reason().zh() : v.status_reason().en()),
                      "</div></td>");
    } else {
      absl::StrAppend(&html, "<td>–</td><td></td><td></td>");
    }
    absl::StrAppend(&html, "</tr>");
  }
  absl::StrAppend(&html, "</table></div>");

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
    const std::vector<Bar> bars = BarsOf(*info, *points, t, /*month_labels=*/true);
    // Shares of all residents are labelled per 100,000: "8.48", not "0.00848%".
    const bool residents = ind == pb::INDICATOR_PARTICIPATION_RATE;
    bool hatched = false;
    for (const Bar& b : bars) hatched = hatched || b.mark != Mark::kWhole;
    absl::StrAppend(
        &html, "<figure><figcaption>", t.zh ? info->zh : info->en,
        residents ? t("（每十万居民）", " (per 100,000 residents)") : "", " (", PeriodLabel(first),
        " – ", PeriodLabel(last), ")</figcaption>",
        BarChart(*info, bars, absl::StrCat("series-", info->slug), residents),
        hatched
            ? absl::StrCat("<p class=\"legend\">",
                           info->follow_up ? t("斜线：暂定（跟踪期未结束，结果仍在登记）",
                                               "Hatched: provisional (follow-up window still open, "
                                               "outcomes still being recorded)")
                                           : t("斜线：本月尚未结束", "Hatched: month under way"),
                           "</p>")
            : "",
        ChartTable(*info, bars, t("月份", "Month"), t("数值", "Value"), residents, t.zh),
        "</figure>");
  }
  absl::StrAppend(&html, "</div>");

  absl::StrAppend(&html, TrendSection(service, **card, first_month, t.zh));

  // Breakdown by district.
  const IndicatorInfo* part = FindIndicator(pb::INDICATOR_PARTICIPATION_RATE);
  if (auto rows =
          service.Breakdown(pb::INDICATOR_PARTICIPATION_RATE, period, pb::DIMENSION_DISTRICT);
      rows.ok()) {
    std::vector<Bar> bars;
    for (const auto& r : *rows) {
      std::string label = r.key();
      for (const auto& d : city.districts()) {
        if (d.id() == r.key() && !(t.zh ? d.display_name().zh() : d.display_name().en()).empty()) {
          label = t.zh ? d.display_name().zh() : d.display_name().en();
        }
      }
      bars.push_back({label, r.value(), MarkOf(r.coverage()), "", r.denominator() == 0});
    }
    absl::StrAppend(
        &html, "<h2>", t("各区参与率（每十万居民）", "Participation by district"),
        t("", " (per 100,000 residents)"), " · ", PeriodLabel(period), "</h2>",
        RowChart(*part, bars, "breakdown-district", /*per100k=*/true),
        rows->empty() || !rows->front().coverage().partial()
            ? ""
            : absl::StrCat("<p class=\"legend\">",
                           t("斜线：本期尚未结束", "Hatched: period under way"), "</p>"),
        ChartTable(*part, bars, t("区", "District"), t("每十万居民", "Per 100,000"),
                   /*per100k=*/true, t.zh));
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
    absl::StrAppend(&html, "<tr data-city=\"", Escape(c.city()), "\"><td>",
                    Escape(CityLabel(c.display_name(), c.city(), t.zh)), "</td>");
    if (!c.available()) {
      absl::StrAppend(&html, "<td colspan=\"3\" class=\"off\">", t("不可用", "unavailable"), ": ",
                      Escape(c.error()), "</td></tr>");
      continue;
    }
    for (pb::Indicator ind : compared) {
      for (const auto& v : c.indicators()) {
        if (v.indicator() != ind) continue;
        absl::StrAppend(&html, "<td>", FormatValue(*FindIndicator(ind), v.value()),
                        v.coverage().provisional() ? t(" （暂定）", " (provisional)") : "",
                        "</td>");
      }
    }
    absl::StrAppend(&html, "</tr>");
  }
  absl::StrAppend(&html, "</table>", Definitions(service.follow_up_months(), t),
                  "<p class=\"note screen-only\">",
                  t("打印本页即得 A4 报告。", "Print this page for an A4 report. "),
                  t("数据来自本市各服务的事件流，实时更新。CSV：",
                    "Computed from the city's event streams in real time. CSV: "),
                  "<a "
                  "href=\"/export.csv?indicator=participation-rate\">/"
                  "export.csv?indicator=participation-rate</a></p>",
                  StorageStatus(service, t), "<script>", kDashboardScript,
                  "</script></body></html>");
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
  // partial: the period had not ended; provisional: its outcomes are still
  // being recorded (outcomes_known: the share known, follow-up indicators
  // only); baseline_through: growth's baseline counted through that day.
  std::string csv =
      "period,indicator,value,numerator,denominator,partial,provisional,outcomes_known,"
      "baseline_through\r\n";
  for (const auto& p : *points) {
    const pb::Coverage& c = p.coverage();
    absl::StrAppendFormat(&csv, "%s,%s,%s,%d,%d,%s,%s,%s,%s\r\n", PeriodKey(p.period()), info->slug,
                          PlainNumber(p.value()), p.numerator(), p.denominator(),
                          c.partial() ? "yes" : "no", c.provisional() ? "yes" : "no",
                          info->follow_up ? PlainNumber(c.outcomes_known()) : "",
                          c.baseline_through());
  }
  return {200, "text/csv; charset=utf-8", std::move(csv)};
}

void AddDashboard(HttpsServer& web, AnalyticsService* service,
                  std::shared_ptr<DashboardAccess> access) {
  // Each page: the caller checked, the answer audited, our policy on it.
  const auto guarded = [service, access](DashboardAccess::Kind kind, auto render) {
    return [service, access, kind, render](const HttpRequest& r) {
      if (r.method != "GET") return HttpResponse{405, "text/plain; charset=utf-8", "use GET\n"};
      auto who = access->Check(r, kind);
      if (!who.caller) return who.refusal;
      HttpResponse response = render(*service, r.query);
      access->Audit(r, *who.caller, response.status);
      response.headers.emplace_back("Content-Security-Policy", access->content_security_policy());
      return response;
    };
  };
  web.AddHandler("/dashboard", guarded(DashboardAccess::kPage, RenderDashboard));
  web.AddHandler("/export.csv", guarded(DashboardAccess::kData, RenderCsv));
  web.AddHandler("/login", [access](const HttpRequest& r) { return access->Login(r); });
  web.AddHandler("/logout", [access](const HttpRequest& r) { return access->Logout(r); });
  web.AddHandler("/", [](const HttpRequest&) {
    HttpResponse r{303, "text/plain; charset=utf-8", "see /dashboard\n"};
    r.headers.emplace_back("Location", "/dashboard");
    return r;
  });
}

std::unique_ptr<HttpsServer> MakeDashboard(const ServerOptions& options,
                                           AnalyticsService* service) {
  const auto& tls = options.city.tls();
  HttpsServer::Options web;
  web.host = options.dashboard_host;
  web.port = options.dashboard_port;
  if (!tls.insecure_plaintext()) {
    web.cert_file = tls.cert_file();
    web.key_file = tls.key_file();
  }
  auto server = std::make_unique<HttpsServer>(web);
  AddDashboard(*server, service, std::make_shared<DashboardAccess>(options, server->tls()));
  return server;
}

}  // namespace gnlc::analytics
