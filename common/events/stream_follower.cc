#include "common/events/stream_follower.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/events/stream_retention.h"
#include "common/server/logging.h"

namespace gnlc {

StreamFollower::StreamFollower(RedisOptions options, std::string stream, std::string start_id,
                               Handler handler, FollowerOptions follower)
    : options_(std::move(options)),
      stream_(std::move(stream)),
      handler_(std::move(handler)),
      follower_(std::move(follower)),
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

bool StreamFollower::ReportAndCheck(RedisConnection& conn) {
  const std::string position = last_id();
  if (!follower_.reader.empty()) {
    const std::string report = absl::StrCat(position, " ", absl::ToUnixMillis(absl::Now()));
    if (!conn.Command({"HSET", ReadersKey(stream_), follower_.reader, report}).ok()) return false;
  }
  auto newest = StreamPosition(CommandsOf(conn), stream_);
  if (!newest.ok()) return false;
  if (LostWrites(position, *newest)) return Rebuild(position, *newest, "lost");
  auto trimmed = conn.Command({"GET", TrimmedKey(stream_)});
  if (!trimmed.ok()) return false;
  if (trimmed->view().is_nil() || !MissedEntries(position, trimmed->view().str())) return true;
  return Rebuild(position, std::string(trimmed->view().str()), "trimmed");
}

bool StreamFollower::Rebuild(const std::string& position, const std::string& at,
                             absl::string_view why) {
  const bool lost = why == "lost";
  if (!follower_.on_gap) {
    LogJson(
        LogLevel::kError,
        lost ? "the stream lost entries this reader applied (a failover), and it cannot "
               "rebuild: it goes on from the newest entry"
             : "stream trimmed past a reader that cannot rebuild: events were missed",
        {{"stream", stream_}, {"reader", follower_.reader}, {"position", position}, {"at", at}});
    absl::MutexLock lock(&mu_);
    // Lost: from the newest entry there, so that what comes next is read;
    // trimmed: the first entry kept is read too.
    last_id_ = lost ? at : StreamIdBefore(at);
    return true;
  }
  LogJson(LogLevel::kWarn,
          lost ? "the stream lost entries this reader applied (a failover before they were "
                 "replicated): rebuilding from the records"
               : "stream trimmed past this reader: rebuilding from the records",
          {{"stream", stream_}, {"reader", follower_.reader}, {"position", position}, {"at", at}});
  auto from = follower_.on_gap();
  if (!from.ok()) {
    LogJson(LogLevel::kWarn, "rebuild after a stream gap failed, retrying",
            {{"stream", stream_}, {"error", std::string(from.status().message())}});
    return false;
  }
  rebuilds_.fetch_add(1);
  absl::MutexLock lock(&mu_);
  last_id_ = *from;
  return true;
}

void StreamFollower::Run() {
  RedisConnection conn(options_);
  // BLOCK is short so that Stop() is noticed quickly.
  constexpr absl::string_view kBlockMs = "250";
  absl::Time next_report = absl::InfinitePast();
  while (!stop_.HasBeenNotified()) {
    if (absl::Now() >= next_report) {
      if (!ReportAndCheck(conn)) {
        stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
        continue;
      }
      next_report = absl::Now() + follower_.report_every;
    }
    const std::string from = last_id();
    auto reply = conn.Command(
        {"XREAD", "COUNT", "512", "BLOCK", kBlockMs, "STREAMS", stream_, from}, absl::Seconds(2));
    if (!reply.ok()) {
      // Redis may have failed over meanwhile: check the position first.
      next_report = absl::InfinitePast();
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
