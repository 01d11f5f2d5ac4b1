#include "common/redis/bulk_pacer.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/live_latency.h"
#include "common/redis/redis_pool.h"

namespace gnlc {
namespace {

// A window needs this many live commands to say anything.
constexpr int kMinSamples = 5;
// Quiet levels older than this are forgotten (the city's load moves).
constexpr absl::Duration kQuietMemory = absl::Minutes(1);

double PositiveFromEnvironment(const char* name, double otherwise) {
  const char* value = std::getenv(name);
  double v = 0;
  return value != nullptr && absl::SimpleAtod(value, &v) && v > 0 ? v : otherwise;
}

}  // namespace

BulkPacerOptions BulkPacerOptions::FromEnvironment() {
  BulkPacerOptions o;
  o.max_yield = PositiveFromEnvironment("GNLC_BULK_MAX_YIELD", o.max_yield);
  o.script_budget = absl::Milliseconds(
      PositiveFromEnvironment("GNLC_BULK_SCRIPT_MS", absl::ToDoubleMilliseconds(o.script_budget)));
  return o;
}

BulkPacer::BulkPacer(RedisPool* pool, BulkPacerOptions options)
    : pool_(pool), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return absl::Now(); };
  if (!options_.sleep) options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  if (!options_.live) {
    // This server's own live calls and the highest p99 another published
    // (re-read at most every 100 ms: they publish that often).
    struct Published {
      absl::Mutex mu;
      absl::Time read = absl::InfinitePast();
      absl::Duration p99;
    };
    auto published = std::make_shared<Published>();
    options_.live = [pool, published, window = options_.window]() -> std::optional<absl::Duration> {
      const absl::Time now = absl::Now();
      std::optional<absl::Duration> most;
      const LiveLatency::Window own = pool->live().Recent(now, window);
      if (own.samples >= kMinSamples) most = own.p99;
      absl::MutexLock lock(&published->mu);
      if (now - published->read >= absl::Milliseconds(100)) {
        absl::StatusOr<absl::Duration> p = PublishedLiveLatency(*pool);
        published->p99 = p.ok() ? *p : absl::ZeroDuration();
        published->read = now;
      }
      if (published->p99 > absl::ZeroDuration()) {
        most = std::max(most.value_or(absl::ZeroDuration()), published->p99);
      }
      return most;
    };
  }
  options_.max_rows = std::max<size_t>(options_.max_rows, 1);
  options_.first_rows = std::clamp<size_t>(options_.first_rows, 1, options_.max_rows);
}

absl::Status BulkPacer::ForEachChunk(absl::string_view job_name, size_t n, absl::Time deadline,
                                     const Step& step) {
  const std::string job(job_name);
  size_t begin = 0;
  while (begin < n) {
    absl::MutexLock gate(&gate_);
    const absl::Time now = options_.now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("bulk work stopped at its deadline after ", begin, " of ", n, " rows"));
    }
    const bool time_to_wait = deadline - now > options_.deadline_reserve;
    if (now - last_chunk_end_ >= options_.quiet_for) {
      Observe(now, /*quiet=*/true);  // nothing of ours ran for a while
    } else if (time_to_wait && live_ && now - last_quiet_ >= options_.recalibrate_every) {
      Sleep(options_.quiet_for);
      Observe(options_.now(), /*quiet=*/true);
    } else if (time_to_wait && pause_ > absl::ZeroDuration()) {
      Sleep(pause_);
    }
    const size_t rows = std::min(n - begin, RowsFor(job, live_));
    const absl::Time start = options_.now();
    absl::Status status;
    {
      BulkScope bulk;
      status = step(begin, begin + rows);
    }
    const absl::Time end = options_.now();
    last_chunk_end_ = end;
    {
      absl::MutexLock lock(&stats_mu_);
      ++stats_.chunks;
    }
    if (!status.ok()) return status;
    Learn(job, rows, end - start);
    last_took_ = end - start;
    Observe(end, /*quiet=*/false);
    begin += rows;
  }
  return absl::OkStatus();
}

size_t BulkPacer::RowsFor(const std::string& job, bool live) const {
  const auto it = micros_per_row_.find(job);
  if (it == micros_per_row_.end()) return options_.first_rows;
  const double budget =
      absl::ToDoubleMicroseconds(live ? options_.live_script_budget : options_.script_budget);
  const double rows = budget / std::max(it->second, 0.01);
  return std::clamp<size_t>(static_cast<size_t>(rows), 1, options_.max_rows);
}

void BulkPacer::Learn(const std::string& job, size_t rows, absl::Duration took) {
  const double sample = absl::ToDoubleMicroseconds(took) / static_cast<double>(rows);
  auto [it, inserted] = micros_per_row_.emplace(job, sample);
  // A moving average: rows differ (a completion with an outcome costs more
  // than a cancellation), so the last chunk alone is a poor guide; the
  // lowest seen would size chunks for the cheapest rows and overshoot.
  if (!inserted) it->second = 0.75 * it->second + 0.25 * sample;
}

void BulkPacer::Observe(absl::Time now, bool quiet) {
  const std::optional<absl::Duration> live = options_.live();
  live_ = live.has_value();
  while (!quiet_.empty() && now - quiet_.front().first > kQuietMemory) quiet_.pop_front();
  if (quiet) {
    last_quiet_ = now;
    if (live.has_value()) quiet_.emplace_back(now, *live);
  }
  std::optional<absl::Duration> lowest;  // the quiet level
  for (const auto& [at, p99] : quiet_) lowest = std::min(lowest.value_or(p99), p99);
  // A quiet look measures the level; the others judge against it.
  if (!quiet && !live.has_value()) {
    yield_ = 0;  // nobody to yield to
    pause_ = absl::ZeroDuration();
  } else if (!quiet) {
    const absl::Duration limit =
        std::max(options_.floor, lowest.value_or(absl::ZeroDuration()) * options_.slowdown);
    if (*live > limit) {
      yield_ = std::clamp(yield_ * 2, 1.0, options_.max_yield);
    } else {
      yield_ = yield_ >= 2 ? yield_ / 2 : 0;
    }
    pause_ = std::min(last_took_ * yield_, options_.max_pause);
  }
  absl::MutexLock lock(&stats_mu_);
  stats_.pause = pause_;
  stats_.quiet = lowest;
}

void BulkPacer::Sleep(absl::Duration d) {
  {
    absl::MutexLock lock(&stats_mu_);
    ++stats_.pauses;
    stats_.paused += d;
  }
  options_.sleep(d);
}

BulkPacer::Stats BulkPacer::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

}  // namespace gnlc
