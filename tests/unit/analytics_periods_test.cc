// Periods in the city's time zone, and what indicators make of counters.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "services/analytics/indicators.h"
#include "services/analytics/periods.h"
#include "services/analytics/standing.h"

namespace gnlc::analytics {
namespace {

TEST(AnalyticsPeriodsTest, AnEventNearMidnightFallsInTheCitysMonth) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  // 2026-12-31 17:30 UTC is 2027-01-01 01:30 in Shanghai.
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 12, 31, 17, 30, 0), absl::UTCTimeZone());
  const auto [month, quarter, year] = PeriodsOf(t, shanghai);
  EXPECT_EQ(PeriodKey(month), "2027-01");
  EXPECT_EQ(PeriodKey(quarter), "2027-Q1");
  EXPECT_EQ(PeriodKey(year), "2027");
  EXPECT_EQ(PeriodKey(PeriodOf(pb::PERIOD_KIND_MONTH, t, absl::UTCTimeZone())), "2026-12");
}

TEST(AnalyticsPeriodsTest, KeysRangesAndValidation) {
  auto q = ParsePeriodKey("2026-Q4");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->kind(), pb::PERIOD_KIND_QUARTER);
  EXPECT_EQ(PeriodKey(NextPeriod(*q)), "2027-Q1");
  EXPECT_EQ(LastMonthOrdinal(*q), 2026 * 12 + 11);
  EXPECT_FALSE(ParsePeriodKey("2026-13").ok());
  EXPECT_FALSE(ParsePeriodKey("26-1").ok());
  EXPECT_FALSE(ValidatePeriod(MakePeriod(pb::PERIOD_KIND_QUARTER, 2026, 5), "period").ok());
  EXPECT_FALSE(ValidatePeriod(pb::Period(), "period").ok());

  auto range = PeriodRange(MakePeriod(pb::PERIOD_KIND_MONTH, 2025, 11),
                           MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 2), 120);
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 4u);
  EXPECT_EQ(PeriodKey((*range)[2]), "2026-01");
  EXPECT_FALSE(PeriodRange(MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 2),
                           MakePeriod(pb::PERIOD_KIND_MONTH, 2025, 11), 120)
                   .ok());
  EXPECT_FALSE(PeriodRange(MakePeriod(pb::PERIOD_KIND_MONTH, 2000, 1),
                           MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 1), 120)
                   .ok());
  EXPECT_FALSE(PeriodRange(MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 1),
                           MakePeriod(pb::PERIOD_KIND_YEAR, 2026), 120)
                   .ok());
}

TEST(AnalyticsPeriodsTest, SixMonthsAfterTheEndOfAugustIsTheEndOfFebruary) {
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 8, 31, 9, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(AddMonths(t, 6, absl::UTCTimeZone()),
            absl::FromCivil(absl::CivilSecond(2027, 2, 28, 9, 0, 0), absl::UTCTimeZone()));
}

TEST(AnalyticsPeriodsTest, APeriodUnderWayIsComparedWithTheSameCalendarDays) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  // 7 December 2026, 01:30 in Shanghai (still 6 December in UTC).
  const absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 12, 7, 1, 30, 0), shanghai);
  const SameDays month = SameDaysAs(MakePeriod(pb::PERIOD_KIND_MONTH, 2024, 12),
                                    MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 12), now, shanghai);
  EXPECT_EQ(month.through, "2024-12-07");
  EXPECT_EQ(month.spans,
            (std::vector<std::string>{"2024-12-01", "2024-12-02", "2024-12-03", "2024-12-04",
                                      "2024-12-05", "2024-12-06", "2024-12-07"}));
  // Year to date: the whole months before, then the days.
  const SameDays year = SameDaysAs(MakePeriod(pb::PERIOD_KIND_YEAR, 2025),
                                   MakePeriod(pb::PERIOD_KIND_YEAR, 2026), now, shanghai);
  ASSERT_EQ(year.spans.size(), 11u + 7u);
  EXPECT_EQ(year.spans.front(), "2025-01");
  EXPECT_EQ(year.spans[10], "2025-11");
  EXPECT_EQ(year.spans[11], "2025-12-01");
  EXPECT_EQ(year.through, "2025-12-07");
  // The quarter: October and November whole.
  const SameDays quarter = SameDaysAs(MakePeriod(pb::PERIOD_KIND_QUARTER, 2025, 4),
                                      MakePeriod(pb::PERIOD_KIND_QUARTER, 2026, 4), now, shanghai);
  EXPECT_EQ(quarter.spans.front(), "2025-10");
  EXPECT_EQ(quarter.spans.size(), 2u + 7u);
  // 29 February against a year without one: through the 28th.
  const absl::Time leap = absl::FromCivil(absl::CivilSecond(2028, 2, 29, 12, 0, 0), shanghai);
  EXPECT_EQ(SameDaysAs(MakePeriod(pb::PERIOD_KIND_MONTH, 2027, 2),
                       MakePeriod(pb::PERIOD_KIND_MONTH, 2028, 2), leap, shanghai)
                .through,
            "2027-02-28");
  // A period not begun has no days yet.
  EXPECT_TRUE(SameDaysAs(MakePeriod(pb::PERIOD_KIND_YEAR, 2025),
                         MakePeriod(pb::PERIOD_KIND_YEAR, 2027), now, shanghai)
                  .spans.empty());
}

TEST(AnalyticsIndicatorsTest, RatesFromCounters) {
  CityConfig city;
  for (auto [id, pop] : {std::pair{"gulou", 400}, std::pair{"xuanwu", 600}}) {
    auto* d = city.add_districts();
    d->set_id(id);
    d->set_population(pop);
  }
  const CityFacts facts = FactsOf(city);
  Counters c = {{"part", 50}, {"part|d:gulou", 20}, {"wait", 3},       {"conf", 12},    {"done", 9},
                {"drop", 3},  {"g:fc|CNY", 1000},   {"g:fd|CNY", 250}, {"g:fc|EUR", 10}};
  Counters baseline = {{"part", 40}};
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_PARTICIPATION_RATE, c, "", facts).value, 0.05);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_PARTICIPATION_RATE, c, "d:gulou", facts).value, 0.05);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_PARTICIPATION_GROWTH, c, "", facts, &baseline).value,
                   0.25);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_WAITLIST_PRESSURE, c, "", facts).value, 0.25);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_COMPLETION_RATE, c, "", facts).value, 0.75);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_FUNDING_UTILISATION, c, "", facts).value, 0.25);
  EXPECT_DOUBLE_EQ(Compute(pb::INDICATOR_FUNDING_UTILISATION, c, "EUR", facts).value, 0);
  // No ratings: zero over zero is reported as 0 with denominator 0.
  const Fraction none = Compute(pb::INDICATOR_SATISFACTION, c, "", facts);
  EXPECT_EQ(none.denominator, 0);
  EXPECT_EQ(none.value, 0);

  auto currencies = SlicesOf(pb::INDICATOR_FUNDING_UTILISATION, pb::DIMENSION_CURRENCY, city, c);
  ASSERT_TRUE(currencies.ok());
  ASSERT_EQ(currencies->size(), 2u);
  EXPECT_EQ((*currencies)[0].key, "CNY");
  EXPECT_FALSE(SlicesOf(pb::INDICATOR_ACTIVE_PARTNERSHIPS, pb::DIMENSION_DISTRICT, city, c).ok());
}

// A value with its numerator and denominator (a ratio that has data).
Fraction Value(double v) { return Fraction{1, 1, v}; }

TEST(AnalyticsIndicatorsTest, StatusAgainstThePathFromBaselineToTarget) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const IndicatorInfo& placement = *FindIndicator(pb::INDICATOR_JOB_PLACEMENT_RATE);
  pb::Target t;
  t.set_baseline_value(0.55);
  *t.mutable_baseline_period() = MakePeriod(pb::PERIOD_KIND_YEAR, 2026);
  t.set_target_value(0.70);
  // Deadline: the end of 2031, five years after the end of 2026.
  t.mutable_deadline()->set_seconds(
      absl::ToUnixSeconds(PeriodEnd(MakePeriod(pb::PERIOD_KIND_YEAR, 2031), utc)));
  const absl::Time mid = PeriodEnd(MakePeriod(pb::PERIOD_KIND_YEAR, 2028), utc) +
                         absl::Hours(12);  // 2/5 of the way (and a bit): the path is at ~0.61
  const pb::Coverage whole;
  const auto at = [&](double v) { return StandingOf(placement, Value(v), whole, t, mid, utc); };
  EXPECT_EQ(at(0.62).status, pb::STATUS_ON_TRACK);
  EXPECT_TRUE(at(0.62).on_track());
  EXPECT_EQ(at(0.60).status, pb::STATUS_BEHIND);
  EXPECT_EQ(at(0.60).reason_en,
            "expected 61.0% by then on the path from 55.0% (2026) to 70.0% (2031-12-31); 60.0%");
  EXPECT_NEAR(at(0.625).progress, 0.5, 1e-9);
  EXPECT_EQ(at(0.9).status, pb::STATUS_TARGET_MET);
  EXPECT_EQ(at(0.9).progress, 1);
  // Below the baseline is said so, not "0% progress and behind".
  EXPECT_EQ(at(0.5).status, pb::STATUS_BELOW_BASELINE);
  EXPECT_EQ(at(0.5).progress, 0);
  EXPECT_EQ(at(0.5).reason_en, "50.0% is below the baseline of 55.0% (2026)");
  EXPECT_FALSE(at(0.5).on_track());

  // Outcomes still being recorded, a growing count of a period under way,
  // or nothing counted: not judged.
  pb::Coverage open;
  open.set_provisional(true);
  open.set_outcomes_known(0.41);
  const Standing provisional = StandingOf(placement, Value(0.2), open, t, mid, utc);
  EXPECT_EQ(provisional.status, pb::STATUS_PROVISIONAL);
  EXPECT_TRUE(absl::StrContains(provisional.reason_en, "outcomes known for 41%"));
  pb::Coverage partial;
  partial.set_partial(true);
  const IndicatorInfo& participation = *FindIndicator(pb::INDICATOR_PARTICIPATION_RATE);
  EXPECT_EQ(StandingOf(participation, Value(0.01), partial, t, mid, utc).status,
            pb::STATUS_PARTIAL_PERIOD);
  // A rate of a period under way is judged (it does not grow with the days).
  EXPECT_EQ(StandingOf(placement, Value(0.62), partial, t, mid, utc).status, pb::STATUS_ON_TRACK);
  EXPECT_EQ(StandingOf(placement, Fraction{0, 0, 0}, whole, t, mid, utc).status,
            pb::STATUS_NO_DATA);

  // Lower is better: a falling target is met from above.
  const IndicatorInfo& waitlist = *FindIndicator(pb::INDICATOR_WAITLIST_PRESSURE);
  t.set_baseline_value(0.5);
  t.set_target_value(0.2);
  const auto falling = [&](double v) {
    return StandingOf(waitlist, Value(v), whole, t, mid, utc).status;
  };
  EXPECT_EQ(falling(0.3), pb::STATUS_ON_TRACK);
  EXPECT_EQ(falling(0.45), pb::STATUS_BEHIND);
  EXPECT_EQ(falling(0.55), pb::STATUS_BELOW_BASELINE);
  EXPECT_EQ(falling(0.2), pb::STATUS_TARGET_MET);
}

TEST(AnalyticsIndicatorsTest, ACohortIsProvisionalUntilItsFollowUpWindowCloses) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const pb::Period may = MakePeriod(pb::PERIOD_KIND_MONTH, 2026, 5);
  Counters c = {{"grad", 40}, {"known", 30}, {"placed", 20}};
  // May's graduates have until the end of November: six months after May.
  const absl::Time end_of_november = absl::FromCivil(absl::CivilSecond(2026, 12, 1, 0, 0, 0), utc);
  pb::Coverage open = FollowUpCoverage(c, "", may, end_of_november - absl::Seconds(1), utc, 6);
  EXPECT_TRUE(open.provisional());
  EXPECT_DOUBLE_EQ(open.outcomes_known(), 0.75);
  EXPECT_FALSE(FollowUpCoverage(c, "", may, end_of_november, utc, 6).provisional());
  // A window of three months closes at the end of August.
  EXPECT_FALSE(
      FollowUpCoverage(c, "", may, end_of_november - absl::Hours(24 * 60), utc, 3).provisional());
  // An empty cohort knows nothing, and divides by nothing.
  EXPECT_DOUBLE_EQ(FollowUpCoverage({}, "", may, end_of_november, utc, 6).outcomes_known(), 0);
}

}  // namespace
}  // namespace gnlc::analytics
