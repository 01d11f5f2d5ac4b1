// Money from requests (units, nanos, currency): refused or turned into
// cents, never a crash or an overflow (UBSan watches the arithmetic).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "services/partnership/money.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12) return 0;
  int64_t units;
  int32_t nanos;
  std::memcpy(&units, data, 8);
  std::memcpy(&nanos, data + 8, 4);
  gnlc::type::v1::Money money;
  money.set_units(units);
  money.set_nanos(nanos);
  money.set_currency_code(std::string(reinterpret_cast<const char*>(data + 12), size - 12));
  auto cents = gnlc::partnership::PositiveCents(money, "amount");
  if (!cents.ok()) return 0;
  if (*cents <= 0) std::abort();
  // Cents back to money and again: the same amount.
  auto again = gnlc::partnership::PositiveCents(
      gnlc::partnership::FromCents(money.currency_code(), *cents), "amount");
  if (!again.ok() || *again != *cents) std::abort();
  return 0;
}
