// Follows a Redis stream from a given id with XREAD, on its own connection
// and thread, handing every event to a handler in order. For state every
// replica keeps for itself (e.g. the catalog's search index): each replica
// sees every event, unlike a consumer group, which splits them.
//
//   StreamFollower f(redis_options, "cat:{0}:events", start_id,
//                    [&](const Event& e) { index.Apply(e); },
//                    {.reader = "catalog-index/" + DefaultConsumerName(),
//                     .on_gap = [&] { return RebuildIndex(); }});
//   f.Start();  ...  f.Stop();
//
// A follower with a reader name reports its position beside the stream, so
// that the owner trims only what it has read (stream_retention.h), and
// checks, at start and with each report, whether the stream was trimmed
// past it anyway (it was stopped longer than the retention): then on_gap
// rebuilds its state from the records and says where to go on from. The
// same when the stream's newest id is below its position (after each
// failed read, too): a failover lost entries it had applied.
#ifndef GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_
#define GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

struct FollowerOptions {
  // The name it reports its position under ("" reports nothing: for a
  // reader whose owner keeps every entry anyway).
  std::string reader = "";
  // Rebuilds the reader's state after entries it needed were trimmed, and
  // returns the stream id to follow on after (read before the records).
  // Without one, a gap is logged as an error and the follower goes on.
  std::function<absl::StatusOr<std::string>()> on_gap = nullptr;
  absl::Duration report_every = absl::Seconds(30);
};

class StreamFollower final {
 public:
  using Handler = std::function<void(const Event&)>;

  StreamFollower(RedisOptions options, std::string stream, std::string start_id, Handler handler,
                 FollowerOptions follower = {});
  ~StreamFollower();

  void Start();
  void Stop();
  // The id of the last event handed to the handler.
  std::string last_id() const;
  // How many times on_gap rebuilt the reader's state.
  int64_t rebuilds() const { return rebuilds_.load(); }

 private:
  void Run();
  // Reports the position and handles a gap or lost writes. False if Redis
  // failed.
  bool ReportAndCheck(RedisConnection& conn);
  // on_gap, for entries past `position` trimmed up to `at`, or (why
  // "lost") applied entries gone, the stream's newest id now `at`.
  bool Rebuild(const std::string& position, const std::string& at, absl::string_view why);

  RedisOptions options_;
  const std::string stream_;
  Handler handler_;
  const FollowerOptions follower_;
  std::atomic<int64_t> rebuilds_{0};
  mutable absl::Mutex mu_;
  std::string last_id_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_
