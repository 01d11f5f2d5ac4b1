// Targets, peer comparison, the dashboard (rendered by headless Chromium)
// and the CSV export, through the real servers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/redis/redis_connection.h"
#include "common/status/errors.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "services/analytics/dashboard_charts.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/chromium.h"
#include "tests/support/http_get.h"
#include "tests/support/https_client.h"
#include "tests/support/test_security.h"
#include "tools/gnlcctl/history_import.h"

namespace gnlc::analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;
using AnalyticsDashboardTest = AnalyticsTest;

CityConfig CityWithTargets() {
  CityConfig city = catalog::testing::TestCity();
  city.mutable_display_name()->set_zh("南京");
  city.mutable_display_name()->set_en("Nanjing");
  auto* t = city.add_targets();
  t->set_indicator("INDICATOR_JOB_PLACEMENT_RATE");
  t->set_baseline_value(0.55);
  t->set_baseline_year(2026);
  t->set_target_value(0.70);
  t->set_target_year(2031);
  return city;
}

// A TCP port that accepts connections and never answers: a hung peer.
class SilentPeer {
 public:
  SilentPeer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentPeer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Headless Chromium signs in to the dashboard port as an analyst, the way a
// person follows a sign-in link (/login#token=...), and gives the DOM of
// `path` as drawn. The test PKI's CA is not the browser's: its errors are
// ignored (the handshake itself is tested in dashboard_access_test.cc).
std::string Chromium(int port, const std::string& path) {
  return gnlc::testing::ChromiumDom({.port = port, .path = path});
}

TEST_F(AnalyticsDashboardTest, TargetsFromTheConfigAndThroughTheApi) {
  StartAnalytics(CityWithTargets());
  apb::ListTargetsRequest list;
  list.set_parent("cities/nanjing");
  apb::ListTargetsResponse targets;
  ASSERT_TRUE(analytics().ListTargets(catalog::testing::Ctx().get(), list, &targets).ok());
  ASSERT_EQ(targets.targets_size(), 1);
  EXPECT_EQ(targets.targets(0).name(), "cities/nanjing/targets/job-placement-rate");
  EXPECT_EQ(targets.targets(0).baseline_period().year(), 2026);

  apb::SetTargetRequest req;
  req.set_parent("cities/nanjing");
  apb::Target* t = req.mutable_target();
  t->set_indicator(apb::INDICATOR_SATISFACTION);
  t->set_baseline_value(0.72);
  *t->mutable_baseline_period() = MakePeriod(apb::PERIOD_KIND_YEAR, 2026);
  t->set_target_value(0.80);
  *t->mutable_deadline() = TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2026, 6, 1), absl::UTCTimeZone())));
  apb::SetTargetResponse resp;
  grpc::Status s = analytics().SetTarget(catalog::testing::Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "deadline")) << s.error_message();
  t->set_indicator(static_cast<apb::Indicator>(99));
  s = analytics().SetTarget(catalog::testing::Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  t->set_indicator(apb::INDICATOR_SATISFACTION);
  *t->mutable_deadline() = TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2032, 1, 1), absl::UTCTimeZone())));
  s = analytics().SetTarget(catalog::testing::Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.target().name(), "cities/nanjing/targets/satisfaction");

  // The scorecard shows it, with progress against the straight line.
  auto card = Scorecard(Month(0));
  ASSERT_TRUE(card.ok());
  auto v = Find(*card, apb::INDICATOR_SATISFACTION);
  EXPECT_TRUE(v.has_target());
  EXPECT_EQ(v.target().target_value(), 0.80);
  EXPECT_EQ(v.progress(), 0);  // no ratings yet: 0, below the baseline
  EXPECT_FALSE(v.on_track());
  EXPECT_FALSE(Find(*card, apb::INDICATOR_COMPLETION_RATE).has_target());

  apb::GetScorecardRequest bad;
  bad.set_parent("cities/suzhou");
  apb::GetScorecardResponse out;
  EXPECT_EQ(analytics().GetScorecard(catalog::testing::Ctx().get(), bad, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  bad.set_parent("cities/nanjing");
  bad.mutable_period()->set_kind(apb::PERIOD_KIND_MONTH);
  bad.mutable_period()->set_year(2026);
  bad.mutable_period()->set_index(13);
  EXPECT_EQ(analytics().GetScorecard(catalog::testing::Ctx().get(), bad, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AnalyticsDashboardTest, ComparisonReportsSlowAndMissingPeersWithinTheDeadline) {
  // Suzhou: its own Redis and analytics.
  auto suzhou_redis = gnlc::testing::RedisServerProcess::Start("everysec", "suzhou");
  ASSERT_TRUE(suzhou_redis.ok());
  CityConfig suzhou = catalog::testing::TestCity("suzhou");
  suzhou.mutable_display_name()->set_zh("苏州");
  suzhou.mutable_display_name()->set_en("Suzhou");
  suzhou.add_peers()->set_city_id("nanjing");  // accepts Nanjing's certificate
  auto suzhou_analytics = AnalyticsServer::Start((*suzhou_redis)->address(), suzhou);
  SilentPeer hung;

  CityConfig city = catalog::testing::TestCity();
  auto* p = city.add_peers();
  p->set_city_id("suzhou");
  p->set_analytics_address(absl::StrCat("127.0.0.1:", suzhou_analytics->server->peer_port()));
  p = city.add_peers();
  p->set_city_id("hangzhou");
  p->set_analytics_address(absl::StrCat("127.0.0.1:", hung.port()));
  city.add_peers()->set_city_id("wuhan");  // no address
  StartAnalytics(city);

  apb::CompareCitiesRequest req;
  req.set_parent("cities/nanjing");
  req.set_timeout_ms(700);
  apb::CompareCitiesResponse resp;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(analytics().CompareCities(catalog::testing::Ctx().get(), req, &resp).ok());
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(resp.cities_size(), 4);
  EXPECT_EQ(resp.cities(0).city(), "nanjing");
  EXPECT_TRUE(resp.cities(0).available());
  EXPECT_EQ(resp.cities(1).city(), "suzhou");
  EXPECT_TRUE(resp.cities(1).available()) << resp.cities(1).error();
  // Its name for people, as it reports it: the dashboard shows 苏州 / Suzhou.
  EXPECT_EQ(resp.cities(1).display_name().zh(), "苏州");
  EXPECT_EQ(resp.cities(1).display_name().en(), "Suzhou");
  EXPECT_EQ(resp.cities(1).indicators_size(), resp.cities(0).indicators_size());
  EXPECT_EQ(resp.cities(2).city(), "hangzhou");
  EXPECT_FALSE(resp.cities(2).available());
  EXPECT_TRUE(absl::StrContains(resp.cities(2).error(), "deadline")) << resp.cities(2).error();
  EXPECT_EQ(resp.cities(3).city(), "wuhan");
  EXPECT_FALSE(resp.cities(3).available());
  EXPECT_TRUE(absl::StrContains(resp.cities(3).error(), "no analytics address"));
  // The hung peer costs the deadline, not more (generous margin for a busy CI).
  EXPECT_LT(took, absl::Milliseconds(700 + 1500)) << took;

  req.set_timeout_ms(20000);
  EXPECT_EQ(analytics().CompareCities(catalog::testing::Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AnalyticsDashboardTest, ChromiumRendersTheChartsWithTheRightNumbers) {
  StartAnalytics(CityWithTargets());
  // This month: 4 learners of 2,500,000 confirmed, 2 in gulou, 1 waitlisted.
  const std::string offering = CreateOffering(3);
  for (const char* district : {"gulou", "gulou", "xuanwu", "jianye"}) {
    ASSERT_TRUE(Enroll(CreateLearner(district), offering).ok());
  }
  WaitCaughtUp();
  const int port = analytics_->server->web_port();
  const int admin = analytics_->server->admin_port();

  // Lag is exported, and zero once caught up.
  ASSERT_TRUE(gnlc::testing::PollUntil(
      [&] {
        auto m = gnlc::testing::HttpGet(admin, "/metrics");
        return m.ok() &&
               absl::StrContains(m->body,
                                 "gnlc_analytics_consumer_lag{stream=\"enr:{0}:events\"} 0") &&
               absl::StrContains(m->body,
                                 "gnlc_analytics_consumer_pending{stream=\"enr:{0}:events\"} 0");
      },
      absl::Seconds(10)));

  const std::string dom = Chromium(port, "/dashboard?lang=en");
  ASSERT_TRUE(absl::StrContains(dom, "data-rendered=\"yes\"")) << "page did not load:\n"
                                                               << dom.substr(0, 2000);
  // The participation chart's bar of this month: 3 confirmed learners (the
  // fourth is waitlisted) of 2,500,000, drawn at full height (the largest
  // bar) and hatched (the month is under way), never labelled 0.0%; the
  // district chart shows gulou's 2 of 500,000.
  const std::string month = absl::StrFormat("%02d", Month(0).index());
  const std::regex bar(absl::StrCat(
      "<svg[^>]*id=\"series-participation-rate\"[\\s\\S]*?<rect class=\"bar partial\" "
      "style=\"fill:url\\(#hatch-series-participation-rate\\)\"[^>]*data-value=\"",
      "0.0000012", "\" data-label=\"", month, "\" data-rendered=\"([0-9.]+)x([0-9.]+)\""));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, bar)) << dom.substr(0, 4000);
  EXPECT_NEAR(std::stod(m[2]), 120.0, 0.5) << "the largest bar is drawn 120 px high";
  // Its label: residents per 100,000 (0.12); the scorecard's value keeps
  // its significant digits (0.00012%).
  EXPECT_TRUE(std::regex_search(
      dom, std::regex("id=\"series-participation-rate\"[\\s\\S]*?<text class=\"value\"[^>]*>"
                      "0\\.12</text>")));
  EXPECT_TRUE(absl::StrContains(dom, "<td class=\"v\">0.00012%"));
  EXPECT_FALSE(absl::StrContains(dom, ">0.0%<")) << "a rate rounded away";
  // The scorecard says it per 100,000 residents too.
  EXPECT_TRUE(absl::StrContains(dom, "0.12 per 100,000"));
  // Districts are rows: the bar's length is its value.
  const std::regex gulou(
      "<svg[^>]*id=\"breakdown-district\"[\\s\\S]*?data-value=\"0\\.000004\" data-label=\"gulou\" "
      "data-rendered=\"([0-9.]+)x([0-9.]+)\"");
  ASSERT_TRUE(std::regex_search(dom, m, gulou));
  const double longest = std::stod(m[1]);  // gulou's 2 of 500,000 is the largest
  EXPECT_GT(longest, 300);
  const std::regex xuanwu(
      "<svg[^>]*id=\"breakdown-district\"[\\s\\S]*?data-value=\"0\\.000002\" data-label=\"xuanwu\" "
      "data-rendered=\"([0-9.]+)x([0-9.]+)\"");
  ASSERT_TRUE(std::regex_search(dom, m, xuanwu));
  EXPECT_NEAR(std::stod(m[1]), longest / 2, 0.5);  // half of gulou's
  EXPECT_TRUE(absl::StrContains(dom, "data-overlaps=\"\"")) << "labels run into each other";
  // Waitlist pressure: 1 waitlisted / 3 confirmed, written as 0.33.
  EXPECT_TRUE(std::regex_search(
      dom,
      std::regex(
          "id=\"series-waitlist-pressure\"[\\s\\S]*?<text class=\"value\"[^>]*>0\\.33</text>")));
  // The scorecard row of job placement shows its target.
  EXPECT_TRUE(absl::StrContains(dom, "70.0% by 2031-12-31"));
  // No external resources: everything inline.
  EXPECT_FALSE(absl::StrContains(dom, "src=\"http"));
  EXPECT_FALSE(absl::StrContains(dom, "href=\"http"));

  const std::string zh = Chromium(port, "/dashboard?lang=zh");
  EXPECT_TRUE(absl::StrContains(zh, "终身学习参与率"));
  EXPECT_TRUE(absl::StrContains(zh, "南京"));

  const std::string analyst =
      gnlc::testing::TestToken("nanjing", {.role = "analyst", .subject = "analyst-1"});
  const std::string ca = absl::StrCat(gnlc::testing::TestPkiDir(), "/nanjing/tls/ca.crt");
  auto csv = gnlc::testing::HttpsCall(
      port, {.path = absl::StrCat("/export.csv?indicator=participation-rate&from=",
                                  PeriodKey(Month(0)), "&to=", PeriodKey(Month(0))),
             .headers = {{"Authorization", "Bearer " + analyst}},
             .ca_file = ca});
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(
      csv->body,
      absl::StrCat("period,indicator,value,numerator,denominator,partial,provisional,"
                   "outcomes_known,baseline_through\r\n",
                   PeriodKey(Month(0)), ",participation-rate,0.0000012,3,2500000,yes,no,,\r\n"));
  // The status line shows Redis's memory against its limit, and warns when
  // there is none.
  auto page = [&] {
    auto r = gnlc::testing::HttpsCall(port, {.path = "/dashboard?lang=en",
                                             .headers = {{"Authorization", "Bearer " + analyst}},
                                             .ca_file = ca});
    return r.ok() ? r->body : std::string();
  };
  RedisConnection redis_admin(redis_->AdminOptions());
  ASSERT_TRUE(redis_admin.Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  EXPECT_TRUE(std::regex_search(
      page(), std::regex("<p id=\"storage\" class=\"note off\" data-used=\"[1-9][0-9]*\" "
                         "data-limit=\"0\">Storage: [0-9]+ MB used, no limit set")));
  ASSERT_TRUE(redis_admin.Command({"CONFIG", "SET", "maxmemory", "1073741824"}).ok());
  EXPECT_TRUE(std::regex_search(
      page(),
      std::regex(
          "<p id=\"storage\" class=\"note\" data-used=\"[1-9][0-9]*\" "
          "data-limit=\"1073741824\">Storage: [0-9]+ MB of 1024 MB used \\([0-9]+%\\)</p>")));
  ASSERT_TRUE(redis_admin.Command({"CONFIG", "SET", "maxmemory", "0"}).ok());

  auto bad = gnlc::testing::HttpsCall(port, {.path = "/export.csv?indicator=nope",
                                             .headers = {{"Authorization", "Bearer " + analyst}},
                                             .ca_file = ca});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
}

// Every data-value of the circles of the trend chart `id`, in order.
std::vector<std::string> TrendValues(const std::string& dom, const std::string& id) {
  std::vector<std::string> out;
  const size_t start = dom.find(absl::StrCat("id=\"", id, "\""));
  if (start == std::string::npos) return out;
  const std::string svg = dom.substr(start, dom.find("</svg>", start) - start);
  const std::regex point("<circle class=\"point[^\"]*\"[^>]*data-value=\"(-?[0-9.]+)\"");
  for (std::sregex_iterator it(svg.begin(), svg.end(), point), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

TEST_F(AnalyticsDashboardTest, ChromiumShowsTheImportedYearsWithTheTargetLineInBothLanguages) {
  // Chinese is drawn with a CJK font, not as boxes (tests/run.sh installs
  // fonts-noto-cjk with Chromium).
  FILE* fc = popen("fc-match 'sans-serif:lang=zh-cn' family", "r");
  ASSERT_NE(fc, nullptr);
  char family[256] = {0};
  const size_t got = fread(family, 1, sizeof(family) - 1, fc);
  pclose(fc);
  EXPECT_TRUE(absl::StrContains(std::string(family, got), "CJK")) << family;

  // Nanjing's demo history from September 2023, loaded through the import
  // path.
  CityConfig city = CityWithTargets();
  city.mutable_targets(0)->set_baseline_year(2024);
  city.mutable_targets(0)->set_target_year(2029);
  StartAnalytics(city);
  const std::string dir = absl::StrCat(::testing::TempDir(), "/dashboard-history-", ::getpid());
  std::filesystem::create_directories(dir);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(city, &json).ok());
  std::ofstream(dir + "/city.json") << json;
  ASSERT_EQ(std::system(absl::StrCat(GNLC_DEMO_HISTORY_BINARY, " --config=", dir,
                                     "/city.json --out=", dir,
                                     " --enrollments=3000 --learners=1000 2>/dev/null")
                            .c_str()),
            0);
  ctl::HistoryImportOptions o;
  o.dir = dir;
  o.city = "nanjing";
  o.tz = absl::UTCTimeZone();
  const ctl::HistoryImportReport report =
      ctl::ImportHistory(catalog_->channel, enrollment_->channel, o);
  ASSERT_EQ(report.exit_code, 0);
  // A batch whose reply was lost under load and was sent again counts as
  // "imported or already there"; on a fresh store both are this import's.
  ASSERT_GT(
      report.files.at("enrollments.csv").imported() + report.resent_unchanged.at("enrollments.csv"),
      2500);
  WaitCaughtUp();

  // What the trend must show: the monthly series since the history's first
  // month, over gRPC.
  apb::GetIndicatorSeriesRequest req;
  req.set_parent("cities/nanjing");
  req.set_indicator(apb::INDICATOR_PARTICIPATION_RATE);
  *req.mutable_from_period() = MakePeriod(apb::PERIOD_KIND_MONTH, 2023, 9);
  *req.mutable_to_period() = Month(0);
  apb::GetIndicatorSeriesResponse series;
  ASSERT_TRUE(analytics().GetIndicatorSeries(catalog::testing::Ctx().get(), req, &series).ok());
  std::vector<std::string> want;
  int64_t learners = 0;
  for (const auto& p : series.points()) {
    want.push_back(PlainNumber(p.value()));
    learners += p.numerator();
  }
  ASSERT_GT(learners, 1000) << "the history has learners in every month";

  const int port = analytics_->server->web_port();
  const std::string en = Chromium(port, "/dashboard?lang=en");
  ASSERT_TRUE(absl::StrContains(en, "data-rendered=\"yes\"")) << en.substr(0, 2000);
  EXPECT_TRUE(absl::StrContains(en, "<h1 id=\"title\">Nanjing · ")) << en.substr(0, 1500);
  EXPECT_TRUE(absl::StrContains(en, "Trends by month · 2023-09 – "));
  // The year picker: every year of the history, the shown one marked.
  EXPECT_TRUE(absl::StrContains(en, "href=\"?lang=en&amp;period=2023\">2023</a>"));
  EXPECT_TRUE(absl::StrContains(
      en, absl::StrCat("href=\"?lang=en&amp;period=", Month(0).year(), "\" class=\"current\">")));
  EXPECT_FALSE(absl::StrContains(en, "period=2022")) << "no year before the history";
  // Each month since September 2023, drawn with the value the API gives.
  EXPECT_EQ(TrendValues(en, "trend-participation-rate"), want);
  // Job placement's target: its straight line from the 2024 baseline of
  // 55% towards 70% at the end of 2029, drawn (clipped) on its chart.
  const std::regex line(
      "id=\"trend-job-placement-rate\"[\\s\\S]*?<line class=\"target\"[^>]*data-from=\"0\\.55\" "
      "data-to=\"(0\\.[0-9]+)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(en, m, line));
  EXPECT_GT(std::stod(m[1]), 0.55);
  EXPECT_LT(std::stod(m[1]), 0.70);
  EXPECT_TRUE(absl::StrContains(en, "target 70.0% by 2029-12-31"));
  EXPECT_FALSE(absl::StrContains(en, ">0.0%<"));

  // Another year, in Chinese: the picker moves, the title is 南京.
  const std::string zh = Chromium(port, "/dashboard?lang=zh&period=2025");
  EXPECT_TRUE(absl::StrContains(zh, "<h1 id=\"title\">南京 · 学习型城市指标 · 2025</h1>"));
  EXPECT_TRUE(absl::StrContains(zh, "href=\"?lang=zh&amp;period=2025\" class=\"current\">"));
  EXPECT_TRUE(absl::StrContains(zh, "长期趋势（按月）"));
  EXPECT_TRUE(absl::StrContains(zh, "目标 70.0%，2029-12-31 前"));
  EXPECT_EQ(TrendValues(zh, "trend-participation-rate"), want);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gnlc::analytics::testing
