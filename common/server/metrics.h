// Prometheus metrics every gnlc server exports on its admin port:
//   gnlc_rpc_requests_total{service,method,code}
//   gnlc_rpc_latency_seconds{service,method}   (histogram)
//   gnlc_redis_errors_total{service}
// plus whatever a service adds to registry().
//
//   Metrics metrics("catalog");
//   metrics.Record("GetProgram", grpc::StatusCode::OK, 0.0004);
#ifndef GNLC_COMMON_SERVER_METRICS_H_
#define GNLC_COMMON_SERVER_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace gnlc {

class Metrics final {
 public:
  explicit Metrics(std::string service);

  void Record(absl::string_view method, grpc::StatusCode code, double seconds);
  void RedisError() { redis_errors_->Increment(); }
  // Redis's INFO memory as last read: used_memory and maxmemory (0: none).
  void RedisMemory(int64_t used, int64_t limit) {
    redis_used_memory_->Set(static_cast<double>(used));
    redis_maxmemory_->Set(static_cast<double>(limit));
  }

  prometheus::Registry& registry() { return *registry_; }
  // Called before every Serialize, to bring figures kept elsewhere (a
  // BulkPacer's stats) up to date; registered before serving.
  void OnScrape(std::function<void()> update);
  // The text exposition format of everything registered.
  std::string Serialize() const;

 private:
  struct Method {
    prometheus::Histogram* latency = nullptr;
    std::array<std::atomic<prometheus::Counter*>, 17> by_code{};
  };
  Method& ForMethod(absl::string_view name);

  const std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Counter* redis_errors_;
  prometheus::Gauge* redis_used_memory_;
  prometheus::Gauge* redis_maxmemory_;
  absl::Mutex mu_;
  absl::node_hash_map<std::string, Method> methods_ ABSL_GUARDED_BY(mu_);
  mutable absl::Mutex scrape_mu_;  // one scrape's updates at a time
  std::vector<std::function<void()>> on_scrape_ ABSL_GUARDED_BY(scrape_mu_);
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_METRICS_H_
