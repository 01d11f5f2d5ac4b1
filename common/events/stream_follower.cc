#include "common/events/stream_follower.h"

#include "absl/strings/string_view.h"

namespace gnlc {

StreamFollower::StreamFollower(RedisOptions options, std::string stream, std::string start_id,
                               Handler handler)
    : options_(std::move(options)),
      stream_(std::move(stream)),
      handler_(std::move(handler)),
      last_id_(std::move(start_id)) {}

StreamFollower::~StreamFollower() { Stop(); }

void StreamFollower::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StreamFollower::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::string StreamFollower::last_id() const {
  absl::MutexLock lock(&mu_);
  return last_id_;
}

void StreamFollower::Run() {
  RedisConnection conn(options_);
  // BLOCK is short so that Stop() is noticed quickly.
  constexpr absl::string_view kBlockMs = "250";
  while (!stop_.HasBeenNotified()) {
    const std::string from = last_id();
    auto reply = conn.Command(
        {"XREAD", "COUNT", "512", "BLOCK", kBlockMs, "STREAMS", stream_, from}, absl::Seconds(2));
    if (!reply.ok()) {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
      continue;
    }
    const ReplyView streams = reply->view();
    if (streams.size() == 0) continue;  // nil: nothing new within BLOCK
    const ReplyView entries = streams[0][1];
    for (size_t i = 0; i < entries.size(); ++i) {
      const ReplyView entry = entries[i];
      const absl::string_view id = entry[0].str();
      const ReplyView fields = entry[1];
      for (size_t f = 0; f + 1 < fields.size(); f += 2) {
        if (fields[f].str() != kEventField) continue;
        if (auto event = DecodeEvent(id, fields[f + 1].str()); event.ok()) handler_(*event);
      }
      absl::MutexLock lock(&mu_);
      last_id_ = std::string(id);
    }
  }
}

}  // namespace gnlc
