// Keeps grpc.health.v1 and /healthz true to the facts: SERVING only while
// Redis answers PING and the service says it is ready (e.g. its index is
// built); NOT_SERVING within one interval of Redis going away, and SERVING
// again by itself when it comes back. Drain() pins NOT_SERVING for shutdown.
#ifndef GNLC_COMMON_SERVER_HEALTH_MONITOR_H_
#define GNLC_COMMON_SERVER_HEALTH_MONITOR_H_

#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

class HealthMonitor final {
 public:
  // `on_memory(used, limit)`: Redis's used_memory and maxmemory, read every
  // few seconds (may be empty).
  HealthMonitor(RedisOptions redis, std::function<bool()> ready, absl::Duration interval,
                std::function<void(int64_t, int64_t)> on_memory = nullptr);
  ~HealthMonitor();

  // Starts probing; the status is published to each of `health` (one per
  // gRPC server; none: the admin port only).
  void Start(std::vector<grpc::HealthCheckServiceInterface*> health);
  // NOT_SERVING from now on, whatever Redis does.
  void Drain();
  void Stop();
  bool serving() const { return serving_.load(); }

 private:
  void Run();
  void Publish(bool serving);

  RedisOptions redis_;
  std::function<bool()> ready_;
  std::function<void(int64_t, int64_t)> on_memory_;
  absl::Duration interval_;
  std::vector<grpc::HealthCheckServiceInterface*> health_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> draining_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HEALTH_MONITOR_H_
