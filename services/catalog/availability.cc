#include "services/catalog/availability.h"

#include <algorithm>
#include <cstdint>

namespace gnlc::catalog {
namespace {
int Rank(Availability a) {
  switch (a) {
    case v1::AVAILABILITY_OPEN:
      return 6;
    case v1::AVAILABILITY_OPENING_SOON:
      return 5;
    case v1::AVAILABILITY_FULL:
      return 4;
    case v1::AVAILABILITY_CLOSED:
      return 3;
    case v1::AVAILABILITY_ENDED:
      return 2;
    case v1::AVAILABILITY_CANCELLED:
      return 1;
    default:
      return 0;
  }
}
}  // namespace

Availability OfferingAvailability(const OfferingTimes& o, int64_t now) {
  if (o.cancelled) return v1::AVAILABILITY_CANCELLED;
  if (now >= o.end) return v1::AVAILABILITY_ENDED;
  if (now >= o.open && now < o.close) {
    const bool full = o.capacity >= 0 && o.taken >= o.capacity;
    return full ? v1::AVAILABILITY_FULL : v1::AVAILABILITY_OPEN;
  }
  if (now < o.open && o.open - now <= kOpeningSoonSeconds) return v1::AVAILABILITY_OPENING_SOON;
  return v1::AVAILABILITY_CLOSED;
}

int64_t NextAvailabilityChange(const OfferingTimes& o, int64_t now) {
  if (o.cancelled) return INT64_MAX;
  int64_t next = INT64_MAX;
  for (int64_t boundary : {o.open - kOpeningSoonSeconds, o.open, o.close, o.end}) {
    if (boundary > now) next = std::min(next, boundary);
  }
  return next;
}

Availability BetterAvailability(Availability a, Availability b) {
  return Rank(b) > Rank(a) ? b : a;
}

Availability CombineAvailability(const std::vector<Availability>& offerings,
                                 bool program_cancelled) {
  if (program_cancelled) return v1::AVAILABILITY_CANCELLED;
  Availability best = v1::AVAILABILITY_UNSPECIFIED;
  for (Availability a : offerings) best = BetterAvailability(best, a);
  return best;
}

}  // namespace gnlc::catalog
