// Fixed-point money of the partnership service.
#include "services/partnership/money.h"

#include <gtest/gtest.h>

namespace gnlc::partnership {
namespace {

gnlc::type::v1::Money M(const char* code, int64_t units, int32_t nanos) {
  gnlc::type::v1::Money m;
  m.set_currency_code(code);
  m.set_units(units);
  m.set_nanos(nanos);
  return m;
}

TEST(MoneyTest, CentsExactlyAndBack) {
  EXPECT_EQ(*PositiveCents(M("CNY", 12, 500000000), "a"), 1250);
  EXPECT_EQ(*PositiveCents(M("USD", 0, 10000000), "a"), 1);
  EXPECT_EQ(*PositiveCents(M("EUR", 9999999999999, 990000000), "a"), 999999999999999);
  const auto back = FromCents("CNY", 1250);
  EXPECT_EQ(back.units(), 12);
  EXPECT_EQ(back.nanos(), 500000000);
  EXPECT_EQ(FromCents("CNY", 0).units(), 0);
}

TEST(MoneyTest, RejectsWhatIsNotAPositiveAmountOfAKnownCurrency) {
  for (const auto& bad :
       {M("JPY", 1, 0), M("", 1, 0), M("CNY", 0, 0), M("CNY", -1, 0), M("CNY", 1, -10000000),
        M("CNY", 0, 5), M("CNY", 1, 1000000000), M("CNY", 10000000000000, 0)}) {
    EXPECT_EQ(PositiveCents(bad, "amount").status().code(), absl::StatusCode::kInvalidArgument)
        << bad.ShortDebugString();
  }
}

}  // namespace
}  // namespace gnlc::partnership
