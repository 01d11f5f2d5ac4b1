// Follows a Redis stream from a given id with XREAD, on its own connection
// and thread, handing every event to a handler in order. For state every
// replica keeps for itself (e.g. the catalog's search index): each replica
// sees every event, unlike a consumer group, which splits them.
//
//   StreamFollower f(redis_options, "cat:{0}:events", start_id,
//                    [&](const Event& e) { index.Apply(e); });
//   f.Start();  ...  f.Stop();
#ifndef GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_
#define GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_connection.h"

namespace gnlc {

class StreamFollower final {
 public:
  using Handler = std::function<void(const Event&)>;

  StreamFollower(RedisOptions options, std::string stream, std::string start_id, Handler handler);
  ~StreamFollower();

  void Start();
  void Stop();
  // The id of the last event handed to the handler.
  std::string last_id() const;

 private:
  void Run();

  RedisOptions options_;
  const std::string stream_;
  Handler handler_;
  mutable absl::Mutex mu_;
  std::string last_id_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_STREAM_FOLLOWER_H_
