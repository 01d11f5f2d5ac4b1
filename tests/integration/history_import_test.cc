// Importing a city's history from CSV files through gnlcctl's importer and
// the catalog's and enrollment's ImportHistory RPCs, against a real Redis:
// the scripted history gives exactly the indicator values computed by hand
// in the right past months; importing twice, or interrupted and resumed,
// gives the same; rejected rows are reported by line and nothing of them
// is stored; an imported learner's data can be exported and erased.
#include "tools/gnlcctl/history_import.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/importing/import_rows.h"
#include "common/redis/redis_connection.h"
#include "common/time/proto_time.h"
#include "services/enrollment/enrollment_scripts.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/http_get.h"
#include "tools/gnlcctl/history_archive.h"

namespace gnlc::analytics::testing {
namespace {

namespace tpb = gnlc::type::v1;
constexpr double kPopulation = 2'500'000;  // TestCity: 5 districts of 500,000

class HistoryImportTest : public AnalyticsTest {
 protected:
  // "2026-08-10 12:00": the day of the month `month` months from now.
  static std::string Day(int month, int day = 10) {
    return absl::FormatTime("%Y-%m-%d %H:%M", DayInMonth(month, day), absl::UTCTimeZone());
  }
  // A time of this month that has passed, `minutes` into it or an hour
  // ago, whichever is later: the enrollments in the offering that has not
  // ended count in this month whatever the day.
  static std::string ThisMonthSoFar(int minutes) {
    const absl::Time month_start = DayInMonth(0, 1) - absl::Hours(12);
    const absl::Time now = absl::Now();
    const absl::Time t =
        std::min(std::max(month_start + absl::Minutes(minutes), now - absl::Hours(1)), now);
    return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::UTCTimeZone());
  }

  void SetUp() override {
    AnalyticsTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrFormat("gnlc-import-%d-%d", ::getpid(), counter_++);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    AnalyticsTest::TearDown();
  }

  void Write(const std::string& file, const std::string& text) {
    std::ofstream(dir_ / file, std::ios::trunc) << text;
  }

  // The history of analytics_indicators_test.cc, three months ago to last
  // month (M-3, M-2, M-1), as the older system recorded it:
  //  M-3: a, b enroll in the skills course S (2 seats), c waits; a and d
  //       enroll in the cultural programme C; e (no consent) too.
  //  M-2: b cancels, c gets the seat; a and c complete S, d completes C;
  //       ratings a:5, c:4, d:4; a employed a month after completing.
  // Plus an offering F that has not ended (1 seat): a holds it, and b's row
  // would overbook it. Three rows are wrong on purpose.
  void WriteHistory() {
    Write("programs.csv",
          "source_id,kind,title_zh,title_en,district,state,created_at\n"
          "P-S,skill_training,电工培训,Electrician training,gulou,published," +
              Day(-4) +
              "\n"
              "P-C,cultural,昆曲欣赏,Kunqu appreciation,xuanwu,published," +
              Day(-4) + "\n");
    Write("offerings.csv",
          "source_id,program_source_id,start,end,modality,seats,venue_name_zh,venue_name_en,"
          "venue_address,venue_district,latitude,longitude,created_at,online_url\n"
          "O-S,P-S," +
              Day(-3, 15) + "," + Day(-2, 20) +
              ",in_person,2,图书馆,Library,1 Road,gulou,"
              "32.05,118.78," +
              Day(-4) +
              ",\n"
              "O-C,P-C," +
              Day(-3, 15) + "," + Day(-1, 20) +
              ",in_person,10,图书馆,Library,1 Road,"
              "gulou,32.05,118.78," +
              Day(-4) +
              ",\n"
              "O-F,P-C," +
              absl::FormatTime("%Y-%m-%d %H:%M", absl::Now() + absl::Hours(24 * 10),
                               absl::UTCTimeZone()) +
              "," +
              absl::FormatTime("%Y-%m-%d %H:%M", absl::Now() + absl::Hours(24 * 20),
                               absl::UTCTimeZone()) +
              ",online,1,,,,,,,,https://learn.example.org/f\n");
    Write("learners.csv",
          "source_id,external_subject,district,age_band,statistics_consent,backend,registered_at\n"
          "L-a,sub-a,gulou,adult,yes,city-app," +
              Day(-4) +
              "\n"
              "L-b,sub-b,gulou,adult,yes,city-app," +
              Day(-4) +
              "\n"
              "L-c,,xuanwu,senior,yes,," +
              Day(-4) +
              "\n"
              "L-d,,qinhuai,young_adult,yes,," +
              Day(-4) +
              "\n"
              "L-e,,gulou,adult,no,," +
              Day(-4) +
              "\n"
              "L-bad,,atlantis,adult,yes,," +
              Day(-4) + "\n");
    Write("enrollments.csv",
          "source_id,learner_source_id,offering,state,enrolled_at,seated_at,cancelled_at,outcome,"
          "hours,completed_at,employed,employed_since,rating,feedback_at\n"
          "E1,L-a,O-S,completed," +
              Day(-3) + ",,,passed,12," + Day(-2) + ",yes," + Day(-1, 12) + ",5," + Day(-2, 11) +
              "\n"
              "E2,L-b,O-S,cancelled," +
              Day(-3) + ",," + Day(-2) +
              ",,,,,,,\n"
              "E3,L-c,O-S,completed," +
              Day(-3) + "," + Day(-2, 5) + ",,passed,12," + Day(-2) + ",,,4," + Day(-2, 11) +
              "\n"
              "E4,L-a,O-C,confirmed," +
              Day(-3) +
              ",,,,,,,,,\n"
              "E5,L-d,O-C,completed," +
              Day(-3) + ",,,completed,8," + Day(-2) + ",,,4," + Day(-2, 11) +
              "\n"
              "E6,L-e,O-C,confirmed," +
              Day(-3) +
              ",,,,,,,,,\n"
              "E7,L-b,O-C,completed," +
              Day(-3) +
              ",,,passed,8,,,,,\n"
              "E8,L-a,O-F,confirmed," +
              ThisMonthSoFar(0) +
              ",,,,,,,,,\n"
              "E9,L-b,O-F,confirmed," +
              ThisMonthSoFar(1) +
              ",,,,,,,,,\n"
              "E10,L-bad,O-C,confirmed," +
              Day(-3) + ",,,,,,,,,\n");
  }

  ctl::HistoryImportReport Import(int64_t stop_after_batches = 0, int batch_rows = 1000) {
    ctl::HistoryImportOptions o;
    o.dir = dir_.string();
    o.city = "nanjing";
    o.tz = absl::UTCTimeZone();
    o.batch_rows = batch_rows;
    o.in_flight = 2;
    o.stop_after_batches = stop_after_batches;
    return ctl::ImportHistory(catalog_->channel, enrollment_->channel, o);
  }

  static std::vector<int64_t> Lines(const ctl::HistoryImportReport& r, const std::string& file) {
    std::vector<int64_t> out;
    auto it = r.rejected.find(file);
    if (it == r.rejected.end()) return out;
    for (const auto& rej : it->second) out.push_back(rej.row());
    return out;
  }

  // The values computed by hand from WriteHistory.
  void ExpectHandComputedValues() {
    auto m3 = Scorecard(Month(-3));
    ASSERT_TRUE(m3.ok()) << m3.status();
    // M-3: a, b, d hold seats (c waits, e is not counted).
    auto part = Find(*m3, apb::INDICATOR_PARTICIPATION_RATE);
    EXPECT_EQ(part.numerator(), 3);
    EXPECT_DOUBLE_EQ(part.value(), 3 / kPopulation);
    auto wait = Find(*m3, apb::INDICATOR_WAITLIST_PRESSURE);
    EXPECT_EQ(wait.numerator(), 1);
    EXPECT_EQ(wait.denominator(), 4);

    auto m2 = Scorecard(Month(-2));
    ASSERT_TRUE(m2.ok()) << m2.status();
    // M-2: c promoted; a, c, d completed.
    EXPECT_EQ(Find(*m2, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 3);
    auto completion = Find(*m2, apb::INDICATOR_COMPLETION_RATE);
    EXPECT_EQ(completion.numerator(), 3);
    EXPECT_EQ(completion.denominator(), 4);
    auto placement = Find(*m2, apb::INDICATOR_JOB_PLACEMENT_RATE);
    EXPECT_EQ(placement.numerator(), 1);
    EXPECT_EQ(placement.denominator(), 2);
    auto satisfaction = Find(*m2, apb::INDICATOR_SATISFACTION);
    EXPECT_EQ(satisfaction.numerator(), 3);
    EXPECT_EQ(satisfaction.denominator(), 3);
    auto mean = Find(*m2, apb::INDICATOR_MEAN_RATING);
    EXPECT_EQ(mean.numerator(), 13);
    EXPECT_EQ(mean.denominator(), 3);

    // M-1: only a's employment, which counts in its completion month.
    auto m1 = Scorecard(Month(-1));
    ASSERT_TRUE(m1.ok());
    EXPECT_EQ(Find(*m1, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 0);
    EXPECT_EQ(Find(*m1, apb::INDICATOR_JOB_PLACEMENT_RATE).denominator(), 0);
  }

  std::string Scorecards() {
    std::string all;
    for (int m = -4; m <= 0; ++m) {
      auto card = Scorecard(Month(m));
      EXPECT_TRUE(card.ok());
      if (card.ok()) all += card->DebugString();
    }
    return all;
  }

  // ImportHistory calls the enrollment server answered UNAVAILABLE.
  double RefusedImports() {
    for (const auto& family : enrollment_->metrics->registry().Collect()) {
      if (family.name != "gnlc_rpc_requests_total") continue;
      double n = 0;
      for (const auto& m : family.metric) {
        bool import = false, unavailable = false;
        for (const auto& label : m.label) {
          import |= label.value == "ImportHistory";
          unavailable |= label.value == "UNAVAILABLE";
        }
        if (import && unavailable) n += m.counter.value;
      }
      return n;
    }
    return 0;
  }

  int64_t StreamLength() {
    auto len = pool_->Command({"XLEN", kEnrollmentStream});
    return len.ok() ? len->view().integer() : -1;
  }

  // Every key and its content, as one text (DumpRedis).
  std::string DumpAll() {
    std::string all;
    for (const auto& [key, text] : DumpRedis()) all += text + "\n";
    return all;
  }

  std::string SeatsTaken(const std::string& offering) {
    auto seats = Seats(offering);
    return seats.ok() ? absl::StrCat(seats->taken()) : seats.status().ToString();
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

TEST_F(HistoryImportTest, ScriptedHistoryGivesTheHandComputedValuesInThePastMonths) {
  StartAnalytics();
  WriteHistory();
  const ctl::HistoryImportReport first = Import();
  EXPECT_EQ(first.exit_code, 3) << "rejected rows make exit code 3";
  EXPECT_EQ(first.files.at("programs.csv").imported(), 2);
  EXPECT_EQ(first.files.at("offerings.csv").imported(), 3);
  EXPECT_EQ(first.files.at("learners.csv").imported(), 5);
  EXPECT_EQ(first.files.at("enrollments.csv").imported(), 7);
  // Rejected, by line: the unknown district; the completion without its
  // time, the overbooking row and the row of the rejected learner.
  EXPECT_EQ(Lines(first, "learners.csv"), (std::vector<int64_t>{7}));
  EXPECT_EQ(Lines(first, "enrollments.csv"), (std::vector<int64_t>{8, 10, 11}));
  for (const auto& rej : first.rejected.at("enrollments.csv")) {
    if (rej.row() == 8) {
      EXPECT_TRUE(absl::StrContains(rej.reason(), "completed_at")) << rej.reason();
    }
    if (rej.row() == 10) {
      EXPECT_EQ(rej.field(), "state");
      EXPECT_TRUE(absl::StrContains(rej.reason(), "seats are taken")) << rej.reason();
    }
  }
  // Nothing of the rejected rows is stored.
  const std::string dump = DumpAll();
  for (const char* id : {"L-bad", "E7", "E9", "E10"}) {
    EXPECT_FALSE(absl::StrContains(dump, absl::StrCat(":", id))) << id;
  }
  // F's one seat is a's: the overbooking row took nothing.
  for (const auto& rec : first.files.at("offerings.csv").records()) {
    if (rec.source_id() == "O-F") {
      EXPECT_EQ(SeatsTaken(rec.name()), "1");
    }
  }

  WaitCaughtUp();
  ExpectHandComputedValues();
  const std::string cards = Scorecards();
  const int64_t events = StreamLength();

  // The same files again: the checkpoint skips the rows acknowledged
  // before; the catalog files are sent whole and are unchanged.
  const ctl::HistoryImportReport second = Import();
  EXPECT_EQ(
      second.files.at("learners.csv").imported() + second.files.at("learners.csv").unchanged(), 0);
  EXPECT_EQ(second.files.at("enrollments.csv").imported(), 0);
  EXPECT_EQ(second.files.at("offerings.csv").unchanged(), 3);
  // Without the checkpoint every row is sent again, and is unchanged.
  std::filesystem::remove(dir_ / ".gnlc-import-nanjing.progress");
  const ctl::HistoryImportReport third = Import();
  EXPECT_EQ(third.files.at("learners.csv").unchanged(), 5);
  EXPECT_EQ(third.files.at("enrollments.csv").unchanged(), 7);
  EXPECT_EQ(third.files.at("enrollments.csv").imported(), 0);
  EXPECT_EQ(StreamLength(), events);
  WaitCaughtUp();
  EXPECT_EQ(Scorecards(), cards);
}

TEST_F(HistoryImportTest, AnImportInterruptedAndRunAgainGivesTheSameValues) {
  StartAnalytics();
  WriteHistory();
  // Two rows per batch: stopped after the first batch of learners.
  const ctl::HistoryImportReport stopped = Import(/*stop_after_batches=*/1, /*batch_rows=*/2);
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_LT(stopped.files.at("learners.csv").imported(), 5);
  const ctl::HistoryImportReport resumed = Import(0, 2);
  EXPECT_EQ(resumed.exit_code, 3);
  // The rows done before were not sent again: the two runs add up.
  EXPECT_EQ(stopped.files.at("learners.csv").imported() +
                resumed.files.at("learners.csv").imported() +
                resumed.files.at("learners.csv").unchanged(),
            5);
  EXPECT_EQ(resumed.files.at("enrollments.csv").imported(), 7);
  WaitCaughtUp();
  ExpectHandComputedValues();

  // Forgetting the checkpoint resends everything: nothing changes.
  const int64_t events = StreamLength();
  const std::string cards = Scorecards();
  std::filesystem::remove(dir_ / ".gnlc-import-nanjing.progress");
  const ctl::HistoryImportReport again = Import();
  EXPECT_EQ(again.files.at("enrollments.csv").unchanged(), 7);
  EXPECT_EQ(again.files.at("enrollments.csv").imported(), 0);
  EXPECT_EQ(StreamLength(), events);
  WaitCaughtUp();
  EXPECT_EQ(Scorecards(), cards);
}

TEST_F(HistoryImportTest, AnImportWaitsWhileAnalyticsIsBehindAndLosesNothing) {
  // Analytics' consumer group exists but reads nothing while it is stopped.
  StartAnalytics();
  WaitCaughtUp();
  StopAnalytics();
  WriteHistory();
  ::setenv("GNLC_IMPORT_MAX_BACKLOG", "2", 1);
  ctl::HistoryImportReport report;
  std::thread import([&] { report = Import(0, /*batch_rows=*/2); });
  // The import is held back: its batches are refused with IMPORT_BACKLOG
  // (UNAVAILABLE) and retried, until analytics reads again.
  ASSERT_TRUE(gnlc::testing::PollUntil([&] { return RefusedImports() >= 3; }, absl::Seconds(10)));
  StartAnalytics();
  import.join();
  ::unsetenv("GNLC_IMPORT_MAX_BACKLOG");
  EXPECT_EQ(report.exit_code, 3);
  EXPECT_EQ(report.files.at("learners.csv").imported(), 5);
  EXPECT_EQ(report.files.at("enrollments.csv").imported(), 7);
  EXPECT_EQ(Lines(report, "enrollments.csv"), (std::vector<int64_t>{8, 10, 11}))
      << "a retried batch must carry its rows again";
  WaitCaughtUp();
  ExpectHandComputedValues();
}

// Redis runs one script at a time: a request of 600 rows is applied in
// several short scripts, each sized by what the last ones took (the first
// has 16 rows, before anything is measured), never in one.
TEST_F(HistoryImportTest, ALargeBatchIsAppliedInShortScriptsNotOne) {
  constexpr int kRows = 600;
  Write("programs.csv",
        "source_id,kind,title_zh,title_en,district,state,created_at\n"
        "P-S,skill_training,电工培训,Electrician training,gulou,published," +
            Day(-4) + "\n");
  Write("offerings.csv",
        "source_id,program_source_id,start,end,modality,seats,venue_name_zh,venue_name_en,"
        "venue_address,venue_district,latitude,longitude,created_at,online_url\n"
        "O-S,P-S," +
            Day(-3, 15) + "," + Day(-2, 20) + ",in_person,1000,图书馆,Library,1 Road,gulou," +
            "32.05,118.78," + Day(-4) + ",\n");
  std::string learners =
      "source_id,external_subject,district,age_band,statistics_consent,backend,registered_at\n";
  std::string enrollments =
      "source_id,learner_source_id,offering,state,enrolled_at,seated_at,cancelled_at,outcome,"
      "hours,completed_at,employed,employed_since,rating,feedback_at\n";
  for (int i = 0; i < kRows; ++i) {
    absl::StrAppend(&learners, "L-", i, ",,gulou,adult,yes,,", Day(-4), "\n");
    absl::StrAppend(&enrollments, "E-", i, ",L-", i, ",O-S,completed,", Day(-3), ",,,passed,12,",
                    Day(-2), ",,,,\n");
  }
  Write("learners.csv", learners);
  Write("enrollments.csv", enrollments);
  RedisConnection admin(InspectOptions());
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "slowlog-log-slower-than", "0"}).ok());
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "slowlog-max-len", "100000"}).ok());
  ASSERT_TRUE(admin.Command({"SLOWLOG", "RESET"}).ok());

  const ctl::HistoryImportReport report = Import();
  ASSERT_EQ(report.exit_code, 0);
  EXPECT_EQ(report.files.at("enrollments.csv").imported(), kRows);

  // Each EVALSHA of the enrollments' script in the log: its rows, from its
  // argument count (Redis logs 31 arguments and "... (N more arguments)").
  auto log = admin.Command({"SLOWLOG", "GET", "-1"});
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<int> rows;  // newest first
  const std::string& sha = enrollment::ImportEnrollmentsScript().sha1();
  for (size_t i = 0; i < log->view().size(); ++i) {
    const ReplyView args = log->view()[i][3];
    if (args.size() < 2 || args[1].str() != sha) continue;
    int64_t argc = static_cast<int64_t>(args.size());
    int64_t more = 0;
    const absl::string_view last = args[args.size() - 1].str();
    if (absl::StartsWith(last, "... (") &&
        absl::SimpleAtoi(last.substr(5, last.find(' ', 5) - 5), &more)) {
      argc = 31 + more;
    }
    // EVALSHA sha numkeys keys..., city now retention, count kind, then 12
    // per row.
    int64_t keys = 0;
    ASSERT_TRUE(absl::SimpleAtoi(args[2].str(), &keys));
    rows.push_back(static_cast<int>((argc - 3 - keys - 5) / 12));
  }
  ASSERT_GE(rows.size(), 3u) << "one script for all rows holds Redis for the whole batch";
  int total = 0;
  for (int r : rows) total += r;
  EXPECT_EQ(total, kRows);
  EXPECT_EQ(rows.back(), 16) << "the first script, before its cost is known";

  // An operator sees the chunks on the enrollment service's /metrics.
  auto metrics = gnlc::testing::HttpGet(enrollment_->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const std::string line = "\ngnlc_bulk_chunks_total ";
  const size_t at = metrics->body.find(line);
  ASSERT_NE(at, std::string::npos) << metrics->body;
  EXPECT_GE(std::stod(metrics->body.substr(at + line.size())), static_cast<double>(rows.size()));
  EXPECT_NE(metrics->body.find("\ngnlc_bulk_paused_seconds_total "), std::string::npos);
  // The import's own CPU ran on the bulk threads, which yield to residents'
  // calls (handler_pool_test: at nice 10), in both services.
  EXPECT_GE(enrollment_->service->bulk_threads().started(), 1u);
  EXPECT_GE(catalog_->service->bulk_threads().started(), 1u);  // programs and offerings
}

TEST_F(HistoryImportTest, ACorrectedRowUpdatesTheRecordAndItsCounts) {
  StartAnalytics();
  WriteHistory();
  ASSERT_EQ(Import().exit_code, 3);
  WaitCaughtUp();
  // d's enrollment in C was in fact cancelled in M-2, not completed.
  std::ifstream in(dir_ / "enrollments.csv");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string old_row =
      "E5,L-d,O-C,completed," + Day(-3) + ",,,completed,8," + Day(-2) + ",,,4," + Day(-2, 11);
  const std::string new_row = "E5,L-d,O-C,cancelled," + Day(-3) + ",," + Day(-2) + ",,,,,,,";
  ASSERT_TRUE(absl::StrContains(text, old_row));
  text.replace(text.find(old_row), old_row.size(), new_row);
  Write("enrollments.csv", text);
  const ctl::HistoryImportReport r = Import();
  EXPECT_EQ(r.files.at("enrollments.csv").updated(), 1);
  EXPECT_EQ(r.files.at("enrollments.csv").unchanged(), 6);
  WaitCaughtUp();
  auto m2 = Scorecard(Month(-2));
  ASSERT_TRUE(m2.ok());
  // Completions a, c; cancellations after a seat b, d.
  auto completion = Find(*m2, apb::INDICATOR_COMPLETION_RATE);
  EXPECT_EQ(completion.numerator(), 2);
  EXPECT_EQ(completion.denominator(), 4);

  // c moved to jianye and got the city app: the learner is corrected.
  std::ifstream lin(dir_ / "learners.csv");
  std::string learners((std::istreambuf_iterator<char>(lin)), std::istreambuf_iterator<char>());
  const std::string old_c = "L-c,,xuanwu,senior,yes,,";
  ASSERT_TRUE(absl::StrContains(learners, old_c));
  learners.replace(learners.find(old_c), old_c.size(), "L-c,sub-c,jianye,senior,yes,city-app,");
  Write("learners.csv", learners);
  const ctl::HistoryImportReport fixed = Import();
  EXPECT_EQ(fixed.files.at("learners.csv").updated(), 1);
  EXPECT_EQ(fixed.files.at("learners.csv").unchanged(), 4);
  auto mapping = pool_->Command({"HGET", "enr:{0}:src", "l:L-c"});
  ASSERT_TRUE(mapping.ok() && !mapping->view().is_nil());
  epb::GetLearnerRequest get;
  get.set_name(
      absl::StrCat("cities/nanjing/learners/", SplitSourceMapping(mapping->view().str()).first));
  epb::GetLearnerResponse got;
  ASSERT_TRUE(stub().GetLearner(catalog::testing::Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.learner().district(), "jianye");
  EXPECT_EQ(got.learner().external_subject(), "sub-c");
  EXPECT_EQ(got.learner().etag(), "2");
  EXPECT_EQ(got.learner().create_time().seconds(), absl::ToUnixSeconds(DayInMonth(-4)));
}

TEST_F(HistoryImportTest, AnImportedLearnersDataIsExportedAndErasedLikeALiveOnes) {
  StartAnalytics();
  WriteHistory();
  const ctl::HistoryImportReport r = Import();
  ASSERT_EQ(r.exit_code, 3);
  auto mapping = pool_->Command({"HGET", "enr:{0}:src", "l:L-a"});
  ASSERT_TRUE(mapping.ok() && !mapping->view().is_nil());
  const std::string a_name =
      absl::StrCat("cities/nanjing/learners/", SplitSourceMapping(mapping->view().str()).first);
  WaitCaughtUp();
  const std::string cards = Scorecards();

  epb::ExportLearnerDataRequest ereq;
  ereq.set_name(a_name);
  epb::ExportLearnerDataResponse eresp;
  ASSERT_TRUE(stub().ExportLearnerData(catalog::testing::Ctx().get(), ereq, &eresp).ok());
  ASSERT_EQ(eresp.enrollments_size(), 3);  // E1, E4, E8
  bool completed_with_history = false;
  for (const auto& e : eresp.enrollments()) {
    if (e.state() == epb::ENROLLMENT_STATE_COMPLETED) {
      completed_with_history = e.history_size() == 2 && e.has_employment() && e.has_feedback() &&
                               e.history(0).time().seconds() == absl::ToUnixSeconds(DayInMonth(-3));
    }
  }
  EXPECT_TRUE(completed_with_history) << eresp.DebugString();

  const std::string learner_id(LastSegment(a_name));
  std::vector<std::string> enrollment_ids;
  for (const auto& e : eresp.enrollments()) enrollment_ids.emplace_back(LastSegment(e.name()));
  ASSERT_TRUE(absl::StrContains(DumpAll(), "L-a")) << "the test would prove nothing";

  epb::EraseLearnerRequest req;
  req.set_name(a_name);
  epb::EraseLearnerResponse resp;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), req, &resp).ok());
  WaitCaughtUp();
  // Nothing names them but the erasure event itself (as for a live learner).
  for (const auto& [key, text] : DumpRedis()) {
    for (const auto& id : enrollment_ids) EXPECT_FALSE(absl::StrContains(text, id)) << key;
    for (const char* source : {"L-a", "sub-a", ":E1", ":E4", ":E8"}) {
      EXPECT_FALSE(absl::StrContains(text, source)) << source << " left in " << key;
    }
    if (absl::StrContains(text, learner_id)) {
      EXPECT_EQ(key, "enr:{0}:events");
    }
  }
  for (const Event& e : EnrollmentEvents()) {
    if (!e.has_learner_erased()) {
      EXPECT_FALSE(absl::StrContains(e.SerializeAsString(), learner_id)) << e.type();
    }
  }
  EXPECT_EQ(Scorecards(), cards) << "past values changed with the erasure";

  // A re-import (of every row) does not bring the erased resident back.
  std::filesystem::remove(dir_ / ".gnlc-import-nanjing.progress");
  const ctl::HistoryImportReport again = Import();
  bool erased_refused = false;
  for (const auto& rej : again.rejected.at("learners.csv")) {
    erased_refused |= rej.source_id() == "L-a" && absl::StrContains(rej.reason(), "erased");
  }
  EXPECT_TRUE(erased_refused);
  // a's rows are refused; b's row for F now fits in the seat a held.
  std::vector<std::string> refused;
  for (const auto& rej : again.rejected.at("enrollments.csv")) {
    if (rej.field() == "learner_source_id") refused.push_back(rej.source_id());
  }
  EXPECT_EQ(refused, (std::vector<std::string>{"E1", "E4", "E8", "E10"}));
  EXPECT_EQ(again.files.at("enrollments.csv").imported(), 1);
  EXPECT_FALSE(absl::StrContains(DumpAll(), "sub-a"));
}

// The enrollment record imported with `source` as it is stored, without
// what a new import gives anew (its id, its learner's id, its version).
std::string RecordOf(RedisPool& pool, const std::string& source) {
  auto mapping = pool.Command({"HGET", "enr:{0}:src", "e:" + source});
  if (!mapping.ok() || mapping->view().is_nil()) return "(none)";
  const std::string id(SplitSourceMapping(mapping->view().str()).first);
  auto blob = pool.Command({"HGET", "enr:{0}:enr", id});
  epb::Enrollment e;
  if (!blob.ok() || !e.ParseFromString(std::string(blob->view().str()))) return "(unreadable)";
  e.clear_name();
  e.clear_learner();
  return e.DebugString();
}

// gnlcctl archive: the learners whose every record is older than the date
// (b, c and d: a and e still hold seats) leave Redis for import files, also
// when an earlier run stopped before storing what it took out; analytics'
// values stay; the files import back to the same records, counted once; d,
// erased while archived, is refused.
TEST_F(HistoryImportTest, ArchivedLearnersComeBackFromTheFilesExceptTheErased) {
  StartAnalytics();
  WriteHistory();
  ASSERT_EQ(Import().exit_code, 3);
  WaitCaughtUp();
  ExpectHandComputedValues();
  const std::string cards = Scorecards();
  const std::string b_record = RecordOf(*pool_, "E2");
  const std::string c_record = RecordOf(*pool_, "E3");
  ASSERT_NE(b_record, "(none)");
  ASSERT_NE(c_record, "(none)");
  auto d_mapping = pool_->Command({"HGET", "enr:{0}:src", "l:L-d"});
  ASSERT_TRUE(d_mapping.ok() && !d_mapping->view().is_nil());
  const std::string d_name =
      absl::StrCat("cities/nanjing/learners/", SplitSourceMapping(d_mapping->view().str()).first);

  // Everything before this month (the import itself, minutes ago, is not
  // what the learners did).
  const absl::Time before = DayInMonth(0, 1) - absl::Hours(12);
  // A run that took learners out and stopped before storing them.
  epb::ArchiveHistoryRequest first;
  first.set_parent("cities/nanjing");
  *first.mutable_archive_before() = TimestampFromTime(before);
  epb::ArchiveHistoryResponse taken;
  ASSERT_TRUE(stub().ArchiveHistory(catalog::testing::Ctx().get(), first, &taken).ok());
  ASSERT_GT(taken.learners_size(), 0);

  const std::filesystem::path archive = dir_ / "archive";
  std::filesystem::create_directories(archive);
  ctl::HistoryArchiveOptions o;
  o.dir = archive.string();
  o.city = "nanjing";
  o.before = before;
  o.page_size = 1;
  const ctl::HistoryArchiveReport r = ctl::ArchiveHistory(enrollment_->channel, o);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.learners, 3);
  EXPECT_EQ(r.enrollments, 3);
  for (const char* gone : {"l:L-b", "l:L-c", "l:L-d", "e:E2", "e:E3", "e:E5"}) {
    auto left = pool_->Command({"HEXISTS", "enr:{0}:src", gone});
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left->view().integer(), 0) << gone << " is still in Redis";
  }
  for (const char* kept : {"l:L-a", "l:L-e"}) {
    auto left = pool_->Command({"HEXISTS", "enr:{0}:src", kept});
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left->view().integer(), 1) << kept << " was archived with a seat held";
  }
  auto staged = pool_->Command({"HLEN", "enr:{0}:archive"});
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(staged->view().integer(), 0) << "rows kept after they were stored";
  WaitCaughtUp();
  EXPECT_EQ(Scorecards(), cards) << "archiving changed what analytics counted";

  epb::EraseLearnerRequest erase;
  erase.set_name(d_name);
  epb::EraseLearnerResponse erased;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  EXPECT_TRUE(erased.erased());

  ctl::HistoryImportOptions back;
  back.dir = archive.string();
  back.city = "nanjing";
  back.tz = absl::UTCTimeZone();
  const ctl::HistoryImportReport restored =
      ctl::ImportHistory(catalog_->channel, enrollment_->channel, back);
  EXPECT_EQ(restored.exit_code, 3);
  EXPECT_EQ(restored.files.at("learners.csv").imported(), 2);
  EXPECT_EQ(restored.files.at("enrollments.csv").imported(), 2);
  bool d_refused = false;
  for (const auto& rej : restored.rejected.at("learners.csv")) {
    d_refused |= rej.source_id() == "L-d" && absl::StrContains(rej.reason(), "erased");
  }
  EXPECT_TRUE(d_refused) << "the erased resident came back from the archive";
  EXPECT_EQ(RecordOf(*pool_, "E5"), "(none)");
  EXPECT_EQ(RecordOf(*pool_, "E2"), b_record) << "the record did not come back as it was";
  EXPECT_EQ(RecordOf(*pool_, "E3"), c_record) << "the record did not come back as it was";
  WaitCaughtUp();
  EXPECT_EQ(Scorecards(), cards) << "restored records were counted again";
}

}  // namespace
}  // namespace gnlc::analytics::testing
