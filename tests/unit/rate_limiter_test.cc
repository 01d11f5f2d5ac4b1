// Token buckets with an explicit clock: bursts, refill, the delay a refused
// caller is told, independence of callers and classes, bounded memory.
#include "common/server/rate_limiter.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace gnlc {
namespace {

RateLimits Limits(double per_second, double burst) {
  RateLimits limits;
  for (auto& l : limits) l = {per_second, burst};
  return limits;
}

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

TEST(RateLimiter, BurstThenRefusalWithTheTimeUntilTheNextToken) {
  RateLimiter limiter(Limits(10, 5));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Admit(RateClass::kRead, "a", kT0)) << i;
  auto wait = limiter.Admit(RateClass::kRead, "a", kT0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_NEAR(absl::ToDoubleMilliseconds(*wait), 100, 1);
  // After the delay it was told, the caller gets in again, once.
  EXPECT_FALSE(limiter.Admit(RateClass::kRead, "a", kT0 + absl::Milliseconds(100)));
  EXPECT_TRUE(limiter.Admit(RateClass::kRead, "a", kT0 + absl::Milliseconds(100)));
  // A long quiet spell refills only up to the burst.
  const absl::Time later = kT0 + absl::Hours(1);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Admit(RateClass::kRead, "a", later)) << i;
  EXPECT_TRUE(limiter.Admit(RateClass::kRead, "a", later));
}

TEST(RateLimiter, CallersAndClassesHaveBucketsOfTheirOwn) {
  RateLimiter limiter(Limits(1, 2));
  EXPECT_FALSE(limiter.Admit(RateClass::kWrite, "a", kT0));
  EXPECT_FALSE(limiter.Admit(RateClass::kWrite, "a", kT0));
  EXPECT_TRUE(limiter.Admit(RateClass::kWrite, "a", kT0));
  EXPECT_FALSE(limiter.Admit(RateClass::kWrite, "b", kT0));
  EXPECT_FALSE(limiter.Admit(RateClass::kRead, "a", kT0));
  EXPECT_FALSE(limiter.Admit(RateClass::kSearch, "a", kT0));
}

TEST(RateLimiter, MemoryStaysBoundedWithManyCallers) {
  RateLimiter limiter(Limits(1, 1), /*max_callers=*/1600);
  for (int i = 0; i < 100000; ++i) {
    limiter.Admit(RateClass::kRead, absl::StrCat("caller-", i), kT0 + absl::Milliseconds(i));
  }
  EXPECT_LE(limiter.TrackedCallers(RateClass::kRead), 1600u);
  EXPECT_EQ(limiter.TrackedCallers(RateClass::kWrite), 0u);
}

TEST(RateLimiter, ConfigDefaultsAndOff) {
  gnlc::config::v1::RateLimits config;
  config.mutable_write()->set_per_second(7);
  auto limits = LimitsFromConfig(config);
  ASSERT_TRUE(limits.has_value());
  EXPECT_EQ((*limits)[static_cast<size_t>(RateClass::kWrite)].per_second, 7);
  EXPECT_EQ((*limits)[static_cast<size_t>(RateClass::kWrite)].burst, 100);
  EXPECT_EQ((*limits)[static_cast<size_t>(RateClass::kRead)].per_second, 200);
  config.set_disabled(true);
  EXPECT_FALSE(LimitsFromConfig(config).has_value());
}

}  // namespace
}  // namespace gnlc
