// The catalog's records in Redis, the system of record. Every write is one
// Lua script that checks the version (etag), writes the record, moves the
// resource to the head of the change log and appends its event to the
// catalog stream: the change and its event exist together or not at all.
//
// Keys, all in hash slot {0} because the change feed needs one total order:
//   cat:{0}:programs        HASH  program id  -> Program (serialized)
//   cat:{0}:offerings       HASH  offering id -> Offering
//   cat:{0}:versions        HASH  id -> version (survives deletion)
//   cat:{0}:po:{program}    SET   offering ids of a program
//   cat:{0}:changes         ZSET  "p:{id}"/"o:{id}" scored by change sequence
//   cat:{0}:seq             STRING change sequence counter
//   cat:{0}:tombstones      HASH  "p:{id}" -> "{unix_ms} {resource name}"
//   cat:{0}:req:{p|o}:{rid} STRING resource name, 24 h (idempotent creates)
//   cat:{0}:epoch           STRING the feed's epoch, random, made on first read:
//                                 a rebuilt Redis gets a new one, and
//                                 harvesters' older cursors are refused
//   cat:{0}:seats           HASH  offering id -> "{version} {taken}", the seats
//                                 the enrollment service last reported (so a
//                                 restarted replica knows them)
//   cat:{0}:events          STREAM the catalog's events (trimmed ~1e6)
//   cat:{0}:src             HASH  "p:{source id}"/"o:{source id}" -> "{id}
//                                 {fingerprint}" (imports of history)
#ifndef GNLC_SERVICES_CATALOG_CATALOG_STORE_H_
#define GNLC_SERVICES_CATALOG_CATALOG_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/events/event_codec.h"
#include "common/events/streams.h"
#include "common/redis/redis_pool.h"
#include "gnlc/catalog/v1/offering.pb.h"
#include "gnlc/catalog/v1/program.pb.h"

namespace gnlc::catalog {

using gnlc::catalog::v1::Offering;
using gnlc::catalog::v1::Program;

// One entry of the change log as stored.
struct StoredChange {
  std::string member;  // "p:{id}" or "o:{id}"
  int64_t sequence = 0;
  bool is_program = false;
  bool deleted = false;
  std::string record;                  // serialized Program/Offering unless deleted
  int64_t deleted_unix_ms = 0;         // for tombstones
  std::string deleted_name;            // for tombstones
  std::optional<int32_t> seats_taken;  // offerings: as enrollment last reported
};

// A page of the change log, with where the feed stands.
struct FeedPage {
  std::string epoch;  // of the feed: a new one whenever Redis was rebuilt
  int64_t head_sequence = 0;
  // The cursor is not of this feed (another epoch, or past its head).
  bool reset = false;
  std::optional<StoredChange> head;  // the newest entry
  std::vector<StoredChange> changes;
};

// A position in the change log: a resource and its latest change.
struct LogEntry {
  std::string member;
  int64_t sequence = 0;
  bool live = false;
};

class CatalogStore final {
 public:
  explicit CatalogStore(RedisPool* pool, int64_t stream_maxlen = 0);

  // Writes a new program (etag "1") with its event. If `request_id` was seen
  // within 24 h, writes nothing and returns the name created then.
  // ALREADY_EXISTS if the id is taken (the caller picks another).
  absl::StatusOr<std::optional<std::string>> CreateProgram(const Program& program,
                                                           absl::string_view id,
                                                           absl::string_view request_id,
                                                           Event& event);
  // Replaces a program if its version is still `expected_version`.
  // ABORTED on a stale version, NOT_FOUND if deleted meanwhile.
  absl::Status UpdateProgram(const Program& program, absl::string_view id,
                             uint64_t expected_version, Event& event);
  // Archives a program and its offerings with tombstones. `expected_version`
  // 0 means any version.
  absl::Status DeleteProgram(absl::string_view id, absl::string_view name,
                             uint64_t expected_version, Event& event);

  absl::StatusOr<std::optional<std::string>> CreateOffering(const Offering& offering,
                                                            absl::string_view program_id,
                                                            absl::string_view id,
                                                            absl::string_view request_id,
                                                            Event& event);
  absl::Status UpdateOffering(const Offering& offering, absl::string_view id,
                              uint64_t expected_version, Event& event);

  // NOT_FOUND when absent.
  // Imports of history: the mapping of source fields ("p:{source id}",
  // "o:{source id}") to "{id} {fingerprint}" ("" if never imported).
  absl::StatusOr<std::vector<std::string>> ReadSourceMappings(
      const std::vector<std::string>& fields);
  absl::Status PutSourceMapping(absl::string_view field, absl::string_view mapping);
  absl::StatusOr<Program> ReadProgram(absl::string_view id);
  absl::StatusOr<Offering> ReadOffering(absl::string_view id);

  // Changes with sequence > `after`, oldest first, at most `limit`, if
  // `epoch` is the feed's (or empty); creates the feed's epoch on first use.
  absl::StatusOr<FeedPage> ListChanges(int64_t after, int limit, absl::string_view epoch);
  // The current entries of these log members ("p:{id}", "o:{id}"); members
  // not in the log are left out.
  absl::StatusOr<std::vector<StoredChange>> ReadEntries(const std::vector<std::string>& members);
  // Appends the log entries with sequence in (after, up_to], at most
  // `limit`, to `out`; returns the head sequence.
  absl::StatusOr<int64_t> ScanLog(int64_t after, int64_t up_to, int limit,
                                  std::vector<LogEntry>& out);

  // Calls the visitors for every live program, then every live offering.
  absl::Status LoadAll(const std::function<void(Program)>& on_program,
                       const std::function<void(Offering)>& on_offering);
  // Calls the visitor for every offering with reported seats.
  absl::Status LoadSeats(const std::function<void(absl::string_view, int32_t)>& on_seats);
  // Records the seats enrollment reported, each only if its version is newer
  // than the stored one (reports may arrive out of order).
  struct SeatReport {
    std::string offering_id;
    int64_t version = 0;
    int32_t taken = 0;
  };
  absl::Status ApplySeats(const std::vector<SeatReport>& reports);
  // Id of the newest entry of `stream`, "0-0" if none: follow from here
  // after a load that started later.
  absl::StatusOr<std::string> StreamTail(absl::string_view stream = kCatalogStream);

 private:
  // `is_draft`: a program in DRAFT, which the feed shows as a tombstone.
  absl::StatusOr<std::optional<std::string>> Put(bool program, bool is_draft, absl::string_view id,
                                                 uint64_t expected_version, const std::string& blob,
                                                 absl::string_view parent_id,
                                                 absl::string_view request_id,
                                                 absl::string_view name, Event& event);

  RedisPool* pool_;
  std::string maxlen_;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_STORE_H_
