// Every learner indicator of each city's demo history, recomputed here
// straight from the CSV records the history was imported from, by a
// separate and deliberately plain reading of the definitions in
// analytics.proto; then compared, month by month and year by year, exactly,
// with what the API, the CSV export and the dashboard give. Nothing here
// shares code with how analytics counts (no IngestPlan, no Compute): if
// the two disagree, one of them is wrong.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/config/city_config.h"
#include "google/protobuf/util/json_util.h"
#include "services/analytics/indicator_format.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/chromium.h"
#include "tests/support/https_client.h"
#include "tests/support/test_security.h"
#include "tools/gnlcctl/history_import.h"

namespace gnlc::analytics::testing {
namespace {

// The moment the history is written at and analytics reads it at: a week
// into December, so that the month, the quarter and the year are under way.
constexpr char kNow[] = "2026-12-07T11:00:00+08:00";
constexpr int kFollowUpMonths = 6;  // the default window

using Row = std::map<std::string, std::string>;

// A CSV file as rows of column -> value (RFC 4180 quoting, as the history
// writer quotes).
std::vector<Row> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::vector<std::string>> lines(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      lines.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      lines.back().push_back(std::move(field));
      field.clear();
      lines.emplace_back();
    } else if (c != '\r') {
      field += c;
    }
  }
  std::vector<Row> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() != lines[0].size()) continue;  // the empty last line
    Row row;
    for (size_t j = 0; j < lines[0].size(); ++j) row[lines[0][j]] = lines[i][j];
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::Time ParseTime(const std::string& s) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, s, &t, &error)) << s << ": " << error;
  return t;
}

std::optional<absl::Time> OptionalTime(const std::string& s) {
  if (s.empty() || s == "never") return std::nullopt;
  return ParseTime(s);
}

// What analytics counts, by period key ("2026-11", "2026").
struct Tally {
  std::set<std::string> part, grad, placed, known;
  std::map<std::string, std::set<std::string>> part_by_district;
  int64_t conf = 0, wait = 0, done = 0, drop = 0, rated = 0, rsum = 0, r45 = 0;
};

// An expected point: numerator, denominator, value and coverage.
struct Expected {
  int64_t numerator = 0, denominator = 0;
  double value = 0;
  bool partial = false, provisional = false;
  double outcomes_known = 0;
  std::string baseline_through;
};

class History {
 public:
  History(const CityConfig& city, absl::Time now) : now_(now) {
    EXPECT_TRUE(absl::LoadTimeZone(city.time_zone(), &tz_));
    for (const auto& d : city.districts()) {
      population_ += d.population();
      district_population_[d.id()] = d.population();
    }
    for (const auto& t : city.targets()) {
      if (t.indicator() == "INDICATOR_PARTICIPATION_GROWTH") growth_base_year_ = t.baseline_year();
    }
  }

  void Read(const std::string& dir) {
    std::map<std::string, std::string> program_kind, offering_program;
    for (const Row& r : ReadCsv(dir + "/programs.csv"))
      program_kind[r.at("source_id")] = r.at("kind");
    for (const Row& r : ReadCsv(dir + "/offerings.csv")) {
      offering_program[r.at("source_id")] = r.at("program_source_id");
    }
    std::map<std::string, const Row*> learners;
    const std::vector<Row> learner_rows = ReadCsv(dir + "/learners.csv");
    for (const Row& r : learner_rows) learners[r.at("source_id")] = &r;
    const std::vector<Row> enrollments = ReadCsv(dir + "/enrollments.csv");
    ASSERT_GT(enrollments.size(), 1000u);
    for (const Row& e : enrollments) {
      const Row& learner = *learners.at(e.at("learner_source_id"));
      // Only those who consented to statistics are counted.
      if (learner.at("statistics_consent") != "yes") continue;
      const bool skills =
          program_kind.at(offering_program.at(e.at("offering"))) == "PROGRAM_KIND_SKILL_TRAINING";
      Count(e, learner.at("source_id"), learner.at("district"), skills);
    }
  }

  // Every month from the history's first to now's, and every year.
  std::vector<std::string> Months() const {
    std::vector<std::string> out;
    for (absl::CivilMonth m(2023, 9); m <= absl::ToCivilMonth(now_, tz_); ++m) {
      out.push_back(absl::FormatCivilTime(m));
    }
    return out;
  }

  Expected Of(apb::Indicator indicator, const std::string& key) const {
    static const Tally kEmpty;
    const auto it = tally_.find(key);
    const Tally& t = it == tally_.end() ? kEmpty : it->second;
    Expected e;
    const auto ratio = [&](int64_t n, int64_t d) {
      e.numerator = n;
      e.denominator = d;
      e.value = d == 0 ? 0 : static_cast<double>(n) / static_cast<double>(d);
    };
    const absl::Time end = EndOf(key);
    e.partial = end > now_;
    switch (indicator) {
      case apb::INDICATOR_PARTICIPATION_RATE:
        ratio(static_cast<int64_t>(t.part.size()), population_);
        break;
      case apb::INDICATOR_PARTICIPATION_GROWTH: {
        // The same period of the baseline year; for a period under way only
        // its first days, through the same month and day as now.
        const std::string base = absl::StrCat(growth_base_year_, key.substr(4));
        absl::Time base_end = EndOf(base);
        if (e.partial) {
          const absl::CivilDay today = absl::ToCivilDay(now_, tz_);
          const absl::CivilMonth month(growth_base_year_, today.month());
          const int last_day = (absl::CivilDay(month + 1) - 1).day();
          const absl::CivilDay through(growth_base_year_, today.month(),
                                       std::min(today.day(), last_day));
          e.baseline_through = absl::FormatCivilTime(through);
          base_end = absl::FromCivil(through + 1, tz_);
        }
        std::set<std::string> then;
        for (const auto& [at, learner] : participations_) {
          if (at >= StartOf(base) && at < base_end) then.insert(learner);
        }
        ratio(static_cast<int64_t>(t.part.size()), static_cast<int64_t>(then.size()));
        if (e.denominator != 0) e.value -= 1;
        break;
      }
      case apb::INDICATOR_JOB_PLACEMENT_RATE:
        ratio(static_cast<int64_t>(t.placed.size()), static_cast<int64_t>(t.grad.size()));
        if (!t.grad.empty()) {
          e.outcomes_known =
              static_cast<double>(t.known.size()) / static_cast<double>(t.grad.size());
        }
        e.provisional = AddMonths(end, kFollowUpMonths) > now_;
        break;
      case apb::INDICATOR_SATISFACTION:
        ratio(t.r45, t.rated);
        break;
      case apb::INDICATOR_MEAN_RATING:
        ratio(t.rsum, t.rated);
        break;
      case apb::INDICATOR_COMPLETION_RATE:
        ratio(t.done, t.done + t.drop);
        break;
      case apb::INDICATOR_WAITLIST_PRESSURE:
        ratio(t.wait, t.conf);
        break;
      default:
        ADD_FAILURE() << "not recomputed here";
    }
    return e;
  }

  // Learners of `district` who took part in the year `key`.
  int64_t DistrictLearners(const std::string& key, const std::string& district) const {
    const auto it = tally_.find(key);
    if (it == tally_.end()) return 0;
    const auto d = it->second.part_by_district.find(district);
    return d == it->second.part_by_district.end() ? 0 : static_cast<int64_t>(d->second.size());
  }
  int64_t DistrictPopulation(const std::string& district) const {
    return district_population_.at(district);
  }

  absl::TimeZone tz() const { return tz_; }

 private:
  absl::Time StartOf(const std::string& key) const {
    int year = 0, month = 1;
    EXPECT_TRUE(absl::SimpleAtoi(key.substr(0, 4), &year));
    if (key.size() == 7) {
      EXPECT_TRUE(absl::SimpleAtoi(key.substr(5), &month));
    }
    return absl::FromCivil(absl::CivilMonth(year, month), tz_);
  }
  absl::Time EndOf(const std::string& key) const {
    const absl::CivilMonth first = absl::ToCivilMonth(StartOf(key), tz_);
    return absl::FromCivil(key.size() == 7 ? first + 1 : first + 12, tz_);
  }
  // The same day and time `months` calendar months later, clamped to the
  // month's end.
  absl::Time AddMonths(absl::Time t, int months) const {
    const absl::CivilSecond s = absl::ToCivilSecond(t, tz_);
    const absl::CivilMonth m = absl::CivilMonth(s) + months;
    const int last_day = (absl::CivilDay(m + 1) - 1).day();
    return absl::FromCivil(absl::CivilSecond(m.year(), m.month(), std::min(s.day(), last_day),
                                             s.hour(), s.minute(), s.second()),
                           tz_);
  }

  // The month and the year of `t`.
  std::vector<Tally*> At(absl::Time t) {
    return {&tally_[absl::FormatTime("%Y-%m", t, tz_)], &tally_[absl::FormatTime("%Y", t, tz_)]};
  }

  void Participates(absl::Time t, const std::string& learner, const std::string& district) {
    participations_.emplace_back(t, learner);
    for (Tally* tally : At(t)) {
      tally->part.insert(learner);
      tally->part_by_district[district].insert(learner);
    }
  }

  void Count(const Row& e, const std::string& learner, const std::string& district, bool skills) {
    const std::string& state = e.at("state");
    const absl::Time enrolled = ParseTime(e.at("enrolled_at"));
    // A seat at enrollment (seated_at empty or the same time), later from
    // the waitlist (seated_at after enrolled_at), or never (still waiting,
    // or "never").
    std::optional<absl::Time> seat;
    bool waited = false;
    if (e.at("seated_at") == "never" || state == "waitlisted") {
      waited = true;
    } else if (!e.at("seated_at").empty()) {
      // A seat given at the moment of enrolling was no wait.
      seat = ParseTime(e.at("seated_at"));
      waited = *seat > enrolled;
    } else {
      seat = enrolled;
    }
    if (waited) {
      for (Tally* t : At(enrolled)) ++t->wait;
    }
    if (seat) {
      Participates(*seat, learner, district);
      for (Tally* t : At(*seat)) ++t->conf;
    }
    if (const auto cancelled = OptionalTime(e.at("cancelled_at")); cancelled && seat) {
      for (Tally* t : At(*cancelled)) ++t->drop;
    }
    if (const auto completed = OptionalTime(e.at("completed_at"))) {
      Participates(*completed, learner, district);
      for (Tally* t : At(*completed)) ++t->done;
      if (skills) {
        const std::string& employed = e.at("employed");
        for (Tally* t : At(*completed)) {
          t->grad.insert(learner);
          if (!employed.empty()) t->known.insert(learner);
          if (employed == "yes" &&
              ParseTime(e.at("employed_since")) <= AddMonths(*completed, kFollowUpMonths)) {
            t->placed.insert(learner);
          }
        }
      }
    }
    if (!e.at("rating").empty()) {
      int rating = 0;
      EXPECT_TRUE(absl::SimpleAtoi(e.at("rating"), &rating));
      for (Tally* t : At(ParseTime(e.at("feedback_at")))) {
        ++t->rated;
        t->rsum += rating;
        t->r45 += rating >= 4 ? 1 : 0;
      }
    }
  }

  absl::Time now_;
  absl::TimeZone tz_;
  int64_t population_ = 0;
  std::map<std::string, int64_t> district_population_;
  int growth_base_year_ = 0;
  std::map<std::string, Tally> tally_;
  std::vector<std::pair<absl::Time, std::string>> participations_;
};

const apb::Indicator kRecomputed[] = {
    apb::INDICATOR_PARTICIPATION_RATE, apb::INDICATOR_PARTICIPATION_GROWTH,
    apb::INDICATOR_JOB_PLACEMENT_RATE, apb::INDICATOR_SATISFACTION,
    apb::INDICATOR_MEAN_RATING,        apb::INDICATOR_COMPLETION_RATE,
    apb::INDICATOR_WAITLIST_PRESSURE};

// The city's own demo configuration (districts, populations, time zone,
// targets) on the test servers' security.
class AnalyticsRecomputeTest : public AnalyticsTest,
                               public ::testing::WithParamInterface<std::string> {
 protected:
  CityConfig City() const override {
    CityConfig city = catalog::testing::TestCity(GetParam());
    auto demo =
        LoadCityConfig(absl::StrCat(GNLC_SOURCE_DIR, "/deploy/cities/", GetParam(), ".json"));
    EXPECT_TRUE(demo.ok()) << demo.status();
    if (!demo.ok()) return city;
    *city.mutable_display_name() = demo->display_name();
    city.set_time_zone(demo->time_zone());
    *city.mutable_districts() = demo->districts();
    *city.mutable_targets() = demo->targets();
    return city;
  }

  // A series over gRPC.
  std::vector<apb::SeriesPoint> Series(apb::Indicator indicator, const apb::Period& from,
                                       const apb::Period& to) {
    apb::GetIndicatorSeriesRequest req;
    req.set_parent(absl::StrCat("cities/", GetParam()));
    req.set_indicator(indicator);
    *req.mutable_from_period() = from;
    *req.mutable_to_period() = to;
    apb::GetIndicatorSeriesResponse resp;
    const grpc::Status s =
        analytics().GetIndicatorSeries(catalog::testing::Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.points().begin(), resp.points().end()};
  }

  // A page of the dashboard port, as an analyst.
  std::string Get(const std::string& path) {
    const std::string analyst =
        gnlc::testing::TestToken(GetParam(), {.role = "analyst", .subject = "analyst-1"});
    auto r = gnlc::testing::HttpsCall(
        analytics_->server->web_port(),
        {.path = path,
         .headers = {{"Authorization", "Bearer " + analyst}},
         .ca_file = absl::StrCat(gnlc::testing::TestPkiDir(), "/", GetParam(), "/tls/ca.crt")});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return r->body;
  }
};

void ExpectPoint(const apb::SeriesPoint& got, const Expected& want, const std::string& what) {
  EXPECT_EQ(got.numerator(), want.numerator) << what;
  EXPECT_EQ(got.denominator(), want.denominator) << what;
  EXPECT_EQ(got.value(), want.value) << what;
  EXPECT_EQ(got.coverage().partial(), want.partial) << what;
  EXPECT_EQ(got.coverage().provisional(), want.provisional) << what;
  EXPECT_EQ(got.coverage().outcomes_known(), want.outcomes_known) << what;
  EXPECT_EQ(got.coverage().baseline_through(), want.baseline_through) << what;
}

// What a shell command prints.
std::string Output(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Every data-value of the circles of the trend chart `id`, in order.
std::vector<std::string> TrendValues(const std::string& page, const std::string& id) {
  std::vector<std::string> out;
  const size_t start = page.find(absl::StrCat("id=\"", id, "\""));
  if (start == std::string::npos) return out;
  const std::string svg = page.substr(start, page.find("</svg>", start) - start);
  const std::regex point("<circle class=\"point[^\"]*\"[^>]*data-value=\"(-?[0-9.]+)\"");
  for (std::sregex_iterator it(svg.begin(), svg.end(), point), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

TEST_P(AnalyticsRecomputeTest, EveryIndicatorOfTheDemoHistoryMatchesARecomputationFromTheRecords) {
  const CityConfig city = City();
  const absl::Time now = ParseTime(kNow);
  StartAnalytics(city, [now] { return now; });
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/recompute-", GetParam(), "-", ::getpid());
  std::filesystem::create_directories(dir);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(city, &json).ok());
  std::ofstream(dir + "/city.json") << json;
  ASSERT_EQ(std::system(absl::StrCat(GNLC_DEMO_HISTORY_BINARY, " --config=", dir,
                                     "/city.json --out=", dir, " --now=", kNow,
                                     " --enrollments=3000 --learners=1000 2>/dev/null")
                            .c_str()),
            0);
  ctl::HistoryImportOptions o;
  o.dir = dir;
  o.city = GetParam();
  o.tz = absl::UTCTimeZone();
  const ctl::HistoryImportReport report =
      ctl::ImportHistory(catalog_->channel, enrollment_->channel, o);
  ASSERT_EQ(report.exit_code, 0);
  WaitCaughtUp();

  History history(city, now);
  history.Read(dir);
  if (HasFatalFailure()) return;
  const std::vector<std::string> months = history.Months();
  const apb::Period first = MakePeriod(apb::PERIOD_KIND_MONTH, 2023, 9);
  const apb::Period last = PeriodOf(apb::PERIOD_KIND_MONTH, now, history.tz());
  ASSERT_EQ(PeriodKey(last), "2026-12");

  // The API, month by month and year by year.
  for (apb::Indicator indicator : kRecomputed) {
    const std::string name = apb::Indicator_Name(indicator);
    const auto monthly = Series(indicator, first, last);
    ASSERT_EQ(monthly.size(), months.size()) << name;
    for (size_t i = 0; i < months.size(); ++i) {
      ExpectPoint(monthly[i], history.Of(indicator, months[i]), absl::StrCat(name, " ", months[i]));
    }
    const auto yearly = Series(indicator, MakePeriod(apb::PERIOD_KIND_YEAR, 2023),
                               MakePeriod(apb::PERIOD_KIND_YEAR, 2026));
    ASSERT_EQ(yearly.size(), 4u);
    for (int y = 2023; y <= 2026; ++y) {
      ExpectPoint(yearly[y - 2023], history.Of(indicator, absl::StrCat(y)),
                  absl::StrCat(name, " ", y));
    }
  }
  // The history is what the indicators are meant to show: graduates and
  // their outcomes, open cohorts, ratings (a test of the test's data).
  EXPECT_GT(history.Of(apb::INDICATOR_JOB_PLACEMENT_RATE, "2025").denominator, 50);
  EXPECT_TRUE(history.Of(apb::INDICATOR_JOB_PLACEMENT_RATE, "2026-11").provisional);
  EXPECT_FALSE(history.Of(apb::INDICATOR_JOB_PLACEMENT_RATE, "2026-05").provisional);
  EXPECT_GT(history.Of(apb::INDICATOR_SATISFACTION, "2025").denominator, 100);

  // Participation by district, each year.
  for (int y = 2023; y <= 2026; ++y) {
    apb::GetBreakdownRequest req;
    req.set_parent(absl::StrCat("cities/", GetParam()));
    req.set_indicator(apb::INDICATOR_PARTICIPATION_RATE);
    *req.mutable_period() = MakePeriod(apb::PERIOD_KIND_YEAR, y);
    req.set_dimension(apb::DIMENSION_DISTRICT);
    apb::GetBreakdownResponse resp;
    ASSERT_TRUE(analytics().GetBreakdown(catalog::testing::Ctx().get(), req, &resp).ok());
    ASSERT_EQ(resp.rows_size(), city.districts_size());
    for (const auto& row : resp.rows()) {
      EXPECT_EQ(row.numerator(), history.DistrictLearners(absl::StrCat(y), row.key()))
          << y << " " << row.key();
      EXPECT_EQ(row.denominator(), history.DistrictPopulation(row.key()));
    }
  }

  // Growth of a period under way is compared day for day for the whole
  // city only: its breakdown waits for the period's end.
  {
    apb::GetBreakdownRequest req;
    req.set_parent(absl::StrCat("cities/", GetParam()));
    req.set_indicator(apb::INDICATOR_PARTICIPATION_GROWTH);
    *req.mutable_period() = MakePeriod(apb::PERIOD_KIND_YEAR, 2026);
    req.set_dimension(apb::DIMENSION_DISTRICT);
    apb::GetBreakdownResponse resp;
    const grpc::Status s = analytics().GetBreakdown(catalog::testing::Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    *req.mutable_period() = MakePeriod(apb::PERIOD_KIND_YEAR, 2025);
    EXPECT_TRUE(analytics().GetBreakdown(catalog::testing::Ctx().get(), req, &resp).ok());
  }

  // The CSV export, every month of each indicator.
  for (apb::Indicator indicator : kRecomputed) {
    const IndicatorInfo& info = *FindIndicator(indicator);
    const std::string csv = Get(
        absl::StrCat("/export.csv?indicator=", info.slug, "&from=2023-09&to=", PeriodKey(last)));
    std::vector<std::string> lines = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
    ASSERT_EQ(lines.size(), months.size() + 1) << info.slug;
    for (size_t i = 0; i < months.size(); ++i) {
      const Expected e = history.Of(indicator, months[i]);
      EXPECT_EQ(lines[i + 1],
                absl::StrCat(months[i], ",", info.slug, ",", PlainNumber(e.value), ",", e.numerator,
                             ",", e.denominator, ",", e.partial ? "yes" : "no", ",",
                             e.provisional ? "yes" : "no", ",",
                             info.follow_up ? PlainNumber(e.outcomes_known) : "", ",",
                             e.baseline_through));
    }
  }

  // The dashboard: the trends since the first month, and this year's
  // scorecard.
  const std::string page = Get("/dashboard?lang=en");
  for (apb::Indicator indicator :
       {apb::INDICATOR_PARTICIPATION_RATE, apb::INDICATOR_PARTICIPATION_GROWTH,
        apb::INDICATOR_JOB_PLACEMENT_RATE, apb::INDICATOR_SATISFACTION}) {
    const IndicatorInfo& info = *FindIndicator(indicator);
    std::vector<std::string> want;
    for (const auto& m : months) {
      // A month with nothing to divide by is not drawn.
      const Expected e = history.Of(indicator, m);
      if (e.denominator != 0) want.push_back(PlainNumber(e.value));
    }
    EXPECT_EQ(TrendValues(page, absl::StrCat("trend-", info.slug)), want) << info.slug;
  }
  for (apb::Indicator indicator : kRecomputed) {
    const IndicatorInfo& info = *FindIndicator(indicator);
    const Expected e = history.Of(indicator, "2026");
    const size_t row = page.find(absl::StrCat("<tr data-indicator=\"", info.slug, "\""));
    ASSERT_NE(row, std::string::npos) << info.slug;
    const std::string cells = page.substr(row, page.find("</tr>", row) - row);
    EXPECT_TRUE(absl::StrContains(
        cells,
        absl::StrCat("<td class=\"v\">", FormatValue(info, e.value), " <span class=\"note\">(",
                     e.numerator, " / ", e.denominator, ")</span>")))
        << cells;
  }
  // This year's placement is provisional, not judged; growth compares the
  // same days.
  EXPECT_TRUE(absl::StrContains(page,
                                "data-indicator=\"job-placement-rate\" "
                                "data-status=\"STATUS_PROVISIONAL\""));
  EXPECT_TRUE(absl::StrContains(page, "compared with the same days, through 2024-12-07"));

  // As drawn by Chromium, in both languages, on a desktop and a phone: no
  // label of any chart runs into another (the page's script lists those
  // that do), and the page prints as an A4 report with its definitions.
  const std::string shots =
      std::getenv("GNLC_SCREENSHOT_DIR") ? std::getenv("GNLC_SCREENSHOT_DIR") : "";
  for (const char* lang : {"en", "zh"}) {
    for (int width : {1280, 390}) {
      gnlc::testing::ChromiumPage view{.port = analytics_->server->web_port(),
                                       .path = absl::StrCat("/dashboard?lang=", lang),
                                       .city = GetParam(),
                                       .width = width};
      const std::string dom = gnlc::testing::ChromiumDom(view);
      ASSERT_TRUE(absl::StrContains(dom, "data-rendered=\"yes\"")) << dom.substr(0, 1000);
      EXPECT_TRUE(absl::StrContains(dom, "data-overlaps=\"\""))
          << lang << " at " << width << "px: " << dom.substr(dom.find("data-overlaps"), 300);
      if (!shots.empty()) {
        view.height = 4200;
        gnlc::testing::ChromiumScreenshot(
            view, absl::StrCat(shots, "/", GetParam(), "-", lang, "-", width, ".png"));
      }
    }
    const std::string pdf = absl::StrCat(dir, "/report-", lang, ".pdf");
    ASSERT_TRUE(gnlc::testing::ChromiumPdf({.port = analytics_->server->web_port(),
                                            .path = absl::StrCat("/dashboard?lang=", lang),
                                            .city = GetParam()},
                                           pdf));
    if (!shots.empty())
      std::filesystem::copy_file(pdf, absl::StrCat(shots, "/", GetParam(), "-", lang, ".pdf"),
                                 std::filesystem::copy_options::overwrite_existing);
    const std::string info = Output(absl::StrCat("pdfinfo ", pdf));
    // A4 is 595 x 842 points.
    EXPECT_TRUE(std::regex_search(info, std::regex("Page size: .* pts \\(A4\\)"))) << info;
    const std::string text = Output(absl::StrCat("pdftotext -layout ", pdf, " -"));
    const bool zh = std::string(lang) == "zh";
    for (const char* want :
         zh ? std::vector<const char*>{"学习型城市指标", "计分卡", "指标定义", "跟踪期", "暂定"}
            : std::vector<const char*>{"Learning city indicators", "Scorecard", "Definitions",
                                       "follow-up window", "provisional"}) {
      EXPECT_TRUE(absl::StrContains(text, want)) << lang << ": " << want;
    }
    // What is for the screen stays off the paper.
    EXPECT_FALSE(absl::StrContains(text, zh ? "退出登录" : "Sign out"));
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Cities, AnalyticsRecomputeTest, ::testing::Values("nanjing", "suzhou"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gnlc::analytics::testing
