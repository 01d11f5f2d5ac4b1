#include "common/server/health_monitor.h"

#include "common/server/logging.h"

namespace gnlc {

HealthMonitor::HealthMonitor(RedisOptions redis, std::function<bool()> ready,
                             absl::Duration interval)
    : redis_(std::move(redis)), ready_(std::move(ready)), interval_(interval) {
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
  if (was != serving) LogJson("info", serving ? "serving" : "not serving");
}

void HealthMonitor::Run() {
  RedisConnection conn(redis_);
  do {
    if (draining_) break;
    const bool redis_ok = conn.Command({"PING"}).ok();
    Publish(redis_ok && ready_());
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace gnlc
