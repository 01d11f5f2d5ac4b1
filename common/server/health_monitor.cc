#include "common/server/health_monitor.h"

#include "common/server/logging.h"

namespace gnlc {
namespace {
// How often Redis's memory is read for the metrics.
constexpr absl::Duration kMemoryEvery = absl::Seconds(5);
}  // namespace

HealthMonitor::HealthMonitor(RedisOptions redis, std::function<bool()> ready,
                             absl::Duration interval,
                             std::function<void(int64_t, int64_t)> on_memory)
    : redis_(std::move(redis)),
      ready_(std::move(ready)),
      on_memory_(std::move(on_memory)),
      interval_(interval) {
  // The probe must notice an outage fast, whatever the pool's settings are.
  redis_.connect_timeout = std::min(redis_.connect_timeout, absl::Milliseconds(500));
  redis_.command_timeout = std::min(redis_.command_timeout, absl::Milliseconds(500));
  redis_.min_backoff = absl::ZeroDuration();
  redis_.max_backoff = absl::ZeroDuration();
  redis_.on_error = nullptr;
}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start(std::vector<grpc::HealthCheckServiceInterface*> health) {
  health_ = std::move(health);
  Publish(false);
  thread_ = std::thread([this] { Run(); });
}

void HealthMonitor::Drain() {
  draining_ = true;
  Publish(false);
}

void HealthMonitor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Publish(bool serving) {
  const bool was = serving_.exchange(serving);
  for (grpc::HealthCheckServiceInterface* h : health_) h->SetServingStatus(serving);
  if (was != serving) LogJson(LogLevel::kInfo, serving ? "serving" : "not serving");
}

void HealthMonitor::Run() {
  RedisConnection conn(redis_);
  absl::Time memory_read = absl::InfinitePast();
  do {
    if (draining_) break;
    const bool redis_ok = conn.Command({"PING"}).ok();
    Publish(redis_ok && ready_());
    if (redis_ok && on_memory_ && absl::Now() - memory_read >= kMemoryEvery) {
      memory_read = absl::Now();
      if (auto info = conn.Command({"INFO", "memory"}); info.ok()) {
        const RedisMemory m = ParseRedisMemory(info->view().str());
        on_memory_(m.used, m.limit);
      }
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace gnlc
