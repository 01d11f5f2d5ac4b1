// Token buckets per caller and class of method: each caller's fair share of
// one replica of a service (why per replica: city_config.proto, RateLimits).
//
//   RateLimiter limiter(LimitsFromConfig(city.rate_limits()));
//   if (auto wait = limiter.Admit(RateClass::kWrite, "resident:alice", now)) {
//     // refuse; the caller may retry after *wait
//   }
//
// Memory is bounded: a bucket that has refilled is the same as no bucket
// and is dropped when its shard fills up, so only callers active in the
// last burst/rate seconds are kept.
#ifndef GNLC_COMMON_SERVER_RATE_LIMITER_H_
#define GNLC_COMMON_SERVER_RATE_LIMITER_H_

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"

namespace gnlc {

// kAuthFailure is not a kind of method: it counts a client address's failed
// authentications, which are limited before any signature is checked.
enum class RateClass : uint8_t { kRead, kSearch, kWrite, kDataRights, kAuthFailure };
inline constexpr size_t kRateClasses = 5;
// "read", "search", "write", "data_rights", "auth_failures" (config and
// metric labels).
const char* RateClassName(RateClass c);

struct RateLimit {
  double per_second = 0;
  double burst = 0;
};
using RateLimits = std::array<RateLimit, kRateClasses>;

// The config's limits with defaults for what it leaves at 0; nullopt when
// the config turns limits off.
std::optional<RateLimits> LimitsFromConfig(const gnlc::config::v1::RateLimits& config);

// A mobile backend's own limits: `city`'s (from LimitsFromConfig) with the
// backend's entry's non-zero values over them.
RateLimits BackendLimitsFrom(const RateLimits& city,
                             const gnlc::config::v1::BackendLimits& backend);

class RateLimiter {
 public:
  // At most about `max_callers` buckets are kept per class.
  explicit RateLimiter(const RateLimits& limits, size_t max_callers = 100000);

  // Takes one token of `caller`'s bucket of class `c`: nullopt when the call
  // may go ahead, else how long until it could.
  std::optional<absl::Duration> Admit(RateClass c, absl::string_view caller, absl::Time now);

  // For limits on what happened rather than on what is asked (failures):
  // how long until `caller` has a token of class `c` again, without taking
  // one (nullopt: it has one now)...
  std::optional<absl::Duration> Exhausted(RateClass c, absl::string_view caller, absl::Time now);
  // ...and takes one when the thing happened (none left: nothing to take).
  void Charge(RateClass c, absl::string_view caller, absl::Time now);

  // Buckets kept for class `c` (for tests of the memory bound).
  size_t TrackedCallers(RateClass c);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;

  // `caller`'s bucket of class `c`, refilled up to `now`.
  Bucket& Refilled(RateClass c, Shard& shard, absl::string_view caller, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  Shard& ShardOf(RateClass c, absl::string_view caller);
  // How long until `b` holds a whole token again.
  absl::Duration WaitFor(RateClass c, const Bucket& b) const;

  // Drops the buckets that have refilled; if that is not enough (very many
  // callers at once), drops them all: those callers start afresh.
  void Sweep(RateClass c, Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  RateLimits limits_;
  size_t max_per_shard_;
  std::array<std::array<Shard, kShards>, kRateClasses> shards_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_RATE_LIMITER_H_
