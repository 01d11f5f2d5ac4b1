// How long an event stream keeps its entries, and how a reader learns that
// it missed some. A stream is trimmed only below what every reader still
// needs: each consumer group's oldest pending entry (or, with none pending,
// its last delivered one), each follower's reported position, and any
// position its owner names (a cursor key). Entries every reader has are kept
// `min_age` more; an entry nobody has read is trimmed anyway once older than
// `max_age`, so a reader stopped longer than that cannot fill Redis: it
// finds, on its return, that the stream was trimmed past its position, and
// rebuilds from the records instead of skipping what it missed.
//
//   StreamTrimmer trimmer(&pool, {.stream = kEnrollmentStream,
//                                 .position_keys = {"enr:{0}:ntfcursor"}},
//                         StreamRetention::FromEnvironment());
//   trimmer.Start();  ...  trimmer.Stop();
//
//   // A reader at `position` (the last id it applied):
//   if (MissedEntries(position, trimmed)) Rebuild();
//
// Keys beside a stream, in its hash slot:
//   {stream}:trimmed  STRING entries below this id are gone (the owner's
//                     last trim point; it only grows)
//   {stream}:readers  HASH follower name -> "{position} {reported ms}"
#ifndef GNLC_COMMON_EVENTS_STREAM_RETENTION_H_
#define GNLC_COMMON_EVENTS_STREAM_RETENTION_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_pool.h"

namespace gnlc {

struct StreamRetention {
  // Unread entries older than this are trimmed all the same: the longest a
  // reader may be stopped and still catch up by reading.
  absl::Duration max_age = absl::Hours(24 * 30);
  // Entries every reader has are kept this long (for operators reading the
  // stream, and so that services started in any order find their events).
  absl::Duration min_age = absl::Hours(1);
  // How often the owner trims, and followers report their position.
  absl::Duration every = absl::Seconds(30);

  // GNLC_STREAM_RETENTION_SECONDS, GNLC_STREAM_MIN_AGE_MS and
  // GNLC_STREAM_TRIM_EVERY_MS override the defaults.
  static StreamRetention FromEnvironment();
};

std::string TrimmedKey(absl::string_view stream);
std::string ReadersKey(absl::string_view stream);

// The id of the newest entry ever added to `stream` ("0-0" if none): where
// a reader that loaded everything before now goes on from. (Unlike the
// newest entry still there, it never goes back when entries are deleted.)
absl::StatusOr<std::string> StreamPosition(RedisPool& pool, absl::string_view stream);

// Runs one Redis command: a pool's or a connection's Command.
using RedisCommandRunner =
    std::function<absl::StatusOr<RedisReply>(const std::vector<absl::string_view>& args)>;
// The runner of a RedisPool or a RedisConnection (which must outlive it).
template <typename Redis>
RedisCommandRunner CommandsOf(Redis& redis) {
  return [&redis](const std::vector<absl::string_view>& args) { return redis.Command(args); };
}

absl::StatusOr<std::string> StreamPosition(const RedisCommandRunner& command,
                                           absl::string_view stream);

// Whether a reader that applied up to `position` is ahead of the newest id
// the stream ever had (`newest`): entries it read are gone from Redis's
// history, written to a primary that failed before its replica had them,
// or Redis came back from an older copy. It must rebuild, since new
// entries may get ids it would take as read.
bool LostWrites(absl::string_view position, absl::string_view newest);

struct GroupNeed {
  std::string group;
  std::string needed;  // its oldest pending entry, or else its last delivered one
};

// What each consumer group of `stream` still needs (none without a stream).
absl::StatusOr<std::vector<GroupNeed>> GroupNeeds(const RedisCommandRunner& command,
                                                  absl::string_view stream);

// Whether a reader whose last applied entry is `position` ("0-0" or "0":
// none yet) may have missed entries, the stream having been trimmed up to
// `trimmed` ("" or nil: never trimmed).
bool MissedEntries(absl::string_view position, absl::string_view trimmed);

// The id just before `id` ("5-0" -> "4-18446744073709551615"): where a
// reader goes on from to read the entry `id` itself (the first one a trim
// at `id` keeps) and all after it. "0-0" for "0-0" or an id that is not one.
std::string StreamIdBefore(absl::string_view id);

// What the owner's trimmer saw of one stream.
struct TrimInput {
  std::vector<std::string> needed;  // each reader's oldest needed id
  std::string last_generated;       // the stream's newest id ("0-0": none yet)
  absl::Time now;
};

// The id below which the stream may be trimmed: the oldest `needed`, but
// not above what is younger than min_age nor above the newest entry, and
// never below what is older than max_age. "" when nothing may go.
std::string TrimPoint(const TrimInput& input, const StreamRetention& retention);

struct TrimmerOptions {
  std::string stream;
  // Keys holding a stream id some reader of the owner's still needs (e.g.
  // a cursor it keeps itself).
  std::vector<std::string> position_keys = {};
  // Run after each trim with its point: the owner's clean-up of what it
  // remembers of entries now gone.
  std::function<absl::Status(const std::string& point)> after_trim = nullptr;
};

// Run by the stream's owner (who alone may trim it): every `every`, trims
// below what every reader needs (see above). Followers whose report is
// older than max_age are forgotten: a replaced replica never comes back.
class StreamTrimmer final {
 public:
  StreamTrimmer(
      RedisPool* pool, TrimmerOptions options, StreamRetention retention,
      std::function<absl::Time()> clock = [] { return absl::Now(); });
  ~StreamTrimmer();

  void Start();
  void Stop();
  // One pass: the trim point used ("" if none).
  absl::StatusOr<std::string> TrimOnce();

 private:
  absl::StatusOr<TrimInput> Observe();

  RedisPool* pool_;
  const TrimmerOptions options_;
  const StreamRetention retention_;
  std::function<absl::Time()> clock_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_STREAM_RETENTION_H_
