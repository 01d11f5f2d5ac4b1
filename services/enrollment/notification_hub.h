// Serves SubscribeNotifications streams: each subscriber reads its backend's
// notification stream (notification_scripts.cc) from its own cursor.
//
// Flow control: a stream holds at most one response (up to 100
// notifications) that gRPC has not yet taken; the next is read from Redis
// only once that write completes. A subscriber that stops reading therefore
// costs one response of memory and nothing else: it falls behind in Redis,
// catches up when it reads again, or, once what it has not read is trimmed
// (the retention), is finished with FAILED_PRECONDITION CURSOR_EXPIRED.
// One thread polls every stream that is ready for more: at once when the
// translator commits here, else every 50 ms (other replicas' commits).
//
//   NotificationHub hub(&pool, metrics, "enrollment.gnlc.org");  // ErrorInfo domain
//   hub.Start();
//   return hub.Open(NotificationHub::Subscription{...});  // in the RPC
#ifndef GNLC_SERVICES_ENROLLMENT_NOTIFICATION_HUB_H_
#define GNLC_SERVICES_ENROLLMENT_NOTIFICATION_HUB_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_pool.h"
#include "common/server/metrics.h"
#include "gnlc/enrollment/v1/notification.pb.h"

namespace gnlc::enrollment {

namespace pb = gnlc::enrollment::v1;

class NotificationHub final {
 public:
  struct Subscription {
    std::string backend;
    std::string cursor;  // a stream id: deliver what comes after it
    int partition = 0;
    int partition_count = 1;
    // The subscriber's token expires then: the stream ends with
    // UNAUTHENTICATED TOKEN_EXPIRED, and the subscriber resumes from its
    // cursor with a fresh token.
    absl::Time expires = absl::InfiniteFuture();
  };

  // Streams one backend may hold open on one replica at once (two per
  // partition at the most partitions, so reconnects overlap); the
  // environment's GNLC_MAX_STREAMS_PER_BACKEND overrides it.
  static constexpr int kDefaultMaxStreamsPerBackend = 128;

  NotificationHub(RedisPool* pool, Metrics* metrics, std::string error_domain);
  ~NotificationHub();

  void Start();
  void Stop();
  // Something was committed: poll now.
  void Wake();
  // Ends every open stream with UNAVAILABLE (the server is shutting down;
  // subscribers reconnect with their cursor) and refuses none after.
  void CloseAll();

  // The cursor a new subscription starts from: after `cursor` if given
  // (FAILED_PRECONDITION CURSOR_EXPIRED if something after it was already
  // trimmed, INVALID_ARGUMENT if it is not a cursor), else after the newest
  // notification, or before the oldest one retained with `replay_retained`.
  absl::StatusOr<std::string> StartingCursor(const std::string& backend, const std::string& cursor,
                                             bool replay_retained);

  // A reactor that streams `subscription` until the client goes away, or
  // RESOURCE_EXHAUSTED TOO_MANY_STREAMS (with RetryInfo) when its backend
  // already holds its most streams here, or UNAVAILABLE when shutting down.
  absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*> Open(Subscription subscription);

  // Bytes of responses handed to gRPC and not yet written (the metric
  // gnlc_notification_buffered_bytes).
  int64_t buffered_bytes() const { return buffered_bytes_.load(); }

  class Stream;

 private:
  friend class Stream;
  void Run();
  // Reads what comes after the stream's cursor and sends it (or a bookmark
  // when one is due); otherwise moves the cursor past other partitions'.
  void Poll(Stream& stream);
  void Remove(Stream* stream);
  void Buffered(int64_t delta);

  RedisPool* pool_;
  const std::string domain_;
  const int max_streams_per_backend_;
  prometheus::Gauge* buffered_gauge_ = nullptr;
  prometheus::Counter* delivered_ = nullptr;
  prometheus::Gauge* subscribers_gauge_ = nullptr;
  std::atomic<int64_t> buffered_bytes_{0};
  absl::Mutex mu_;
  // Shared with the polling thread, so a stream gRPC is done with lives
  // until the thread lets go of it.
  std::vector<std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_NOTIFICATION_HUB_H_
