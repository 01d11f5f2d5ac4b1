#include "services/partnership/money.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace gnlc::partnership {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return InvalidArgument("INVALID_MONEY", absl::StrCat(field, " ", what),
                         {{"field", std::string(field)}});
}

constexpr int32_t kNanosPerCent = 10'000'000;

}  // namespace

absl::StatusOr<int64_t> PositiveCents(const gnlc::type::v1::Money& money, absl::string_view field) {
  const std::string& code = money.currency_code();
  if (code != "CNY" && code != "USD" && code != "EUR") {
    return Bad(absl::StrCat(field, ".currency_code"),
               absl::StrCat("'", code, "' is not accepted: use CNY, USD or EUR"));
  }
  if (money.nanos() <= -1'000'000'000 || money.nanos() >= 1'000'000'000) {
    return Bad(absl::StrCat(field, ".nanos"), "must lie strictly between -1e9 and 1e9");
  }
  if ((money.units() > 0 && money.nanos() < 0) || (money.units() < 0 && money.nanos() > 0)) {
    return Bad(field, "units and nanos must have the same sign");
  }
  if (money.units() < 0 || money.nanos() < 0 || (money.units() == 0 && money.nanos() == 0)) {
    return Bad(field, "must be a positive amount");
  }
  if (money.nanos() % kNanosPerCent != 0) {
    return Bad(field, "has more precision than a cent: round it to 2 decimals");
  }
  if (money.units() > kMaxCents / 100 - 1) {
    return Bad(field, absl::StrCat("does not fit: at most ", kMaxCents / 100 - 1, " units"));
  }
  return money.units() * 100 + money.nanos() / kNanosPerCent;
}

gnlc::type::v1::Money FromCents(absl::string_view currency, int64_t cents) {
  gnlc::type::v1::Money m;
  m.set_currency_code(std::string(currency));
  m.set_units(cents / 100);
  m.set_nanos(static_cast<int32_t>(cents % 100) * kNanosPerCent);
  return m;
}

}  // namespace gnlc::partnership
