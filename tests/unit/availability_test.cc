#include "services/catalog/availability.h"

#include <gtest/gtest.h>

namespace gnlc::catalog {
namespace {

constexpr int64_t kDay = 86400;

OfferingTimes Window(int64_t open, int64_t close, int64_t start, int64_t end, int32_t cap = 10,
                     int32_t taken = 0) {
  return OfferingTimes{start, end, open, close, cap, taken, false};
}

TEST(OfferingAvailability, FollowsTheEnrollmentWindow) {
  const int64_t now = 100 * kDay;
  EXPECT_EQ(
      OfferingAvailability(Window(now - kDay, now + kDay, now + 2 * kDay, now + 3 * kDay), now),
      v1::AVAILABILITY_OPEN);
  EXPECT_EQ(OfferingAvailability(
                Window(now + 3 * kDay, now + 5 * kDay, now + 6 * kDay, now + 9 * kDay), now),
            v1::AVAILABILITY_OPENING_SOON);
  EXPECT_EQ(OfferingAvailability(
                Window(now + 30 * kDay, now + 40 * kDay, now + 50 * kDay, now + 60 * kDay), now),
            v1::AVAILABILITY_CLOSED);
  EXPECT_EQ(
      OfferingAvailability(Window(now - 9 * kDay, now - 5 * kDay, now - 4 * kDay, now + kDay), now),
      v1::AVAILABILITY_CLOSED);
  EXPECT_EQ(
      OfferingAvailability(Window(now - 9 * kDay, now - 5 * kDay, now - 4 * kDay, now - kDay), now),
      v1::AVAILABILITY_ENDED);
}

TEST(OfferingAvailability, FullOnlyWhenEverySeatIsTaken) {
  const int64_t now = 100 * kDay;
  auto o = Window(now - kDay, now + kDay, now + 2 * kDay, now + 3 * kDay, 10, 9);
  EXPECT_EQ(OfferingAvailability(o, now), v1::AVAILABILITY_OPEN);
  o.taken = 10;
  EXPECT_EQ(OfferingAvailability(o, now), v1::AVAILABILITY_FULL);
  o.capacity = -1;  // unlimited is never full
  EXPECT_EQ(OfferingAvailability(o, now), v1::AVAILABILITY_OPEN);
  o.capacity = 0;  // zero seats: waitlist only
  o.taken = 0;
  EXPECT_EQ(OfferingAvailability(o, now), v1::AVAILABILITY_FULL);
}

TEST(OfferingAvailability, CancelledWinsOverEverything) {
  auto o = Window(0, 10 * kDay, 11 * kDay, 12 * kDay);
  o.cancelled = true;
  EXPECT_EQ(OfferingAvailability(o, kDay), v1::AVAILABILITY_CANCELLED);
}

TEST(CombineAvailability, TakesTheBestOffering) {
  EXPECT_EQ(CombineAvailability({v1::AVAILABILITY_ENDED, v1::AVAILABILITY_OPEN}, false),
            v1::AVAILABILITY_OPEN);
  EXPECT_EQ(CombineAvailability({v1::AVAILABILITY_FULL, v1::AVAILABILITY_OPENING_SOON}, false),
            v1::AVAILABILITY_OPENING_SOON);
  EXPECT_EQ(CombineAvailability({v1::AVAILABILITY_CANCELLED, v1::AVAILABILITY_ENDED}, false),
            v1::AVAILABILITY_ENDED);
  EXPECT_EQ(CombineAvailability({}, false), v1::AVAILABILITY_UNSPECIFIED);
  EXPECT_EQ(CombineAvailability({v1::AVAILABILITY_OPEN}, true), v1::AVAILABILITY_CANCELLED);
}

}  // namespace
}  // namespace gnlc::catalog
