// Bulk work that yields to residents. Redis runs one command at a time, so
// a script that applies a thousand imported rows is a pause of tens of
// milliseconds for every live call behind it. A BulkPacer cuts a job into
// chunks that each hold Redis for about `script_budget` (5 ms; 1 ms while
// live calls are about, each of which may wait behind one), learned per job
// from how long its chunks take, runs one chunk of the process's bulk work
// at a time, and pauses between chunks while the city's live calls are
// slowed: their p99 round trip to Redis (common/redis/live_latency.h, this
// server's and what the others publish) above `slowdown` times its quiet
// level. A pause after a chunk is a multiple of the chunk's time, which
// doubles (up to max_yield) while live calls are slowed and halves when
// they are not: a quiet city gets its import at full speed, a busy one
// keeps its latency, and bulk work never stops (at max_yield 32 it still
// has a 33rd of Redis). The quiet level is measured when a job starts
// after an idle spell, and again every `recalibrate_every` by holding bulk
// work back for a moment, so a job that was already running when the
// residents came does not take its own effect for the norm.
//
//   BulkPacer pacer(&pool);
//   RETURN_IF_ERROR(pacer.ForEachChunk("import-enrollments", rows.size(), deadline,
//       [&](size_t begin, size_t end) { return ImportRows(rows, begin, end); }));
//
// A chunk's commands run inside a BulkScope (not counted as live). Pauses
// are skipped once less than `deadline_reserve` is left before the
// deadline, so the job finishes at full speed rather than fail; past the
// deadline it stops (DEADLINE_EXCEEDED) before its next chunk, so that a
// caller's retry never runs beside it.
#ifndef GNLC_COMMON_REDIS_BULK_PACER_H_
#define GNLC_COMMON_REDIS_BULK_PACER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gnlc {

class RedisPool;

struct BulkPacerOptions {
  // How long one chunk (one script) may hold Redis: while nobody calls,
  // and while live calls wait behind it (shorter: each of them may).
  absl::Duration script_budget = absl::Milliseconds(5);
  absl::Duration live_script_budget = absl::Milliseconds(1);
  // Rows of a job's first chunk, before its cost per row is known; and the
  // most a chunk ever takes.
  size_t first_rows = 16;
  size_t max_rows = 1000;
  // Live calls are slowed when their p99 is above `slowdown` times the
  // quiet level, and never below `floor` (jitter, not load).
  double slowdown = 2.0;
  absl::Duration floor = absl::Milliseconds(1);
  // The pause after a chunk: its time times the yield (0, then 1, 2, 4 ...
  // max_yield), never longer than max_pause.
  double max_yield = 32;
  absl::Duration max_pause = absl::Milliseconds(100);
  // The recent live calls looked at, and how long bulk work is held back
  // to see the quiet level again.
  absl::Duration window = absl::Milliseconds(250);
  absl::Duration quiet_for = absl::Milliseconds(400);
  absl::Duration recalibrate_every = absl::Seconds(10);
  absl::Duration deadline_reserve = absl::Seconds(5);

  // From the environment: GNLC_BULK_MAX_YIELD (how far bulk work slows
  // down for live calls) and GNLC_BULK_SCRIPT_MS (the quiet budget).
  static BulkPacerOptions FromEnvironment();

  // For tests: the clock, sleeping, and the city's live p99 now (nullopt:
  // no live calls). Defaults: absl's clock and the pool's figures.
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
  std::function<std::optional<absl::Duration>()> live;
};

class BulkPacer final {
 public:
  explicit BulkPacer(RedisPool* pool,
                     BulkPacerOptions options = BulkPacerOptions::FromEnvironment());

  // Runs step(begin, end) over [0, n) in consecutive chunks, sized for
  // `job` (a name: each job learns its own cost per row), in order; stops
  // at the first error.
  using Step = std::function<absl::Status(size_t begin, size_t end)>;
  absl::Status ForEachChunk(absl::string_view job, size_t n, absl::Time deadline, const Step& step);

  struct Stats {
    int64_t chunks = 0;
    int64_t pauses = 0;
    absl::Duration paused = absl::ZeroDuration();
    absl::Duration pause = absl::ZeroDuration();  // the pause now
    std::optional<absl::Duration> quiet;          // the quiet level now
  };
  Stats stats() const;

 private:
  size_t RowsFor(const std::string& job, bool live) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(gate_);
  void Learn(const std::string& job, size_t rows, absl::Duration took)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(gate_);
  void Observe(absl::Time now, bool quiet) ABSL_EXCLUSIVE_LOCKS_REQUIRED(gate_);
  void Sleep(absl::Duration d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(gate_);

  RedisPool* pool_;
  BulkPacerOptions options_;

  // Held for a chunk and the pause before it: one chunk of this process's
  // bulk work at a time.
  mutable absl::Mutex gate_;
  absl::flat_hash_map<std::string, double> micros_per_row_ ABSL_GUARDED_BY(gate_);
  absl::Duration pause_ ABSL_GUARDED_BY(gate_) = absl::ZeroDuration();
  double yield_ ABSL_GUARDED_BY(gate_) = 0;
  absl::Duration last_took_ ABSL_GUARDED_BY(gate_) = absl::ZeroDuration();
  bool live_ ABSL_GUARDED_BY(gate_) = false;  // live calls at the last look
  absl::Time last_chunk_end_ ABSL_GUARDED_BY(gate_) = absl::InfinitePast();
  absl::Time last_quiet_ ABSL_GUARDED_BY(gate_) = absl::InfinitePast();
  // Quiet observations (when, p99) of the last minute.
  std::deque<std::pair<absl::Time, absl::Duration>> quiet_ ABSL_GUARDED_BY(gate_);
  // Apart from the gate, which a pause holds.
  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_BULK_PACER_H_
