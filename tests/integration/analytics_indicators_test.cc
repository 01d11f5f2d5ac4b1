// Analytics through gRPC against a real Redis, fed by the real enrollment
// service: a scripted history gives exactly the values computed by hand;
// every event delivered twice with a Redis crash in the middle gives the
// same values; an erased learner leaves no trace and changes no past value.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "absl/strings/match.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/quick_streams.h"

namespace gnlc::analytics::testing {
namespace {

using gnlc::type::v1::PROGRAM_KIND_CULTURAL;
using gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING;
constexpr double kPopulation = 2'500'000;  // TestCity: 5 districts of 500,000

class AnalyticsIndicatorsTest : public AnalyticsTest {
 protected:
  std::string RedisAppendFsync() const override { return "always"; }

  // The history, month by month (months 1, 2, 3 from now; UTC):
  //  1: a, b enroll in the skills course S (2 seats), c is waitlisted;
  //     a and d enroll in the cultural programme C; e (no consent) too.
  //  2: b cancels, c is promoted; a and c complete S, d completes C;
  //     ratings a:5 (S), c:3 (S), d:4 (C).
  //  3: a employed since month 2 + 3 weeks; c changes the rating to 4.
  //  10: c employed since month 2 + 7 months (too late to count).
  void PlayHistory() {
    OfferingSpec s;
    s.kind = PROGRAM_KIND_SKILL_TRAINING;
    s.seats = 2;
    s.starts_in = absl::Hours(24 * 360);
    OfferingSpec c;
    c.kind = PROGRAM_KIND_CULTURAL;
    c.starts_in = absl::Hours(24 * 360);
    const std::string skills = CreateOffering(s);
    const std::string culture = CreateOffering(c);
    culture_ = culture;
    a_ = CreateLearner("gulou");
    b_ = CreateLearner("gulou");
    c_ = CreateLearner("xuanwu");
    d_ = CreateLearner("qinhuai");
    e_ = CreateLearner("gulou", /*consents=*/false);

    SetClock(DayInMonth(1));
    auto as = Enroll(a_, skills);
    auto bs = Enroll(b_, skills);
    auto cs = Enroll(c_, skills);
    ASSERT_TRUE(as.ok() && bs.ok() && cs.ok());
    ASSERT_EQ(cs->state(), epb::ENROLLMENT_STATE_WAITLISTED);
    ASSERT_TRUE(Enroll(a_, culture).ok());
    auto dc = Enroll(d_, culture);
    ASSERT_TRUE(dc.ok());
    ASSERT_TRUE(Enroll(e_, culture).ok());

    SetClock(DayInMonth(2));
    ASSERT_TRUE(Cancel(bs->name()).ok());
    ASSERT_EQ(Get(cs->name())->state(), epb::ENROLLMENT_STATE_CONFIRMED);
    ASSERT_TRUE(Complete(as->name()).ok());
    ASSERT_TRUE(Complete(cs->name()).ok());
    ASSERT_TRUE(Complete(dc->name()).ok());
    ASSERT_TRUE(Rate(as->name(), 5).ok());
    ASSERT_TRUE(Rate(cs->name(), 3, "too fast").ok());
    ASSERT_TRUE(Rate(dc->name(), 4).ok());

    SetClock(DayInMonth(3));
    // Three weeks after completing (a month would reach past the 10th of
    // month 3 when month 2 is February).
    ASSERT_TRUE(RecordEmployment(as->name(), true, DayInMonth(2) + absl::Hours(24 * 21)).ok());
    ASSERT_TRUE(Rate(cs->name(), 4, "better on reflection").ok());

    SetClock(DayInMonth(10));
    auto late = RecordEmployment(cs->name(), true, DayInMonth(9));
    ASSERT_TRUE(late.ok()) << late.status();
    c_enrollment_ = cs->name();
  }

  // The values computed by hand from PlayHistory.
  void ExpectHandComputedValues() {
    auto m1 = Scorecard(Month(1));
    ASSERT_TRUE(m1.ok()) << m1.status();
    // Month 1: learners a, b, d confirmed (c waitlisted, e not counted).
    auto part = Find(*m1, apb::INDICATOR_PARTICIPATION_RATE);
    EXPECT_EQ(part.numerator(), 3);
    EXPECT_EQ(part.denominator(), 2'500'000);
    EXPECT_DOUBLE_EQ(part.value(), 3 / kPopulation);
    // 1 waitlisted per 4 confirmed enrollments (a:S, b:S, a:C, d:C).
    auto wait = Find(*m1, apb::INDICATOR_WAITLIST_PRESSURE);
    EXPECT_EQ(wait.numerator(), 1);
    EXPECT_EQ(wait.denominator(), 4);
    EXPECT_DOUBLE_EQ(wait.value(), 0.25);

    auto m2 = Scorecard(Month(2));
    ASSERT_TRUE(m2.ok()) << m2.status();
    // Month 2: c promoted; a, c, d completed: 3 distinct learners.
    EXPECT_EQ(Find(*m2, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 3);
    // 3 completed, 1 cancelled after confirmation.
    auto completion = Find(*m2, apb::INDICATOR_COMPLETION_RATE);
    EXPECT_EQ(completion.numerator(), 3);
    EXPECT_EQ(completion.denominator(), 4);
    EXPECT_DOUBLE_EQ(completion.value(), 0.75);
    // Skills graduates a and c; only a employed within six months.
    auto placement = Find(*m2, apb::INDICATOR_JOB_PLACEMENT_RATE);
    EXPECT_EQ(placement.numerator(), 1);
    EXPECT_EQ(placement.denominator(), 2);
    EXPECT_DOUBLE_EQ(placement.value(), 0.5);
    // Ratings given in month 2: 5, 3 (changed to 4 in month 3), 4.
    auto satisfaction = Find(*m2, apb::INDICATOR_SATISFACTION);
    EXPECT_EQ(satisfaction.numerator(), 3);
    EXPECT_EQ(satisfaction.denominator(), 3);
    auto mean = Find(*m2, apb::INDICATOR_MEAN_RATING);
    EXPECT_EQ(mean.numerator(), 13);
    EXPECT_EQ(mean.denominator(), 3);
    EXPECT_DOUBLE_EQ(mean.value(), 13.0 / 3);

    // Month 3 has only the rating change and the employment: no new values.
    auto m3 = Scorecard(Month(3));
    ASSERT_TRUE(m3.ok());
    EXPECT_EQ(Find(*m3, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 0);
    EXPECT_EQ(Find(*m3, apb::INDICATOR_SATISFACTION).denominator(), 0);

    // The year of month 1 counts a, b, d and, if month 2 is in the same
    // year, c as well: distinct learners, not a sum of months.
    auto year = Scorecard(MakePeriod(apb::PERIOD_KIND_YEAR, Month(1).year()));
    ASSERT_TRUE(year.ok());
    EXPECT_EQ(Find(*year, apb::INDICATOR_PARTICIPATION_RATE).numerator(),
              Month(2).year() == Month(1).year() ? 4 : 3);

    // By district in month 1: gulou a, b; qinhuai d; xuanwu nobody.
    apb::GetBreakdownRequest req;
    req.set_parent("cities/nanjing");
    req.set_indicator(apb::INDICATOR_PARTICIPATION_RATE);
    *req.mutable_period() = Month(1);
    req.set_dimension(apb::DIMENSION_DISTRICT);
    apb::GetBreakdownResponse resp;
    ASSERT_TRUE(analytics().GetBreakdown(catalog::testing::Ctx().get(), req, &resp).ok());
    std::map<std::string, int64_t> by_district;
    for (const auto& row : resp.rows()) {
      by_district[row.key()] = row.numerator();
      EXPECT_EQ(row.denominator(), 500'000) << row.key();
    }
    EXPECT_EQ(by_district,
              (std::map<std::string, int64_t>{
                  {"gulou", 2}, {"xuanwu", 0}, {"qinhuai", 1}, {"jianye", 0}, {"jiangning", 0}}));
    // By program kind in month 1: skills a, b; cultural a, d.
    req.set_dimension(apb::DIMENSION_PROGRAM_KIND);
    resp.Clear();
    ASSERT_TRUE(analytics().GetBreakdown(catalog::testing::Ctx().get(), req, &resp).ok());
    for (const auto& row : resp.rows()) {
      const int64_t want = row.key() == "PROGRAM_KIND_SKILL_TRAINING" ? 2
                           : row.key() == "PROGRAM_KIND_CULTURAL"     ? 2
                                                                      : 0;
      EXPECT_EQ(row.numerator(), want) << row.key();
    }

    // The series over the three months.
    apb::GetIndicatorSeriesRequest sreq;
    sreq.set_parent("cities/nanjing");
    sreq.set_indicator(apb::INDICATOR_PARTICIPATION_RATE);
    *sreq.mutable_from_period() = Month(1);
    *sreq.mutable_to_period() = Month(3);
    apb::GetIndicatorSeriesResponse sresp;
    ASSERT_TRUE(analytics().GetIndicatorSeries(catalog::testing::Ctx().get(), sreq, &sresp).ok());
    ASSERT_EQ(sresp.points_size(), 3);
    EXPECT_EQ(sresp.points(0).numerator(), 3);
    EXPECT_EQ(sresp.points(1).numerator(), 3);
    EXPECT_EQ(sresp.points(2).numerator(), 0);
  }

  std::string Dump(const std::string& pattern) {
    std::string all;
    auto keys = pool_->Command({"KEYS", pattern});  // a test Redis: KEYS is fine here
    EXPECT_TRUE(keys.ok());
    for (size_t i = 0; i < keys->view().size(); ++i) {
      const std::string key(keys->view()[i].str());
      all += key + "\n";
      auto dump = pool_->Command({"DUMP", key});
      if (dump.ok()) all += std::string(dump->view().str()) + "\n";
    }
    return all;
  }

  std::string a_, b_, c_, d_, e_, c_enrollment_, culture_;
};

TEST_F(AnalyticsIndicatorsTest, ScriptedHistoryGivesTheValuesComputedByHand) {
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  ExpectHandComputedValues();
}

TEST_F(AnalyticsIndicatorsTest, EveryEventTwiceAndARedisCrashChangeNothing) {
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  ExpectHandComputedValues();
  const int64_t first = analytics_->service->ingester().applied();
  ASSERT_GT(first, 0);

  // Rewind the group: every event is delivered a second time.
  StopAnalytics();
  for (const auto& stream : Ingester::Streams()) {
    ASSERT_TRUE(pool_->Command({"XGROUP", "SETID", stream, kAnalyticsGroup, "0"}).ok());
  }
  StartAnalytics();
  // A crash in the middle of the second delivery (SIGKILL, AOF always).
  redis_->Kill(SIGKILL);
  ASSERT_TRUE(redis_->Restart().ok());
  WaitCaughtUp();
  ExpectHandComputedValues();
  EXPECT_EQ(analytics_->service->ingester().applied(), 0)
      << "a redelivered event was applied again";
}

TEST_F(AnalyticsIndicatorsTest, AnEventAppliedByAnotherConsumerIsNotAppliedAgain) {
  // Out of order: a dead consumer's entry taken over after the group moved
  // on. The store refuses any batch holding an applied id.
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  auto before = Scorecard(Month(2));
  ASSERT_TRUE(before.ok());
  std::vector<Event> events = EnrollmentEvents();
  ASSERT_FALSE(events.empty());
  AnalyticsStore store(analytics_->pool.get());
  IngestPlan plan(absl::UTCTimeZone());
  for (const auto& e : events) plan.Add(e);
  auto dups = store.Apply(kEnrollmentStream, kAnalyticsGroup, plan);
  ASSERT_TRUE(dups.ok()) << dups.status();
  EXPECT_EQ(dups->size(), events.size());
  StopAnalytics();  // no cache
  StartAnalytics();
  auto after = Scorecard(Month(2));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->DebugString(), after->DebugString());
}

TEST_F(AnalyticsIndicatorsTest, AnErasedLearnerLeavesNoTraceAndPastValuesStay) {
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  auto m1 = Scorecard(Month(1));
  auto m2 = Scorecard(Month(2));
  ASSERT_TRUE(m1.ok() && m2.ok());
  const std::string learner_id(LastSegment(c_));
  ASSERT_TRUE(absl::StrContains(Dump("ana:*"), learner_id)) << "the test would prove nothing";

  epb::EraseLearnerRequest req;
  req.set_name(c_);
  epb::EraseLearnerResponse resp;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), req, &resp).ok());
  WaitCaughtUp();

  const std::string dump = Dump("ana:*");
  EXPECT_FALSE(absl::StrContains(dump, learner_id)) << "learner id left in analytics keys";
  EXPECT_FALSE(absl::StrContains(dump, std::string(LastSegment(c_enrollment_))))
      << "enrollment id left in analytics keys";
  auto m1_after = Scorecard(Month(1));
  auto m2_after = Scorecard(Month(2));
  ASSERT_TRUE(m1_after.ok() && m2_after.ok());
  EXPECT_EQ(m1->DebugString(), m1_after->DebugString());
  EXPECT_EQ(m2->DebugString(), m2_after->DebugString());
}

// Distinct learners are bits over a dense learner number, not sets of ids:
// the same hand-computed values, no set key, and erasure clears the
// learner's bits without lengthening any bitmap.
TEST_F(AnalyticsIndicatorsTest, DistinctLearnersAreBitsThatErasureClears) {
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  ExpectHandComputedValues();
  auto sets = pool_->Command({"KEYS", "ana:{0}:s:*"});
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(sets->view().size(), 0u) << "a distinct set of learner ids was written";
  auto bitmaps = pool_->Command({"SMEMBERS", "ana:{0}:bitmaps"});
  ASSERT_TRUE(bitmaps.ok());
  ASSERT_GT(bitmaps->view().size(), 0u);
  const std::string c_id(LastSegment(c_));
  auto number = pool_->Command({"HGET", "ana:{0}:ln", c_id});
  ASSERT_TRUE(number.ok() && number->view().is_string());
  const std::string n(number->view().str());
  std::map<std::string, int64_t> lengths;
  int set_bits = 0;
  for (size_t i = 0; i < bitmaps->view().size(); ++i) {
    const std::string key(bitmaps->view()[i].str());
    lengths[key] = pool_->Command({"STRLEN", key})->view().integer();
    set_bits += static_cast<int>(pool_->Command({"GETBIT", key, n})->view().integer());
  }
  ASSERT_GT(set_bits, 0) << "the test would prove nothing";

  epb::EraseLearnerRequest req;
  req.set_name(c_);
  epb::EraseLearnerResponse resp;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), req, &resp).ok());
  WaitCaughtUp();
  for (const auto& [key, length] : lengths) {
    EXPECT_EQ(pool_->Command({"GETBIT", key, n})->view().integer(), 0) << key;
    EXPECT_EQ(pool_->Command({"STRLEN", key})->view().integer(), length) << key;
  }
  auto gone = pool_->Command({"HEXISTS", "ana:{0}:ln", c_id});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->view().integer(), 0);
}

// A set written by an earlier version still counts its members once: a
// learner already in it is not counted again when their bit is new.
TEST_F(AnalyticsIndicatorsTest, ALearnerInAnOldDistinctSetIsNotCountedTwice) {
  StartAnalytics();
  const std::string offering = CreateOffering(5);
  const std::string learner = CreateLearner("gulou");
  const std::string month = PeriodKey(Month(0));
  ASSERT_TRUE(pool_
                  ->Command({"SADD", absl::StrCat("ana:{0}:s:", month, ":part"),
                             std::string(LastSegment(learner))})
                  .ok());
  ASSERT_TRUE(
      pool_->Command({"SADD", "ana:{0}:sets", absl::StrCat("ana:{0}:s:", month, ":part")}).ok());
  const std::string other = CreateLearner("gulou");
  ASSERT_TRUE(Enroll(learner, offering).ok());
  ASSERT_TRUE(Enroll(other, offering).ok());
  WaitCaughtUp();
  auto counted = pool_->Command({"HGET", absl::StrCat("ana:{0}:n:", month), "part"});
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->view().str(), "1") << "only the learner not in the old set is new";
}

// Streams kept one second past what every reader has, trimmed every 50 ms:
// a stopped analytics misses events within a test.
class AnalyticsRecountTest : public AnalyticsIndicatorsTest {
 protected:
  gnlc::testing::QuickStreams streams_{{.retention_seconds = 1}};

  // Until `stream` is trimmed past its oldest entry now.
  void WaitUntilTheOldestEventIsTrimmed(const char* stream = kEnrollmentStream) {
    auto oldest = pool_->Command({"XRANGE", stream, "-", "+", "COUNT", "1"});
    ASSERT_TRUE(oldest.ok() && oldest->view().size() == 1);
    const std::string id(oldest->view()[0][0].str());
    ASSERT_TRUE(gnlc::testing::PollUntil(
        [&] {
          auto t = pool_->Command({"GET", TrimmedKey(stream)});
          return t.ok() && !t->view().is_nil() && CompareStreamIds(t->view().str(), id) > 0;
        },
        absl::Seconds(10)))
        << stream << " was not trimmed";
  }

  std::string PublishProgram(const std::string& title) {
    catalog::v1::Program p = catalog::testing::NewProgram(title, title);
    p.set_state(catalog::v1::PROGRAM_STATE_PUBLISHED);
    return catalog::testing::MustCreateProgram(catalog(), p).name();
  }
  int64_t ProgramsOnOffer() {
    auto card = Scorecard(Month(0));
    EXPECT_TRUE(card.ok()) << card.status();
    return card.ok() ? Find(*card, apb::INDICATOR_PROGRAMS_ON_OFFER).numerator() : -1;
  }
};

// Analytics stopped before the first enrollment and started after the
// stream lost its events: it recounts every period from the records and
// shows exactly the values the live events give (the same hand-computed
// values, a changed rating still in the month it was given).
TEST_F(AnalyticsRecountTest, AnalyticsBackAfterTheRetentionRecountsEverythingFromTheRecords) {
  StartAnalytics();
  WaitCaughtUp();
  StopAnalytics();
  PlayHistory();
  WaitUntilTheOldestEventIsTrimmed();

  StartAnalytics();
  WaitCaughtUp();
  EXPECT_EQ(analytics_->service->ingester().recounts(), 1);
  ExpectHandComputedValues();
}

// Analytics that had counted part of the history: the recount starts at the
// year of its position and leaves earlier years as they were; the learner
// erased while it was away is forgotten (their learner number too), and the
// enrollment it never saw is counted.
TEST_F(AnalyticsRecountTest, ARecountKeepsEarlierYearsAndForgetsWhoWasErased) {
  StartAnalytics();
  PlayHistory();
  WaitCaughtUp();
  ExpectHandComputedValues();
  // A count of a year long before (as an earlier import would leave it).
  ASSERT_TRUE(pool_->Command({"HSET", "ana:{0}:n:2019-03", "conf", "7"}).ok());
  const std::string d_id(LastSegment(d_));
  auto numbered = pool_->Command({"HEXISTS", "ana:{0}:ln", d_id});
  ASSERT_TRUE(numbered.ok() && numbered->view().integer() == 1) << "the test would prove nothing";
  StopAnalytics();

  epb::EraseLearnerRequest erase;
  erase.set_name(d_);
  epb::EraseLearnerResponse erased;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  SetClock(DayInMonth(1));
  const std::string g = CreateLearner("jianye");
  ASSERT_TRUE(Enroll(g, culture_).ok());
  WaitUntilTheOldestEventIsTrimmed();

  StartAnalytics();
  WaitCaughtUp();
  EXPECT_EQ(analytics_->service->ingester().recounts(), 1);
  auto m1 = Scorecard(Month(1));
  ASSERT_TRUE(m1.ok()) << m1.status();
  // Month 1 from the records: a, b and g confirmed; d's records are gone.
  EXPECT_EQ(Find(*m1, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 3);
  auto wait = Find(*m1, apb::INDICATOR_WAITLIST_PRESSURE);
  EXPECT_EQ(wait.numerator(), 1);
  EXPECT_EQ(wait.denominator(), 4);  // a:S, b:S, a:C, g:C
  auto old = pool_->Command({"HGET", "ana:{0}:n:2019-03", "conf"});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->view().str(), "7") << "a year before the recount was changed";
  numbered = pool_->Command({"HEXISTS", "ana:{0}:ln", d_id});
  ASSERT_TRUE(numbered.ok());
  EXPECT_EQ(numbered->view().integer(), 0) << "the erased learner keeps a number";
  EXPECT_FALSE(absl::StrContains(Dump("ana:*"), d_id)) << "erased learner id left in analytics";
}

// Analytics stopped while a program was deleted and others published, past
// the catalog stream's retention: it recounts the programs on offer from the
// catalog and shows what stands now.
TEST_F(AnalyticsRecountTest, ProgramsOnOfferAreRecountedFromTheCatalogAfterAGap) {
  StartAnalytics();
  PublishProgram("留下");
  const std::string gone = PublishProgram("删除");
  WaitCaughtUp();
  const int64_t before = ProgramsOnOffer();
  ASSERT_GE(before, 2);
  StopAnalytics();

  catalog::v1::DeleteProgramRequest del;
  del.set_name(gone);
  catalog::v1::DeleteProgramResponse deleted;
  ASSERT_TRUE(catalog().DeleteProgram(catalog::testing::Ctx().get(), del, &deleted).ok());
  PublishProgram("新一");
  PublishProgram("新二");
  WaitUntilTheOldestEventIsTrimmed(kCatalogStream);

  StartAnalytics();
  WaitCaughtUp();
  EXPECT_EQ(analytics_->service->ingester().program_recounts(), 1);
  EXPECT_EQ(ProgramsOnOffer(), before + 1) << "one deleted, two published while away";
}

}  // namespace
}  // namespace gnlc::analytics::testing
