// Reporting periods (month, quarter, year) in the city's time zone, and the
// keys under which analytics stores their counters.
//
//   auto [month, quarter, year] = PeriodsOf(event_time, tz);
//   PeriodKey(month)       // "2026-11"; quarter "2026-Q4"; year "2026"
#ifndef GNLC_SERVICES_ANALYTICS_PERIODS_H_
#define GNLC_SERVICES_ANALYTICS_PERIODS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gnlc/analytics/v1/analytics.pb.h"

namespace gnlc::analytics {

namespace pb = gnlc::analytics::v1;

pb::Period MakePeriod(pb::PeriodKind kind, int year, int index = 0);
// "2026-11", "2026-Q4", "2026".
std::string PeriodKey(const pb::Period& p);
// The period's label for people: "2026-11", "2026 Q4", "2026".
std::string PeriodLabel(const pb::Period& p);
// A key back into a period (for CSV parameters: "2026-11", "2026-Q4", "2026").
absl::StatusOr<pb::Period> ParsePeriodKey(absl::string_view key);

// Kind given, year 2000..2200, index within range (ignored for YEAR, which
// comes back with index 0). `field` names the request field in the error.
absl::StatusOr<pb::Period> ValidatePeriod(const pb::Period& p, absl::string_view field);

// The month, quarter and year that contain `t` in `tz`.
std::array<pb::Period, 3> PeriodsOf(absl::Time t, absl::TimeZone tz);
pb::Period PeriodOf(pb::PeriodKind kind, absl::Time t, absl::TimeZone tz);

absl::Time PeriodStart(const pb::Period& p, absl::TimeZone tz);
// The first instant after the period.
absl::Time PeriodEnd(const pb::Period& p, absl::TimeZone tz);
pb::Period NextPeriod(const pb::Period& p);
// Periods are ordered within a kind by this number.
int Ordinal(const pb::Period& p);
// year * 12 + (month - 1) of the period's last month: a score for months.
int LastMonthOrdinal(const pb::Period& p);
// The same month, quarter or year in another year.
pb::Period InYear(const pb::Period& p, int year);
// from..to inclusive; both of one kind, from <= to, at most `max` periods.
absl::StatusOr<std::vector<pb::Period>> PeriodRange(const pb::Period& from, const pb::Period& to,
                                                    int max);
// `months` calendar months after `t` (same day and time, clamped to the
// month's end), in `tz`.
absl::Time AddMonths(absl::Time t, int months, absl::TimeZone tz);
// The day that contains `t` in `tz`, as analytics keys it: "2026-12-07".
std::string DayKey(absl::Time t, absl::TimeZone tz);

// The same calendar days in another year: for `period` under way at `now`,
// the month and day keys of `base` (the same kind of period in another
// year) from its start through the same month and day as `now` (clamped
// to the month's end: 29 February becomes the 28th), and that last day.
// Whole months come as month keys ("2024-11"), the rest as days
// ("2024-12-01" .. "2024-12-07"). None when `now` is before `period`.
struct SameDays {
  std::vector<std::string> spans;
  std::string through;  // "2024-12-07"
};
SameDays SameDaysAs(const pb::Period& base, const pb::Period& period, absl::Time now,
                    absl::TimeZone tz);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_PERIODS_H_
