// Periods in the city's time zone, and what indicators make of counters.
#include <gtest/gtest.h>

#include "services/analytics/indicators.h"
#include "services/analytics/periods.h"

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

TEST(AnalyticsIndicatorsTest, OnTrackAgainstTheStraightLine) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  pb::Target t;
  t.set_baseline_value(0.55);
  *t.mutable_baseline_period() = MakePeriod(pb::PERIOD_KIND_YEAR, 2026);
  t.set_target_value(0.70);
  // Deadline: the end of 2031, five years after the end of 2026.
  t.mutable_deadline()->set_seconds(
      absl::ToUnixSeconds(PeriodEnd(MakePeriod(pb::PERIOD_KIND_YEAR, 2031), utc)));
  const absl::Time mid = PeriodEnd(MakePeriod(pb::PERIOD_KIND_YEAR, 2028), utc) +
                         absl::Hours(12);               // 2/5 of the way (and a bit)
  EXPECT_TRUE(StandingOf(0.62, t, mid, utc).on_track);  // line is at ~0.61
  EXPECT_FALSE(StandingOf(0.60, t, mid, utc).on_track);
  EXPECT_NEAR(StandingOf(0.625, t, mid, utc).progress, 0.5, 1e-9);
  EXPECT_EQ(StandingOf(0.9, t, mid, utc).progress, 1);
  EXPECT_EQ(StandingOf(0.1, t, mid, utc).progress, 0);
  // Lower is better: a falling target is met from above.
  t.set_baseline_value(0.5);
  t.set_target_value(0.2);
  EXPECT_TRUE(StandingOf(0.3, t, mid, utc).on_track);
  EXPECT_FALSE(StandingOf(0.45, t, mid, utc).on_track);
}

}  // namespace
}  // namespace gnlc::analytics
