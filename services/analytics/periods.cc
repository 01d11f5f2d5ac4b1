#include "services/analytics/periods.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"

namespace gnlc::analytics {
namespace {

constexpr int kMinYear = 2000;
constexpr int kMaxYear = 2200;

int MonthsIn(pb::PeriodKind kind) {
  switch (kind) {
    case pb::PERIOD_KIND_MONTH:
      return 1;
    case pb::PERIOD_KIND_QUARTER:
      return 3;
    default:
      return 12;
  }
}

// The period's first month, 1..12.
int FirstMonth(const pb::Period& p) {
  switch (p.kind()) {
    case pb::PERIOD_KIND_MONTH:
      return p.index();
    case pb::PERIOD_KIND_QUARTER:
      return (p.index() - 1) * 3 + 1;
    default:
      return 1;
  }
}

}  // namespace

pb::Period MakePeriod(pb::PeriodKind kind, int year, int index) {
  pb::Period p;
  p.set_kind(kind);
  p.set_year(year);
  p.set_index(kind == pb::PERIOD_KIND_YEAR ? 0 : index);
  return p;
}

std::string PeriodKey(const pb::Period& p) {
  switch (p.kind()) {
    case pb::PERIOD_KIND_MONTH:
      return absl::StrFormat("%04d-%02d", p.year(), p.index());
    case pb::PERIOD_KIND_QUARTER:
      return absl::StrFormat("%04d-Q%d", p.year(), p.index());
    default:
      return absl::StrFormat("%04d", p.year());
  }
}

std::string PeriodLabel(const pb::Period& p) {
  if (p.kind() == pb::PERIOD_KIND_QUARTER) return absl::StrFormat("%04d Q%d", p.year(), p.index());
  return PeriodKey(p);
}

absl::StatusOr<pb::Period> ParsePeriodKey(absl::string_view key) {
  int year = 0;
  int index = 0;
  pb::Period p;
  if (key.size() == 4 && absl::SimpleAtoi(key, &year)) {
    p = MakePeriod(pb::PERIOD_KIND_YEAR, year);
  } else if (key.size() == 7 && key[4] == '-' && key[5] == 'Q' &&
             absl::SimpleAtoi(key.substr(0, 4), &year) && absl::SimpleAtoi(key.substr(6), &index)) {
    p = MakePeriod(pb::PERIOD_KIND_QUARTER, year, index);
  } else if (key.size() == 7 && key[4] == '-' && absl::SimpleAtoi(key.substr(0, 4), &year) &&
             absl::SimpleAtoi(key.substr(5), &index)) {
    p = MakePeriod(pb::PERIOD_KIND_MONTH, year, index);
  } else {
    return InvalidArgument("INVALID_PERIOD",
                           "a period is written 2026 (year), 2026-Q4 (quarter) or 2026-11 (month)");
  }
  return ValidatePeriod(p, "period");
}

absl::StatusOr<pb::Period> ValidatePeriod(const pb::Period& p, absl::string_view field) {
  const auto bad = [&](absl::string_view what) {
    return InvalidArgument("INVALID_PERIOD", absl::StrCat(field, ": ", what),
                           {{"field", std::string(field)}});
  };
  if (p.kind() != pb::PERIOD_KIND_MONTH && p.kind() != pb::PERIOD_KIND_QUARTER &&
      p.kind() != pb::PERIOD_KIND_YEAR) {
    return bad("kind must be PERIOD_KIND_MONTH, PERIOD_KIND_QUARTER or PERIOD_KIND_YEAR");
  }
  if (p.year() < kMinYear || p.year() > kMaxYear) {
    return bad(absl::StrCat("year must be between ", kMinYear, " and ", kMaxYear));
  }
  if (p.kind() == pb::PERIOD_KIND_MONTH && (p.index() < 1 || p.index() > 12)) {
    return bad("index must be a month, 1 to 12");
  }
  if (p.kind() == pb::PERIOD_KIND_QUARTER && (p.index() < 1 || p.index() > 4)) {
    return bad("index must be a quarter, 1 to 4");
  }
  return MakePeriod(p.kind(), p.year(), p.index());
}

pb::Period PeriodOf(pb::PeriodKind kind, absl::Time t, absl::TimeZone tz) {
  const absl::CivilMonth m = absl::ToCivilMonth(t, tz);
  const int year = static_cast<int>(m.year());
  switch (kind) {
    case pb::PERIOD_KIND_MONTH:
      return MakePeriod(kind, year, m.month());
    case pb::PERIOD_KIND_QUARTER:
      return MakePeriod(kind, year, (m.month() - 1) / 3 + 1);
    default:
      return MakePeriod(pb::PERIOD_KIND_YEAR, year);
  }
}

std::array<pb::Period, 3> PeriodsOf(absl::Time t, absl::TimeZone tz) {
  return {PeriodOf(pb::PERIOD_KIND_MONTH, t, tz), PeriodOf(pb::PERIOD_KIND_QUARTER, t, tz),
          PeriodOf(pb::PERIOD_KIND_YEAR, t, tz)};
}

absl::Time PeriodStart(const pb::Period& p, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilMonth(p.year(), FirstMonth(p)), tz);
}

absl::Time PeriodEnd(const pb::Period& p, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilMonth(p.year(), FirstMonth(p)) + MonthsIn(p.kind()), tz);
}

pb::Period NextPeriod(const pb::Period& p) {
  const int per_year = 12 / MonthsIn(p.kind());
  if (p.kind() == pb::PERIOD_KIND_YEAR) return MakePeriod(p.kind(), p.year() + 1);
  if (p.index() == per_year) return MakePeriod(p.kind(), p.year() + 1, 1);
  return MakePeriod(p.kind(), p.year(), p.index() + 1);
}

int Ordinal(const pb::Period& p) {
  const int per_year = 12 / MonthsIn(p.kind());
  return p.year() * per_year + std::max(p.index(), 1) - 1;
}

int LastMonthOrdinal(const pb::Period& p) {
  return p.year() * 12 + FirstMonth(p) + MonthsIn(p.kind()) - 2;
}

pb::Period InYear(const pb::Period& p, int year) { return MakePeriod(p.kind(), year, p.index()); }

absl::StatusOr<std::vector<pb::Period>> PeriodRange(const pb::Period& from, const pb::Period& to,
                                                    int max) {
  if (from.kind() != to.kind()) {
    return InvalidArgument("INVALID_PERIOD", "from_period and to_period must be of one kind",
                           {{"field", "to_period"}});
  }
  const int n = Ordinal(to) - Ordinal(from) + 1;
  if (n < 1) {
    return InvalidArgument("INVALID_PERIOD", "to_period must not be before from_period",
                           {{"field", "to_period"}});
  }
  if (n > max) {
    return InvalidArgument("INVALID_PERIOD",
                           absl::StrCat("a series covers at most ", max, " periods"),
                           {{"field", "to_period"}});
  }
  std::vector<pb::Period> out;
  out.reserve(static_cast<size_t>(n));
  for (pb::Period p = from; static_cast<int>(out.size()) < n; p = NextPeriod(p)) out.push_back(p);
  return out;
}

absl::Time AddMonths(absl::Time t, int months, absl::TimeZone tz) {
  const absl::CivilSecond s = absl::ToCivilSecond(t, tz);
  const absl::CivilMonth target = absl::CivilMonth(s) + months;
  const absl::CivilDay last = absl::CivilDay(target + 1) - 1;
  const int day = std::min(s.day(), last.day());
  return absl::FromCivil(
      absl::CivilSecond(target.year(), target.month(), day, s.hour(), s.minute(), s.second()), tz);
}

std::string DayKey(absl::Time t, absl::TimeZone tz) { return absl::FormatTime("%Y-%m-%d", t, tz); }

SameDays SameDaysAs(const pb::Period& base, const pb::Period& period, absl::Time now,
                    absl::TimeZone tz) {
  SameDays out;
  if (now < PeriodStart(period, tz)) return out;
  const absl::CivilDay today = absl::ToCivilDay(now, tz);
  const absl::CivilMonth month(base.year(), today.month());
  const absl::CivilDay last_of_month = absl::CivilDay(month + 1) - 1;
  const absl::CivilDay through(base.year(), today.month(),
                               std::min(today.day(), last_of_month.day()));
  for (absl::CivilMonth m = absl::ToCivilMonth(PeriodStart(base, tz), tz); m < month; ++m) {
    out.spans.push_back(absl::FormatCivilTime(m));
  }
  for (absl::CivilDay d = absl::CivilDay(month); d <= through; ++d) {
    out.spans.push_back(absl::FormatCivilTime(d));
  }
  out.through = absl::FormatCivilTime(through);
  return out;
}

}  // namespace gnlc::analytics
