#include "common/server/rate_limiter.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace gnlc {
namespace {

RateLimit WithDefault(const gnlc::config::v1::RateLimit& config, RateLimit fallback) {
  if (config.per_second() > 0) fallback.per_second = config.per_second();
  if (config.burst() > 0) fallback.burst = config.burst();
  return fallback;
}

}  // namespace

const char* RateClassName(RateClass c) {
  switch (c) {
    case RateClass::kRead:
      return "read";
    case RateClass::kSearch:
      return "search";
    case RateClass::kWrite:
      return "write";
    case RateClass::kDataRights:
      return "data_rights";
    case RateClass::kAuthFailure:
      return "auth_failures";
  }
  return "read";
}

std::optional<RateLimits> LimitsFromConfig(const gnlc::config::v1::RateLimits& config) {
  if (config.disabled()) return std::nullopt;
  RateLimits limits;
  limits[static_cast<size_t>(RateClass::kRead)] = WithDefault(config.read(), {200, 400});
  limits[static_cast<size_t>(RateClass::kSearch)] = WithDefault(config.search(), {50, 100});
  limits[static_cast<size_t>(RateClass::kWrite)] = WithDefault(config.write(), {50, 100});
  limits[static_cast<size_t>(RateClass::kDataRights)] = WithDefault(config.data_rights(), {2, 10});
  limits[static_cast<size_t>(RateClass::kAuthFailure)] =
      WithDefault(config.auth_failures(), {10, 20});
  return limits;
}

RateLimits BackendLimitsFrom(const RateLimits& city,
                             const gnlc::config::v1::BackendLimits& backend) {
  RateLimits limits = city;
  auto set = [&](RateClass c, const gnlc::config::v1::RateLimit& config) {
    limits[static_cast<size_t>(c)] = WithDefault(config, city[static_cast<size_t>(c)]);
  };
  set(RateClass::kRead, backend.read());
  set(RateClass::kSearch, backend.search());
  set(RateClass::kWrite, backend.write());
  return limits;
}

RateLimiter::RateLimiter(const RateLimits& limits, size_t max_callers)
    : limits_(limits), max_per_shard_(std::max<size_t>(1, max_callers / kShards)) {}

RateLimiter::Shard& RateLimiter::ShardOf(RateClass c, absl::string_view caller) {
  return shards_[static_cast<size_t>(c)][absl::HashOf(caller) % kShards];
}

RateLimiter::Bucket& RateLimiter::Refilled(RateClass c, Shard& shard, absl::string_view caller,
                                           absl::Time now) {
  const RateLimit& limit = limits_[static_cast<size_t>(c)];
  auto it = shard.buckets.find(caller);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) Sweep(c, shard, now);
    it = shard.buckets.emplace(std::string(caller), Bucket{limit.burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.last));
  b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_second);
  b.last = std::max(b.last, now);
  return b;
}

absl::Duration RateLimiter::WaitFor(RateClass c, const Bucket& b) const {
  return absl::Seconds((1.0 - b.tokens) / limits_[static_cast<size_t>(c)].per_second);
}

std::optional<absl::Duration> RateLimiter::Admit(RateClass c, absl::string_view caller,
                                                 absl::Time now) {
  Shard& shard = ShardOf(c, caller);
  absl::MutexLock lock(&shard.mu);
  Bucket& b = Refilled(c, shard, caller, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return WaitFor(c, b);
}

std::optional<absl::Duration> RateLimiter::Exhausted(RateClass c, absl::string_view caller,
                                                     absl::Time now) {
  Shard& shard = ShardOf(c, caller);
  absl::MutexLock lock(&shard.mu);
  // A caller without a bucket has all its tokens: no need to make one.
  if (!shard.buckets.contains(caller)) return std::nullopt;
  Bucket& b = Refilled(c, shard, caller, now);
  if (b.tokens >= 1.0) return std::nullopt;
  return WaitFor(c, b);
}

void RateLimiter::Charge(RateClass c, absl::string_view caller, absl::Time now) {
  Shard& shard = ShardOf(c, caller);
  absl::MutexLock lock(&shard.mu);
  Bucket& b = Refilled(c, shard, caller, now);
  b.tokens = std::max(0.0, b.tokens - 1.0);
}

size_t RateLimiter::TrackedCallers(RateClass c) {
  size_t n = 0;
  for (Shard& shard : shards_[static_cast<size_t>(c)]) {
    absl::MutexLock lock(&shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

void RateLimiter::Sweep(RateClass c, Shard& shard, absl::Time now) {
  const RateLimit& limit = limits_[static_cast<size_t>(c)];
  absl::erase_if(shard.buckets, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + absl::ToDoubleSeconds(now - b.last) * limit.per_second >= limit.burst;
  });
  if (shard.buckets.size() >= max_per_shard_) shard.buckets.clear();
}

}  // namespace gnlc
