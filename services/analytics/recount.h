// Recounting the enrollment indicators from the records, when analytics has
// missed enrollment events: it was stopped for longer than the stream keeps
// them (common/events/stream_retention.h), so its consumer group finds the
// stream trimmed past its position. Reading on would skip what it missed.
//
// A recount starts at the year of the group's position: every period of
// that year and later is forgotten (counters, bitmaps, remembered ratings;
// not the gauges) and counted again from every enrollment record, listed
// by the enrollment service (ListStatisticsRecords), counting only what
// happened in those periods. Earlier periods stay as they were counted, so
// the years a city archived or whose residents were erased do not change.
// The group then goes on from the stream's end as it was when the recount
// began; an event after that of a record already listed with that change
// is not counted twice (see Skips).
//
//   Recount recount(&pool, &store, &client, tz);
//   ASSIGN_OR_RETURN(std::string go_on_from, recount.Run(stop));
#ifndef GNLC_SERVICES_ANALYTICS_RECOUNT_H_
#define GNLC_SERVICES_ANALYTICS_RECOUNT_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_pool.h"
#include "services/analytics/analytics_store.h"
#include "services/enrollment/statistics_client.h"

namespace gnlc::analytics {

class Recount final {
 public:
  Recount(RedisPool* pool, AnalyticsStore* store, enrollment::StatisticsClient* client,
          CountingRules rules)
      : pool_(pool), store_(store), client_(client), rules_(rules), tz_(rules.tz) {}

  // Recounts for the analytics group of the enrollment stream; returns the
  // id to go on from. Waits for the enrollment service while it cannot be
  // reached, until `stop` is notified (then CANCELLED).
  absl::StatusOr<std::string> Run(const absl::Notification& stop);

  // Whether an enrollment event read after a recount was already counted
  // from its record: the record was listed with this change or a later one.
  bool Skips(const Event& event);
  int64_t records() const { return records_; }

 private:
  RedisPool* pool_;
  AnalyticsStore* store_;
  enrollment::StatisticsClient* client_;
  CountingRules rules_;
  absl::TimeZone tz_;
  int64_t records_ = 0;
  // Records changed shortly before or during the recount: their events may
  // come after its starting point. Name -> update time (µs). Forgotten once
  // the stream is past `horizon_ms_`.
  absl::flat_hash_map<std::string, int64_t> recent_;
  int64_t horizon_ms_ = 0;
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_RECOUNT_H_
