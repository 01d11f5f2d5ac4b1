#include "common/events/stream_retention.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/events/event_codec.h"
#include "common/events/lua/trim.lua.h"
#include "common/redis/redis_script.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"

namespace gnlc {
namespace {

absl::Duration FromEnvironment(const char* name, absl::Duration unit, absl::Duration fallback) {
  const char* v = std::getenv(name);
  int64_t n = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &n) || n <= 0) return fallback;
  return unit * n;
}

std::string IdAt(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t), "-0"); }

bool IsZero(absl::string_view id) { return id.empty() || id == "0" || id == "0-0"; }

const RedisScript& TrimScript() {
  static const RedisScript* script = new RedisScript(kTrimLua);
  return *script;
}

// A flat [name, value, ...] reply's value of `field` (nil view if absent).
absl::string_view Field(const ReplyView& flat, absl::string_view field) {
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (flat[i].str() == field) return flat[i + 1].str();
  }
  return {};
}

}  // namespace

StreamRetention StreamRetention::FromEnvironment() {
  StreamRetention r;
  r.max_age = ::gnlc::FromEnvironment("GNLC_STREAM_RETENTION_SECONDS", absl::Seconds(1), r.max_age);
  r.min_age = ::gnlc::FromEnvironment("GNLC_STREAM_MIN_AGE_MS", absl::Milliseconds(1), r.min_age);
  r.every = ::gnlc::FromEnvironment("GNLC_STREAM_TRIM_EVERY_MS", absl::Milliseconds(1), r.every);
  return r;
}

std::string TrimmedKey(absl::string_view stream) { return absl::StrCat(stream, ":trimmed"); }
std::string ReadersKey(absl::string_view stream) { return absl::StrCat(stream, ":readers"); }

std::string StreamIdBefore(absl::string_view id) {
  const size_t dash = id.find('-');
  uint64_t ms = 0;
  uint64_t seq = 0;
  if (dash == absl::string_view::npos || !absl::SimpleAtoi(id.substr(0, dash), &ms) ||
      !absl::SimpleAtoi(id.substr(dash + 1), &seq) || (ms == 0 && seq == 0)) {
    return "0-0";
  }
  if (seq > 0) return absl::StrCat(ms, "-", seq - 1);
  return absl::StrCat(ms - 1, "-", std::numeric_limits<uint64_t>::max());
}

absl::StatusOr<std::vector<GroupNeed>> GroupNeeds(const RedisCommandRunner& command,
                                                  absl::string_view stream) {
  absl::StatusOr<RedisReply> groups = command({"XINFO", "GROUPS", stream});
  std::vector<GroupNeed> needs;
  if (!groups.ok() && absl::StrContains(groups.status().message(), "no such key")) {
    return needs;  // no stream yet
  }
  RETURN_IF_ERROR(groups.status());
  for (size_t i = 0; i < groups->view().size(); ++i) {
    const ReplyView g = groups->view()[i];
    GroupNeed need{std::string(Field(g, "name")), std::string(Field(g, "last-delivered-id"))};
    ASSIGN_OR_RETURN(RedisReply pending, command({"XPENDING", stream, need.group}));
    if (pending.view().size() >= 2 && pending.view()[0].integer() > 0) {
      need.needed = std::string(pending.view()[1].str());
    }
    needs.push_back(std::move(need));
  }
  return needs;
}

absl::StatusOr<std::string> StreamPosition(RedisPool& pool, absl::string_view stream) {
  return StreamPosition(CommandsOf(pool), stream);
}

bool LostWrites(absl::string_view position, absl::string_view newest) {
  if (IsZero(position)) return false;
  return CompareStreamIds(position, IsZero(newest) ? "0-0" : newest) > 0;
}

absl::StatusOr<std::string> StreamPosition(const RedisCommandRunner& command,
                                           absl::string_view stream) {
  auto info = command({"XINFO", "STREAM", stream});
  if (!info.ok()) {
    if (absl::StrContains(info.status().message(), "no such key")) return std::string("0-0");
    return info.status();
  }
  return std::string(Field(info->view(), "last-generated-id"));
}

bool MissedEntries(absl::string_view position, absl::string_view trimmed) {
  if (IsZero(trimmed)) return false;
  return CompareStreamIds(IsZero(position) ? "0-0" : position, trimmed) < 0;
}

std::string TrimPoint(const TrimInput& input, const StreamRetention& retention) {
  if (IsZero(input.last_generated)) return "";
  // Everything younger than min_age stays, and the newest entry always
  // does: a reader that starts at the stream's end is never behind it.
  std::string point = IdAt(input.now - retention.min_age);
  for (const std::string& needed : input.needed) {
    if (CompareStreamIds(needed, point) < 0) point = IsZero(needed) ? "0-0" : needed;
  }
  // Unread for longer than max_age: trimmed all the same (but for the
  // newest entry).
  const std::string oldest = IdAt(input.now - retention.max_age);
  if (CompareStreamIds(point, oldest) < 0) point = oldest;
  if (CompareStreamIds(input.last_generated, point) < 0) point = input.last_generated;
  return IsZero(point) ? "" : point;
}

StreamTrimmer::StreamTrimmer(RedisPool* pool, TrimmerOptions options, StreamRetention retention,
                             std::function<absl::Time()> clock)
    : pool_(pool), options_(std::move(options)), retention_(retention), clock_(std::move(clock)) {}

StreamTrimmer::~StreamTrimmer() { Stop(); }

void StreamTrimmer::Start() {
  thread_ = std::thread([this] {
    do {
      if (auto s = TrimOnce(); !s.ok()) {
        LogJson(LogLevel::kWarn, "stream trim failed, retrying",
                {{"stream", options_.stream}, {"error", std::string(s.status().message())}});
      }
    } while (!stop_.WaitForNotificationWithTimeout(retention_.every));
  });
}

void StreamTrimmer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<TrimInput> StreamTrimmer::Observe() {
  TrimInput in;
  in.now = clock_();
  const std::string& stream = options_.stream;
  ASSIGN_OR_RETURN(in.last_generated, StreamPosition(*pool_, stream));
  if (IsZero(in.last_generated)) return in;  // no stream yet

  // Consumer groups: the oldest pending entry, or the last delivered one.
  ASSIGN_OR_RETURN(std::vector<GroupNeed> groups, GroupNeeds(CommandsOf(*pool_), stream));
  for (GroupNeed& g : groups) in.needed.push_back(std::move(g.needed));

  // Followers, by their last report; a report older than max_age is a
  // replica that is gone.
  ASSIGN_OR_RETURN(RedisReply readers, pool_->Command({"HGETALL", ReadersKey(stream)}));
  const int64_t stale_ms = absl::ToUnixMillis(in.now - retention_.max_age);
  for (size_t i = 0; i + 1 < readers.view().size(); i += 2) {
    const std::vector<std::string> parts =
        absl::StrSplit(readers.view()[i + 1].str(), ' ', absl::SkipEmpty());
    int64_t reported = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &reported) || reported < stale_ms) {
      RETURN_IF_ERROR(
          pool_->Command({"HDEL", ReadersKey(stream), readers.view()[i].str()}).status());
      continue;
    }
    in.needed.push_back(parts[0]);
  }
  for (const std::string& key : options_.position_keys) {
    ASSIGN_OR_RETURN(RedisReply position, pool_->Command({"GET", key}));
    // Unset: that reader has not started, and starts at the end.
    if (!position.view().is_nil()) in.needed.emplace_back(position.view().str());
  }
  return in;
}

absl::StatusOr<std::string> StreamTrimmer::TrimOnce() {
  ASSIGN_OR_RETURN(TrimInput in, Observe());
  const std::string point = TrimPoint(in, retention_);
  if (point.empty()) return point;
  ASSIGN_OR_RETURN(
      RedisReply r,
      TrimScript().Run(*pool_, {options_.stream, TrimmedKey(options_.stream)}, {point}));
  std::string trimmed(r.view().str());
  if (options_.after_trim) RETURN_IF_ERROR(options_.after_trim(trimmed));
  return trimmed;
}

}  // namespace gnlc
