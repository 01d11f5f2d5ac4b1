#include "common/server/metrics.h"

#include <prometheus/text_serializer.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/invariant.h"

namespace gnlc {

Metrics::Metrics(std::string service)
    : service_(std::move(service)), registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("gnlc_rpc_requests_total")
                   .Help("RPCs handled, by method and status code")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("gnlc_rpc_latency_seconds")
                  .Help("RPC handling time in seconds")
                  .Register(*registry_);
  redis_errors_ = &prometheus::BuildCounter()
                       .Name("gnlc_redis_errors_total")
                       .Help("Failed Redis connects and commands")
                       .Register(*registry_)
                       .Add({{"service", service_}});
  redis_used_memory_ = &prometheus::BuildGauge()
                            .Name("gnlc_redis_used_memory_bytes")
                            .Help("The city's Redis: used_memory, as this service last read it")
                            .Register(*registry_)
                            .Add({{"service", service_}});
  redis_maxmemory_ = &prometheus::BuildGauge()
                          .Name("gnlc_redis_maxmemory_bytes")
                          .Help("The city's Redis: its maxmemory limit (0: none)")
                          .Register(*registry_)
                          .Add({{"service", service_}});
  // Counted where they happen (common/status/invariant.h), published here.
  prometheus::Counter* broken = &prometheus::BuildCounter()
                                     .Name("gnlc_broken_invariants_total")
                                     .Help(
                                         "Broken invariants of the service's own data or code "
                                         "(each also logged at error level): alert on any")
                                     .Register(*registry_)
                                     .Add({{"service", service_}});
  auto counted = std::make_shared<int64_t>(0);
  OnScrape([broken, counted] {
    const int64_t now = BrokenInvariantCount();
    broken->Increment(static_cast<double>(now - *counted));
    *counted = now;
  });
}

Metrics::Method& Metrics::ForMethod(absl::string_view name) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = methods_.find(name);
    if (it != methods_.end()) return it->second;
  }
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = methods_.try_emplace(name);
  if (inserted) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    it->second.latency =
        &latency_->Add({{"service", service_}, {"method", std::string(name)}}, kBuckets);
  }
  return it->second;
}

void Metrics::Record(absl::string_view method, grpc::StatusCode code, double seconds) {
  Method& m = ForMethod(method);
  m.latency->Observe(seconds);
  const size_t index = static_cast<size_t>(code) < m.by_code.size() ? code : 2;
  prometheus::Counter* counter = m.by_code[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the existing series for equal labels, so a race
    // here only costs a lookup.
    counter =
        &requests_->Add({{"service", service_},
                         {"method", std::string(method)},
                         {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(index))}});
    m.by_code[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void Metrics::OnScrape(std::function<void()> update) {
  absl::MutexLock lock(&scrape_mu_);
  on_scrape_.push_back(std::move(update));
}

std::string Metrics::Serialize() const {
  {
    absl::MutexLock lock(&scrape_mu_);
    for (const auto& update : on_scrape_) update();
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace gnlc
