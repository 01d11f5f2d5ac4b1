// What live calls see of Redis: the round trips of the commands a server
// sends while answering its callers (inside a LiveScope, which the RPC edge
// opens around every handler), as opposed to background work and bulk work
// (an import, a catch-up: a BulkScope, which wins over a LiveScope). Bulk work paces itself by
// these figures (common/redis/bulk_pacer.h), the way online schema-change tools throttle on
// replication lag.
//
//   LiveLatency live;
//   live.Record(rtt, absl::Now());             // RedisPool does this
//   LiveLatency::Window w = live.Recent(absl::Now(), absl::Milliseconds(250));
//   if (w.samples >= 5 && w.p99 > limit) ...   // live calls are slowed
//
// Each server also publishes its recent p99 to Redis (LivePublisher), so
// that one service's bulk work slows down for another's callers: Redis is
// one thread for the whole city.
#ifndef GNLC_COMMON_REDIS_LIVE_LATENCY_H_
#define GNLC_COMMON_REDIS_LIVE_LATENCY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace gnlc {

class RedisPool;

// The round trips of the last kSlots live commands, each with when it
// ended. Record is lock-free (one atomic store), so every command can
// afford it.
class LiveLatency final {
 public:
  struct Window {
    int samples = 0;
    absl::Duration p99 = absl::ZeroDuration();
  };

  void Record(absl::Duration rtt, absl::Time now);

  // The live commands that ended in (now - window, now].
  Window Recent(absl::Time now, absl::Duration window) const;

 private:
  static constexpr size_t kSlots = 1024;
  // (milliseconds since 2020 << 24) | microseconds (capped at 16 s).
  std::array<std::atomic<uint64_t>, kSlots> ring_{};
  std::atomic<uint64_t> next_{0};
};

// While one exists on a thread, that thread's Redis commands are bulk work:
// not recorded as live, even inside a LiveScope. Nests.
class BulkScope final {
 public:
  BulkScope();
  ~BulkScope();
  BulkScope(const BulkScope&) = delete;
  BulkScope& operator=(const BulkScope&) = delete;

  static bool Active();
};

// While one exists on a thread (and no BulkScope), that thread's Redis
// commands are a caller's: recorded as live. Nests.
class LiveScope final {
 public:
  LiveScope();
  ~LiveScope();
  LiveScope(const LiveScope&) = delete;
  LiveScope& operator=(const LiveScope&) = delete;

  // Whether a command sent now is live: a LiveScope and no BulkScope.
  static bool Active();
};

// The key where `service` publishes its live p99 ("live:{0}:catalog").
std::string LiveLatencyKey(absl::string_view service);

// The services that publish one (every service of a city).
const std::vector<std::string>& LiveLatencyServices();

// Every 250 ms, while the pool has live commands to show, writes their p99
// (microseconds) to LiveLatencyKey(service), expiring after 1.5 s: a key
// that is absent means no live calls. Errors are ignored (the figure is a
// hint; bulk work goes on at its own pace without it).
class LivePublisher final {
 public:
  LivePublisher(RedisPool* pool, std::string service);
  ~LivePublisher();  // stops and joins
  LivePublisher(const LivePublisher&) = delete;
  LivePublisher& operator=(const LivePublisher&) = delete;

 private:
  void Run();

  RedisPool* pool_;
  std::string key_;
  absl::Notification stop_;
  std::thread thread_;
};

// The highest p99 the city's services published (zero when none is
// fresh): one MGET.
absl::StatusOr<absl::Duration> PublishedLiveLatency(RedisPool& pool);

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_LIVE_LATENCY_H_
