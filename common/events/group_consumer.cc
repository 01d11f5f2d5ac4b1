#include "common/events/group_consumer.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/events/stream_retention.h"
#include "common/server/bulk_priority.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"

namespace gnlc {

std::string DefaultConsumerName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "host", "-", getpid());
}

GroupConsumer::GroupConsumer(RedisOptions redis, GroupConsumerOptions options, Handler handler)
    : GroupConsumer(std::move(redis), std::move(options),
                    [handler = std::move(handler)](const std::vector<Event>& events) {
                      for (const Event& e : events) RETURN_IF_ERROR(handler(e));
                      return absl::OkStatus();
                    }) {}

GroupConsumer::GroupConsumer(RedisOptions redis, GroupConsumerOptions options, BatchHandler handler)
    : redis_(std::move(redis)), options_(std::move(options)), handler_(std::move(handler)) {}

GroupConsumer::~GroupConsumer() { Stop(); }

void GroupConsumer::Start() {
  thread_ = std::thread([this] {
    if (options_.bulk) MarkThisThreadBulk();
    Run();
  });
}

void GroupConsumer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<size_t> GroupConsumer::Pump(RedisConnection& conn, absl::string_view from,
                                           std::string& watermark) {
  const std::string count = std::to_string(options_.batch);
  std::vector<absl::string_view> args = {"XREADGROUP",      "GROUP", options_.group,
                                         options_.consumer, "COUNT", count};
  if (from == ">") {
    args.push_back("BLOCK");
    args.push_back("250");
  }
  args.push_back("STREAMS");
  args.push_back(options_.stream);
  args.push_back(from);
  auto reply = conn.Command(args, absl::Seconds(2));
  if (!reply.ok()) return reply.status();
  const ReplyView streams = reply->view();
  if (streams.size() == 0) return 0;
  const ReplyView entries = streams[0][1];
  // One handler call, one watermark write and one XACK per batch: the
  // per-event round trips would cost more than most handlers.
  std::vector<std::string> ids;
  std::string newest;
  std::vector<Event> events = Decode(entries, watermark, ids, newest);
  if (!events.empty()) {
    RETURN_IF_ERROR(handler_(events));
    applied_.fetch_add(static_cast<int64_t>(events.size()));
  }
  if (!newest.empty()) {
    if (auto r = conn.Command({"SET", watermark_key(), newest}); !r.ok()) return r.status();
    watermark = newest;
  }
  RETURN_IF_ERROR(Ack(conn, ids));
  return entries.size();
}

std::vector<Event> GroupConsumer::Decode(const ReplyView& entries, absl::string_view watermark,
                                         std::vector<std::string>& ids, std::string& newest) {
  std::vector<Event> events;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ReplyView entry = entries[i];
    ids.emplace_back(entry[0].str());
    const ReplyView fields = entry[1];  // nil when the entry was trimmed or deleted
    if (!watermark.empty() && CompareStreamIds(ids.back(), watermark) <= 0) {
      skipped_.fetch_add(1);
      continue;
    }
    newest = ids.back();
    for (size_t f = 0; f + 1 < fields.size(); f += 2) {
      if (fields[f].str() != kEventField) continue;
      auto event = DecodeEvent(ids.back(), fields[f + 1].str());
      if (event.ok()) events.push_back(std::move(*event));  // a poison entry must not block
    }
  }
  return events;
}

absl::Status GroupConsumer::Ack(RedisConnection& conn, const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<absl::string_view> ack = {"XACK", options_.stream, options_.group};
  for (const std::string& id : ids) ack.push_back(id);
  return conn.Command(ack).status();
}

absl::StatusOr<size_t> GroupConsumer::ClaimStale(RedisConnection& conn) {
  const std::string idle = std::to_string(absl::ToInt64Milliseconds(options_.claim_after));
  const std::string count = std::to_string(options_.batch);
  size_t claimed = 0;
  std::string cursor = "0-0";
  do {
    auto reply = conn.Command({"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                               idle, cursor, "COUNT", count});
    if (!reply.ok()) return reply.status();
    cursor = std::string(reply->view()[0].str());
    std::vector<std::string> ids;
    std::string newest;
    std::vector<Event> events = Decode(reply->view()[1], "", ids, newest);
    if (!events.empty()) {
      RETURN_IF_ERROR(handler_(events));
      applied_.fetch_add(static_cast<int64_t>(events.size()));
    }
    RETURN_IF_ERROR(Ack(conn, ids));
    claimed += ids.size();
  } while (cursor != "0-0" && !stop_.HasBeenNotified());
  return claimed;
}

absl::Status GroupConsumer::CheckGap(RedisConnection& conn) {
  ASSIGN_OR_RETURN(RedisReply trimmed, conn.Command({"GET", TrimmedKey(options_.stream)}));
  if (trimmed.view().is_nil()) return absl::OkStatus();
  const std::string at(trimmed.view().str());
  ASSIGN_OR_RETURN(std::vector<GroupNeed> groups, GroupNeeds(CommandsOf(conn), options_.stream));
  std::string needed;
  for (const GroupNeed& g : groups) {
    if (g.group == options_.group) needed = g.needed;
  }
  if (!MissedEntries(needed, at)) return absl::OkStatus();
  if (!options_.on_gap) {
    // It goes on with what is left (logged again until it is past the trim).
    LogJson(LogLevel::kError, "stream trimmed past a group that cannot rebuild: events were missed",
            {{"stream", options_.stream},
             {"group", options_.group},
             {"position", needed},
             {"trimmed", at}});
    return absl::OkStatus();
  }
  LogJson(LogLevel::kWarn, "stream trimmed past this group: rebuilding from the records",
          {{"stream", options_.stream},
           {"group", options_.group},
           {"position", needed},
           {"trimmed", at}});
  ASSIGN_OR_RETURN(std::string from, options_.on_gap());
  rebuilds_.fetch_add(1);
  // Go on from there; what is still pending below it is read (as trimmed,
  // or applied again, which handlers tolerate) and acknowledged.
  return conn.Command({"XGROUP", "SETID", options_.stream, options_.group, from}).status();
}

void GroupConsumer::Run() {
  RedisConnection conn(redis_);
  bool need_setup = true;
  std::string watermark = "0-0";
  absl::Time next_claim = absl::InfiniteFuture();
  absl::Time next_gap_check = absl::InfiniteFuture();
  while (!stop_.HasBeenNotified()) {
    if (need_setup) {
      // MKSTREAM: the producer may not have written yet. BUSYGROUP is fine.
      auto created = conn.Command(
          {"XGROUP", "CREATE", options_.stream, options_.group, options_.start_id, "MKSTREAM"});
      if (!created.ok() && !absl::StrContains(created.status().message(), "BUSYGROUP")) {
        stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
        continue;
      }
      if (!CheckGap(conn).ok()) {
        stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
        continue;
      }
      next_gap_check = absl::Now() + options_.check_gap_every;
      auto mark = conn.Command({"GET", watermark_key()});
      if (!mark.ok()) continue;
      watermark = mark->view().is_nil() ? "0-0" : std::string(mark->view().str());
      // Our own pending entries first: delivered before a crash, never acked.
      absl::StatusOr<size_t> pending;
      do {
        pending = Pump(conn, "0", watermark);
      } while (pending.ok() && *pending > 0 && !stop_.HasBeenNotified());
      if (!pending.ok()) {
        stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
        continue;
      }
      need_setup = false;
      next_claim = absl::Now();
    }
    if (absl::Now() >= next_gap_check) {
      next_gap_check = absl::Now() + options_.check_gap_every;
      if (!CheckGap(conn).ok()) {
        need_setup = true;
        continue;
      }
    }
    if (absl::Now() >= next_claim) {
      // Checked every claim_after / 2, so a dead consumer's entries wait at
      // most 1.5 × claim_after.
      next_claim = absl::Now() + options_.claim_after / 2;
      if (!ClaimStale(conn).ok()) {
        need_setup = true;
        continue;
      }
    }
    if (auto n = Pump(conn, ">", watermark); !n.ok()) {
      // Redis restarted (maybe without our group) or the handler failed:
      // set up again, which re-reads what is still pending.
      need_setup = true;
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
    }
  }
}

}  // namespace gnlc
