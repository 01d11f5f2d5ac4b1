// Consumes a Redis stream with a consumer group: reads, applies, acknowledges.
// Entries delivered but not acknowledged (we crashed, or Redis restarted) are
// read again first. The newest id this consumer applied is recorded in its
// watermark key, and its own redelivered entries at or below it are
// acknowledged without applying them again. (The watermark is per consumer:
// with several replicas in a group, one's progress says nothing about
// another's pending entries.) The watermark is written after the handler
// returns from a batch, so a crash or a handler error replays that batch;
// entries taken over from a dead consumer are applied without that check.
// Handlers must therefore be idempotent, and one that must be exactly-once
// in effect records what it applied inside its own atomic step.
//
//   GroupConsumer c(redis_options, {.stream = "enr:{0}:events",
//                                   .group = "analytics", .consumer = host},
//                   [&](const Event& e) { return Apply(e); });
//   c.Start();  ...  c.Stop();
#ifndef GNLC_COMMON_EVENTS_GROUP_CONSUMER_H_
#define GNLC_COMMON_EVENTS_GROUP_CONSUMER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

struct GroupConsumerOptions {
  std::string stream;
  std::string group;
  std::string consumer;
  int batch = 256;
  // Where a new group starts: "0" the whole stream, "$" only what comes
  // next (for a consumer that can fetch older state another way).
  std::string start_id = "0";
  // Entries delivered to another consumer and not acknowledged for this
  // long are taken over (XAUTOCLAIM): that consumer died with them (a
  // replaced pod never comes back under its name).
  absl::Duration claim_after = absl::Seconds(30);
  // Called when the stream was trimmed past what the group had read (it was
  // stopped longer than the retention, stream_retention.h): rebuilds the
  // reader's state from the records and returns the stream id to go on
  // after (read before the records); the group is moved there. Without one,
  // the gap is logged as an error and the group goes on.
  std::function<absl::StatusOr<std::string>()> on_gap = nullptr;
  // How often the group's position is compared with the stream's trim.
  absl::Duration check_gap_every = absl::Seconds(30);
  // Its thread yields the CPU to residents' calls (common/server/
  // bulk_priority.h): for readers whose lag no resident waits on, which an
  // import floods with events.
  bool bulk = false;
};

// "{hostname}-{pid}": unique per process, so replicas split the stream.
std::string DefaultConsumerName();

class GroupConsumer final {
 public:
  using Handler = std::function<absl::Status(const Event&)>;
  // Gets each batch at once (up to `batch` events), e.g. to coalesce them.
  using BatchHandler = std::function<absl::Status(const std::vector<Event>&)>;

  GroupConsumer(RedisOptions redis, GroupConsumerOptions options, Handler handler);
  GroupConsumer(RedisOptions redis, GroupConsumerOptions options, BatchHandler handler);
  ~GroupConsumer();

  void Start();
  void Stop();

  // "{stream}:applied:{group}:{consumer}", in the stream's hash slot.
  std::string watermark_key() const {
    return options_.stream + ":applied:" + options_.group + ":" + options_.consumer;
  }
  // Events handed to the handler (not counting skipped duplicates).
  int64_t applied_count() const { return applied_.load(); }
  // Entries skipped because they were at or below the watermark.
  int64_t skipped_count() const { return skipped_.load(); }
  // Gaps found (the stream trimmed past the group) and rebuilt.
  int64_t rebuilds() const { return rebuilds_.load(); }

 private:
  void Run();
  // Takes over other consumers' entries idle for `claim_after`, applies and
  // acknowledges them. Returns how many it took.
  absl::StatusOr<size_t> ClaimStale(RedisConnection& conn);
  // Decodes stream entries (skipping those at or below `watermark`, unless
  // it is empty) for the handler; fills `ids` with every entry's id and
  // `newest` with the newest id handed on.
  std::vector<Event> Decode(const ReplyView& entries, absl::string_view watermark,
                            std::vector<std::string>& ids, std::string& newest);
  absl::Status Ack(RedisConnection& conn, const std::vector<std::string>& ids);
  // Compares the group's position with the stream's trim and handles a gap.
  absl::Status CheckGap(RedisConnection& conn);
  // Reads one batch ("0": our pending entries, ">": new ones) and applies it.
  // Returns how many entries it saw.
  absl::StatusOr<size_t> Pump(RedisConnection& conn, absl::string_view from,
                              std::string& watermark);

  RedisOptions redis_;
  GroupConsumerOptions options_;
  BatchHandler handler_;
  std::atomic<int64_t> applied_{0};
  std::atomic<int64_t> skipped_{0};
  std::atomic<int64_t> rebuilds_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_GROUP_CONSUMER_H_
