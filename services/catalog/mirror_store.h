// A catalog's mirror of one peer city's catalog, in this city's Redis. The
// harvester (harvester.h) writes it; every replica's PeerMirror reads it.
//
// Keys of peer P, all in hash slot {m:P}:
//   cat:{m:P}:state          HASH  generation, cursor: the generation served and
//                                  where its harvest stands in P's feed;
//                                  building, build_cursor: a generation being
//                                  harvested afresh (first sync, after a reset);
//                                  as_of_ms: when P's feed was last read to
//                                  its end
//   cat:{m:P}:lease          STRING the replica harvesting P, with a TTL
//   cat:{m:P}:g{N}:records   HASH  member ("p:{id}", "o:{id}") -> ProgramChange
//   cat:{m:P}:g{N}:seqs      HASH  member -> sequence of its latest change at P,
//                                  negative for a record that was skipped (so
//                                  the digest still counts it, as P does)
//   cat:{m:P}:g{N}:bytes     STRING the bytes of the generation's records,
//                                  held against the peer's quota
//   cat:{m:P}:events         STREAM MirrorChanged events of the served generation
//   cat:{m:P}:status         HASH  what ListPeerStatuses shows
//
// Every write checks that the writer still holds the lease and that the
// cursor is where the writer read it, in the same script that writes: a page
// and its cursor are applied together or not at all, and a harvester that
// lost its lease (paused, partitioned) cannot apply a page twice.
#ifndef GNLC_SERVICES_CATALOG_MIRROR_STORE_H_
#define GNLC_SERVICES_CATALOG_MIRROR_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_pool.h"

namespace gnlc::catalog {

struct MirrorState {
  int64_t generation = 0;  // 0: nothing served yet
  std::string cursor;
  int64_t building = 0;  // 0: no generation being built
  std::string build_cursor;
  int64_t as_of_ms = 0;
};

// One record to write: `bytes` is a serialized ProgramChange, or empty to
// drop the member's record. `sequence` 0 drops the member altogether (a
// tombstone); negative records a skipped record's position.
struct MirrorWrite {
  std::string member;
  int64_t sequence = 0;
  std::string bytes;
};

// How much of a peer's catalog this city keeps (config PeerCity).
struct MirrorQuota {
  int64_t max_records = 500000;
  int64_t max_bytes = int64_t{512} << 20;
};

class MirrorStore final {
 public:
  MirrorStore(RedisPool* pool, std::string peer, MirrorQuota quota = {});

  const std::string& peer() const { return peer_; }
  std::string EventsKey() const;

  absl::StatusOr<MirrorState> ReadState();
  // Takes or renews the lease for `ttl`; false when another holds it.
  absl::StatusOr<bool> HoldLease(absl::string_view holder, absl::Duration ttl);
  absl::StatusOr<std::string> LeaseHolder();
  absl::Status ReleaseLease(absl::string_view holder);

  // Starts building generation `generation` from an empty cursor, dropping
  // what was built of `abandoned` (a build the peer reset again), if not 0.
  absl::Status StartBuilding(absl::string_view holder, int64_t generation, int64_t abandoned = 0);
  // Applies writes to `generation` (served, or the one being built) and
  // moves its cursor from `from` to `to`, publishing the change when the
  // generation is served. FAILED_PRECONDITION (MIRROR_MOVED) when the lease
  // or the cursor is not as the caller believes. A write that would take
  // the generation past the quota is not made (a new record is kept as
  // skipped, an existing one as it was): the answer is how many.
  absl::StatusOr<int64_t> Apply(absl::string_view holder, int64_t generation, bool building,
                                absl::string_view from, absl::string_view to,
                                const std::vector<MirrorWrite>& writes, int64_t as_of_ms);
  // Serves the generation being built (complete now) instead of the old
  // one, whose keys are dropped.
  absl::Status Swap(absl::string_view holder, const MirrorState& state);
  // Marks the served generation complete as of `as_of_ms`.
  absl::Status SetAsOf(absl::string_view holder, int64_t as_of_ms);

  // Every record of a generation: visit(member, serialized ProgramChange).
  absl::Status LoadGeneration(
      int64_t generation, const std::function<void(absl::string_view, absl::string_view)>& visit);
  // Records of these members (nullopt: none).
  absl::StatusOr<std::vector<std::optional<std::string>>> ReadRecords(
      int64_t generation, const std::vector<std::string>& members);
  // visit(member, sequence) for every member of a generation.
  absl::Status ScanSequences(int64_t generation,
                             const std::function<void(absl::string_view, int64_t)>& visit);

  absl::Status WriteStatus(const std::map<std::string, std::string>& fields);
  absl::StatusOr<std::map<std::string, std::string>> ReadStatus();

 private:
  std::string Key(absl::string_view suffix) const;
  std::string GenerationKey(int64_t generation, absl::string_view what) const;

  RedisPool* pool_;
  const std::string peer_;
  const MirrorQuota quota_;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_MIRROR_STORE_H_
