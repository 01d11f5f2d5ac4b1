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
  return limits;
}

RateLimiter::RateLimiter(const RateLimits& limits, size_t max_callers)
    : limits_(limits), max_per_shard_(std::max<size_t>(1, max_callers / kShards)) {}

std::optional<absl::Duration> RateLimiter::Admit(RateClass c, absl::string_view caller,
                                                 absl::Time now) {
  const RateLimit& limit = limits_[static_cast<size_t>(c)];
  Shard& shard = shards_[static_cast<size_t>(c)][absl::HashOf(caller) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(caller);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) Sweep(c, shard, now);
    it = shard.buckets.emplace(std::string(caller), Bucket{limit.burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.last));
  b.tokens = std::min(limit.burst, b.tokens + elapsed * limit.per_second);
  b.last = std::max(b.last, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return absl::Seconds((1.0 - b.tokens) / limit.per_second);
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
