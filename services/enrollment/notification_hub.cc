#include "services/enrollment/notification_hub.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/events/event_codec.h"
#include "common/hash/fnv1a.h"
#include "common/server/rpc_edge.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"
#include "services/enrollment/enrollment_keys.h"

namespace gnlc::enrollment {
namespace {

constexpr int kPerResponse = 100;
// A quiet stream still gets its cursor this often (and proxies see traffic).
constexpr absl::Duration kBookmarkEvery = absl::Seconds(15);
constexpr absl::Duration kPollEvery = absl::Milliseconds(50);

std::string StreamKey(absl::string_view backend) { return Key("ntf", backend); }
std::string TrimKey(absl::string_view backend) { return Key("ntftrim", backend); }

bool IsStreamId(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '-');
  uint64_t n = 0;
  return s.size() <= 41 && parts.size() == 2 && !parts[0].empty() && !parts[1].empty() &&
         absl::SimpleAtoi(parts[0], &n) && absl::SimpleAtoi(parts[1], &n) &&
         parts[0].find_first_not_of("0123456789") == absl::string_view::npos &&
         parts[1].find_first_not_of("0123456789") == absl::string_view::npos;
}

int MaxStreamsPerBackend() {
  int n = 0;
  const char* env = std::getenv("GNLC_MAX_STREAMS_PER_BACKEND");
  if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0) return n;
  return NotificationHub::kDefaultMaxStreamsPerBackend;
}

absl::Status CursorExpired() {
  return FailedPrecondition("CURSOR_EXPIRED",
                            "notifications after this cursor are no longer retained: "
                            "resynchronise with ListEnrollments, then subscribe without a cursor");
}

}  // namespace

// One subscriber. Writes and Finish are each claimed under mu_ and then
// made outside it, so a reaction gRPC runs inline never waits for mu_.
class NotificationHub::Stream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  Stream(NotificationHub* hub, Subscription sub) : hub_(hub), sub_(std::move(sub)) {}

  const Subscription& subscription() const { return sub_; }

  // Ready for the next response: nothing in flight, not finished.
  bool Ready() {
    absl::MutexLock lock(&mu_);
    return !writing_ && !finished_;
  }
  bool BookmarkDue(absl::Time now) {
    absl::MutexLock lock(&mu_);
    return now - last_send_ >= kBookmarkEvery;
  }

  void Send(const pb::SubscribeNotificationsResponse& response) {
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      bool own = false;
      buffer_.Clear();  // the previous response's, written by now
      if (!grpc::SerializationTraits<google::protobuf::Message>::Serialize(response, &buffer_, &own)
               .ok()) {
        return;
      }
      writing_ = true;
      in_flight_ = static_cast<int64_t>(buffer_.Length());
      last_send_ = absl::Now();
      sub_.cursor = response.cursor();
    }
    hub_->Buffered(in_flight_);
    StartWrite(&buffer_);
  }

  // The cursor moves past notifications of other partitions (the polling
  // thread is the only one that reads or moves it).
  void Advance(const std::string& cursor) { sub_.cursor = cursor; }

  void Fail(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      finished_ = true;
    }
    Finish(ToGrpcStatus(status, hub_->domain_));
  }

  // Ends the stream with `status` now, or when the write in flight is done.
  void Close(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      closing_ = ToGrpcStatus(status, hub_->domain_);
      if (writing_) return;
      finished_ = true;
    }
    Finish(closing_);
  }

  void OnWriteDone(bool ok) override {
    hub_->Buffered(-in_flight_);
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      in_flight_ = 0;
      if (!finished_ && (!ok || cancelled_)) finish = grpc::Status::CANCELLED;
      if (!finished_ && !finish && !closing_.ok()) finish = closing_;
      if (finish) finished_ = true;
    }
    if (finish) {
      Finish(*finish);
      return;
    }
    hub_->Wake();
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      if (!writing_ && !finished_) finish = finished_ = true;
    }
    if (finish) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override { hub_->Remove(this); }

 private:
  NotificationHub* const hub_;
  absl::Mutex mu_;
  Subscription sub_;  // the cursor moves as responses go out
  grpc::ByteBuffer buffer_;
  int64_t in_flight_ = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status closing_ ABSL_GUARDED_BY(mu_);  // OK: not closing
  absl::Time last_send_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

NotificationHub::NotificationHub(RedisPool* pool, Metrics* metrics, std::string error_domain)
    : pool_(pool),
      domain_(std::move(error_domain)),
      max_streams_per_backend_(MaxStreamsPerBackend()) {
  if (metrics != nullptr) {
    buffered_gauge_ = &prometheus::BuildGauge()
                           .Name("gnlc_notification_buffered_bytes")
                           .Help("Notification responses handed to gRPC and not yet written")
                           .Register(metrics->registry())
                           .Add({});
    subscribers_gauge_ = &prometheus::BuildGauge()
                              .Name("gnlc_notification_subscribers")
                              .Help("Open SubscribeNotifications streams")
                              .Register(metrics->registry())
                              .Add({});
    delivered_ = &prometheus::BuildCounter()
                      .Name("gnlc_notifications_delivered_total")
                      .Help("Notifications handed to subscribers")
                      .Register(metrics->registry())
                      .Add({});
  }
}

NotificationHub::~NotificationHub() { Stop(); }

void NotificationHub::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NotificationHub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void NotificationHub::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void NotificationHub::CloseAll() {
  std::vector<std::shared_ptr<Stream>> streams;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    streams = streams_;
  }
  const absl::Status closing = absl::UnavailableError(
      "the enrollment server is shutting down: subscribe again with your last cursor");
  for (const auto& stream : streams) stream->Close(closing);
}

void NotificationHub::Buffered(int64_t delta) {
  const int64_t now = buffered_bytes_.fetch_add(delta) + delta;
  if (buffered_gauge_ != nullptr) buffered_gauge_->Set(static_cast<double>(now));
}

absl::StatusOr<std::string> NotificationHub::StartingCursor(const std::string& backend,
                                                            const std::string& cursor,
                                                            bool replay_retained) {
  ASSIGN_OR_RETURN(RedisReply trimmed, pool_->Command({"GET", TrimKey(backend)}));
  const std::string watermark = trimmed.view().is_nil() ? "0-0" : std::string(trimmed.view().str());
  if (!cursor.empty()) {
    if (!IsStreamId(cursor)) {
      return InvalidArgument("INVALID_CURSOR",
                             "cursor is not one this service gave: pass a Notification's or a "
                             "response's cursor unchanged",
                             {{"field", "cursor"}});
    }
    if (CompareStreamIds(cursor, watermark) < 0) return CursorExpired();
    return cursor;
  }
  if (replay_retained) return watermark;
  ASSIGN_OR_RETURN(RedisReply last,
                   pool_->Command({"XREVRANGE", StreamKey(backend), "+", "-", "COUNT", "1"}));
  if (last.view().size() == 0) return watermark;
  return std::string(last.view()[0][0].str());
}

absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*> NotificationHub::Open(
    Subscription subscription) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    return absl::UnavailableError("the enrollment server is shutting down: subscribe again");
  }
  // A backend's streams are bounded (each costs a poll every 50 ms): a bug
  // or a leak in one backend cannot take this replica from the others.
  int same_backend = 0;
  for (const auto& s : streams_) same_backend += s->subscription().backend == subscription.backend;
  if (same_backend >= max_streams_per_backend_) {
    return WithRetryDelay(
        MakeError(absl::StatusCode::kResourceExhausted, "TOO_MANY_STREAMS",
                  absl::StrCat("this backend already has ", same_backend,
                               " notification streams open on this replica: close unused ones "
                               "(one per partition) before opening more"),
                  {{"limit", absl::StrCat(max_streams_per_backend_)}}),
        absl::Seconds(1));
  }
  auto stream = std::make_shared<Stream>(this, std::move(subscription));
  streams_.push_back(stream);
  wake_ = true;
  if (subscribers_gauge_ != nullptr) subscribers_gauge_->Set(streams_.size());
  return stream.get();
}

void NotificationHub::Remove(Stream* stream) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].get() == stream) {
      streams_[i] = std::move(streams_.back());
      streams_.pop_back();
      break;
    }
  }
  if (subscribers_gauge_ != nullptr) subscribers_gauge_->Set(streams_.size());
}

void NotificationHub::Run() {
  while (true) {
    std::vector<std::shared_ptr<Stream>> streams;
    {
      absl::MutexLock lock(&mu_);
      auto woken_or_stopped = [this]()
                                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken_or_stopped), kPollEvery);
      if (stop_) return;
      wake_ = false;
      streams = streams_;
    }
    const absl::Time now = absl::Now();
    for (const auto& stream : streams) {
      if (now >= stream->subscription().expires) {
        stream->Close(MakeError(absl::StatusCode::kUnauthenticated, "TOKEN_EXPIRED",
                                "the token this stream was opened with has expired: subscribe "
                                "again with a fresh token and your last cursor"));
      } else if (stream->Ready()) {
        Poll(*stream);
      }
    }
  }
}

void NotificationHub::Poll(Stream& stream) {
  const Subscription& sub = stream.subscription();
  const std::string key = StreamKey(sub.backend);
  auto reply =
      pool_->Command({"XREAD", "COUNT", std::to_string(kPerResponse), "STREAMS", key, sub.cursor});
  if (!reply.ok()) return;  // Redis away: try again next round
  const ReplyView streams = reply->view();
  if (streams.size() > 0) {
    // Before delivering, make sure nothing between the cursor and what was
    // read was trimmed: a subscriber that fell behind past the retention
    // must resynchronise, never silently skip. (Read first, then check: a
    // trim in between can only refuse, never lose.)
    auto trimmed = pool_->Command({"GET", TrimKey(sub.backend)});
    if (!trimmed.ok()) return;
    if (!trimmed->view().is_nil() && CompareStreamIds(sub.cursor, trimmed->view().str()) < 0) {
      stream.Fail(CursorExpired());
      return;
    }
  }
  pb::SubscribeNotificationsResponse response;
  response.set_cursor(sub.cursor);
  if (streams.size() > 0) {
    const ReplyView entries = streams[0][1];
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string id(entries[i][0].str());
      response.set_cursor(id);
      const ReplyView fields = entries[i][1];
      if (fields.size() < 2) continue;
      pb::Notification n;
      if (!n.ParseFromArray(fields[1].str().data(), static_cast<int>(fields[1].str().size()))) {
        continue;
      }
      if (sub.partition_count > 1 &&
          Fnv1a64(n.enrollment()) % static_cast<uint64_t>(sub.partition_count) !=
              static_cast<uint64_t>(sub.partition)) {
        continue;
      }
      n.set_cursor(id);
      *response.add_notifications() = std::move(n);
    }
  }
  if (response.notifications_size() == 0 && !stream.BookmarkDue(absl::Now())) {
    // Nothing, or only other partitions' notifications: move on quietly.
    stream.Advance(response.cursor());
    return;
  }
  if (delivered_ != nullptr) delivered_->Increment(response.notifications_size());
  stream.Send(response);
}

}  // namespace gnlc::enrollment
