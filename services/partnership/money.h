// Money of the partnership service: fixed point, never floating point.
// Amounts are kept in cents (the minor unit of CNY, USD and EUR), as int64
// in C++ and as Redis integers; every total is bounded so that it also stays
// exact in Lua's doubles (below 2^53).
#ifndef GNLC_SERVICES_PARTNERSHIP_MONEY_H_
#define GNLC_SERVICES_PARTNERSHIP_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gnlc/type/v1/money.pb.h"

namespace gnlc::partnership {

// The largest single amount and the largest total per partnership and
// currency: 10 trillion units (1e15 cents, well below 2^53).
inline constexpr int64_t kMaxCents = 1'000'000'000'000'000;
inline constexpr int64_t kMaxTotalCents = kMaxCents;

// A positive amount in an accepted currency with at most cent precision, in
// cents. INVALID_ARGUMENT otherwise, naming `field` and the rule.
absl::StatusOr<int64_t> PositiveCents(const gnlc::type::v1::Money& money, absl::string_view field);

gnlc::type::v1::Money FromCents(absl::string_view currency, int64_t cents);

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_MONEY_H_
