// When can a resident join? Availability of an offering and of a program,
// computed from times, seats and state at a given moment (never stored, so it
// is never stale).
#ifndef GNLC_SERVICES_CATALOG_AVAILABILITY_H_
#define GNLC_SERVICES_CATALOG_AVAILABILITY_H_

#include <cstdint>
#include <vector>

#include "gnlc/catalog/v1/program.pb.h"

namespace gnlc::catalog {

using gnlc::catalog::v1::Availability;

// "Opening soon" means enrollment opens within this many seconds.
inline constexpr int64_t kOpeningSoonSeconds = 14 * 24 * 3600;

struct OfferingTimes {
  int64_t start = 0, end = 0;   // unix seconds
  int64_t open = 0, close = 0;  // enrollment window
  int32_t capacity = -1;        // -1: unlimited
  int32_t taken = 0;
  bool cancelled = false;
};

Availability OfferingAvailability(const OfferingTimes& o, int64_t now);

// The first moment after `now` at which OfferingAvailability may return
// something else, seats aside (a seat change is an event of its own);
// INT64_MAX if never.
int64_t NextAvailabilityChange(const OfferingTimes& o, int64_t now);

// The better of two for a resident (the order below).
Availability BetterAvailability(Availability a, Availability b);

// The best availability over offerings (OPEN > OPENING_SOON > FULL > CLOSED
// > ENDED > CANCELLED); CANCELLED for a cancelled program; UNSPECIFIED
// without offerings.
Availability CombineAvailability(const std::vector<Availability>& offerings,
                                 bool program_cancelled);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_AVAILABILITY_H_
