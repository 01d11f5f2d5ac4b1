// Analytics' Redis keys (prefix "ana:{0}:", one hash slot with the streams
// it reads) and the scripts that change them.
//
//   n:{period}            hash: counters of a period ("2026-11", "2026-Q4",
//                         "2026"), e.g. part, part|d:gulou, conf|k:3, and in
//                         months the gauges at the month's last change (g:*)
//   b:{period}:{metric}[|{slice}]  bitmap: the learners counted in a
//                         distinct metric (part, grad, placed, known), by
//                         number; slices k3 (program kind), m1 (modality);
//                         participation also per day, b:2026-12-07:part
//                         (whole city only, no counters)
//   scratch               a union's working copy, gone when the script ends
//   bitmaps               set: the names of all b:* keys (for erasure)
//   ln                    hash: learner id -> number (dense, never reused;
//                         gone with the learner's erasure)
//   lnseq                 string: the next learner number
//   s:{period}:{metric}   set: what earlier versions kept instead of the
//                         bitmaps ("l7", "l7|k3"); still read, never grown
//   sets                  set: the names of all s:* keys (for erasure)
//   fb:{learner}          hash: enrollment id -> "rating|periods|slices" of
//                         the learner's feedback (so a new rating replaces it)
//   g                     hash: gauges now (g:active, g:fc|CNY, ...)
//   gm                    zset: months holding a gauge snapshot, by ordinal
//   pships, progs         hash: partnership / program -> "counted:model|kind"
//   applied:{stream}      zset (lex): ids of applied events still pending in
//                         the group, zero-padded to sort as strings
//   applied:{stream}:low  every id below it was applied and acknowledged
//                         (the zset forgets those), so a rewound group
//                         (XGROUP SETID) changes nothing
//   targets               hash: indicator slug -> serialized Target
#ifndef GNLC_SERVICES_ANALYTICS_ANALYTICS_STORE_H_
#define GNLC_SERVICES_ANALYTICS_ANALYTICS_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_pool.h"
#include "services/analytics/indicators.h"
#include "services/analytics/ingest_plan.h"

namespace gnlc::analytics {

class AnalyticsStore final {
 public:
  explicit AnalyticsStore(RedisPool* pool) : pool_(pool) {}

  // Applies the plan atomically, unless one of its events was applied
  // before: then nothing is written and the padded ids of those come back.
  absl::StatusOr<std::vector<std::string>> Apply(absl::string_view stream, absl::string_view group,
                                                 const IngestPlan& plan);

  // One step of a recount (services/analytics/recount.h): forgets what
  // about 500 keys counted for `year` and later, from SCAN `cursor` ("0" to
  // begin); the next cursor, "0" when done.
  absl::StatusOr<std::string> ResetFromYear(absl::string_view cursor, int year);
  // Every event of `stream` up to `through` counts as applied from now on.
  absl::Status MarkApplied(absl::string_view stream, absl::string_view through);

  // The counters of each period: its own flows, plus the gauges as they
  // stood at the period's end.
  absl::StatusOr<std::vector<Counters>> ReadPeriods(const std::vector<pb::Period>& periods);

  // The city Redis's memory used and its limit (INFO memory).
  absl::StatusOr<RedisMemory> Memory();

  // How many learners a distinct metric counted in any of `spans` (period
  // or day keys: "2025-11", "2025-12-01"): the union of their bitmaps.
  absl::StatusOr<int64_t> DistinctIn(absl::string_view metric,
                                     const std::vector<std::string>& spans);

  absl::Status PutTarget(const pb::Target& target, bool only_if_absent);
  absl::StatusOr<std::vector<pb::Target>> ListTargets();

 private:
  RedisPool* pool_;
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_ANALYTICS_STORE_H_
