// Follows the catalog, enrollment and partnership streams with the consumer
// group "analytics" and applies each batch through AnalyticsStore, exactly
// once in effect: a batch holding an event applied before is re-planned
// without it. Consumer lag and pending entries per stream go to /metrics.
//
//   Ingester ingester(redis_options, &pool, tz, &metrics.registry());
//   ingester.Start();   ...   ingester.Stop();
#ifndef GNLC_SERVICES_ANALYTICS_INGESTER_H_
#define GNLC_SERVICES_ANALYTICS_INGESTER_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/events/group_consumer.h"
#include "common/redis/bulk_pacer.h"
#include "common/redis/redis_pool.h"
#include "services/analytics/analytics_store.h"
#include "services/analytics/program_recount.h"
#include "services/analytics/recount.h"
#include "services/enrollment/statistics_client.h"

namespace gnlc::analytics {

inline constexpr char kAnalyticsGroup[] = "analytics";

// How far the group is behind on one stream.
struct StreamLag {
  int64_t undelivered = 0;  // entries not yet read by the group
  int64_t pending = 0;      // read, not yet acknowledged
};

class Ingester final {
 public:
  // `enrollment`, `catalog`: where a recount reads the records (recount.h,
  // program_recount.h) when their stream was trimmed past the group;
  // nullptr: it cannot, and goes on with what is left (an error in the log).
  Ingester(RedisOptions redis, RedisPool* pool, CountingRules rules, prometheus::Registry* registry,
           enrollment::StatisticsClient* enrollment, catalog::CatalogClient* catalog,
           std::string city, std::string consumer = DefaultConsumerName());
  ~Ingester();

  void Start();
  void Stop();
  // Paces applying events (for its metrics).
  const BulkPacer& bulk() const { return bulk_; }

  // Called after every batch this process applied (to drop cached answers).
  void OnApplied(std::function<void()> fn) { on_applied_ = std::move(fn); }
  // Events applied by this process (duplicates not counted).
  int64_t applied() const { return applied_.load(); }
  // Recounts done by this process: of the enrollment records, and of the
  // programs on offer.
  int64_t recounts() const { return recounts_.load(); }
  int64_t program_recounts() const { return program_recounts_.load(); }
  // Asks Redis now: is every entry of every stream read and acknowledged?
  absl::StatusOr<bool> CaughtUp();
  absl::StatusOr<StreamLag> Lag(absl::string_view stream);

  static const std::vector<std::string>& Streams();

 private:
  absl::Status ApplyBatch(const std::string& stream, const std::vector<Event>& events);
  // Applies `todo` (of the stream at `index`) in one script, again without
  // the events the script found applied already.
  absl::Status ApplyEvents(const std::string& stream, size_t index, std::vector<const Event*> todo);
  void PollLag();

  RedisOptions redis_;
  RedisPool* pool_;
  CountingRules rules_;
  std::string consumer_;
  AnalyticsStore store_;
  // A batch of events (up to 256) is applied in
  // chunks sized and paced by bulk_, so catching up after an import yields
  // to residents (common/redis/bulk_pacer.h).
  BulkPacer bulk_;
  std::unique_ptr<Recount> recount_;  // only the enrollment stream's consumer uses it
  std::unique_ptr<ProgramRecount> program_recount_;  // the catalog stream's
  std::atomic<int64_t> recounts_{0};
  std::atomic<int64_t> program_recounts_{0};
  std::function<void()> on_applied_ = [] {};
  std::atomic<int64_t> applied_{0};
  std::vector<std::unique_ptr<GroupConsumer>> consumers_;
  struct StreamMetrics {
    prometheus::Gauge* lag = nullptr;
    prometheus::Gauge* pending = nullptr;
    prometheus::Counter* applied = nullptr;
    prometheus::Counter* duplicates = nullptr;
  };
  std::vector<StreamMetrics> metrics_;
  absl::Notification stop_;
  std::thread lag_thread_;
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_INGESTER_H_
