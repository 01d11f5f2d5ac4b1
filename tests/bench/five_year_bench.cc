// gnlc-five-year-bench: a city's Redis after five simulated years, and what
// it projects to at full scale.
//
//   build/tests/gnlc-five-year-bench                        # 1/200 of Nanjing
//   GNLC_BENCH_SCALE=0.05 build/tests/gnlc-five-year-bench  # 1/20 (~30 min)
//
// Full scale (the data issue's Nanjing): 1.5 M new learners, 6 M
// enrollments and 50 k offerings a year. At GNLC_BENCH_SCALE of that, one
// real Redis, catalog, enrollment (with notifications) and analytics server
// (in-process, TLS and tokens as in production) live through five years:
// the enrollment and analytics clocks move a week at a time, and each week
// the city publishes programs and offerings, residents register (through a
// mobile backend, so they get notifications and reminders) and enroll with
// request ids, a twentieth of the seated cancel before the start (the
// waitlist moves up), the rest complete after the end, half of them rate
// it, skills graduates report a job, and a year's 1% of residents are
// erased. Before the first year, one history import (gnlc-demo-history, a
// year's volume) brings the past in. Everything goes through the real gRPC
// APIs and the importer.
//
// After each year, once analytics has caught up and the streams' owners
// have trimmed what every reader has: Redis used_memory, online learners
// and enrollments, the per-day state (stream entries, notification
// entries, keys that expire within a day) and the bytes per enrollment.
// At the end: Redis by key family, the AOF after a rewrite, and the
// projection to full scale. Keys with a TTL (request ids, a day) cannot
// expire here, since Redis's own clock does not move with the simulation:
// they are measured and counted at one day's share.
//
// Not registered with CTest (a benchmark, not a test); stops by itself.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/grpc_testing.h"
#include "tools/gnlcctl/history_archive.h"
#include "tools/gnlcctl/history_import.h"

namespace gnlc::analytics::testing {
namespace {

namespace tpb = gnlc::type::v1;
namespace cpb = gnlc::catalog::v1;

constexpr double kFullLearnersPerYear = 1.5e6, kFullEnrollmentsPerYear = 6e6,
                 kFullOfferingsPerYear = 5e4;
constexpr int kYears = 5, kWeeksPerYear = 52, kWorkers = 4;
constexpr char kBackend[] = "city-app";

google::protobuf::Timestamp At(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

double Scale() {
  const char* s = std::getenv("GNLC_BENCH_SCALE");
  double scale = 0.005;
  if (s != nullptr && (!absl::SimpleAtod(s, &scale) || scale <= 0 || scale > 1)) {
    std::fprintf(stderr, "GNLC_BENCH_SCALE must be in (0, 1]\n");
    std::exit(2);
  }
  return scale;
}

// Runs f(i) for i in [0, n) on kWorkers threads.
void Parallel(int n, const std::function<void(int)>& f) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) f(i);
    });
  }
  for (auto& t : threads) t.join();
}

// Counts the RPCs that failed, by code. Refusals the simulation expects
// (completing an enrollment still on the waitlist, or one whose resident
// was erased meanwhile) are counted apart.
class Failures {
 public:
  void Add(const absl::Status& s, std::initializer_list<absl::StatusCode> expected = {}) {
    if (s.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(expected.begin(), expected.end(), s.code()) != expected.end()) {
      ++expected_;
      return;
    }
    if (unexpected_++ == 0) std::fprintf(stderr, "  first failure: %s\n", s.ToString().c_str());
  }
  int64_t unexpected() {
    std::lock_guard<std::mutex> lock(mu_);
    return unexpected_;
  }
  int64_t expected() {
    std::lock_guard<std::mutex> lock(mu_);
    return expected_;
  }

 private:
  std::mutex mu_;
  int64_t unexpected_ = 0, expected_ = 0;
};

struct Offering {
  std::string name;
  bool skills = false;
};
struct Week {
  std::vector<Offering> offerings;
  std::vector<std::pair<std::string, int>> enrollments;  // name, offering index
};

// What Redis holds, from one pass over its keys, by key family (the key up
// to its third colon; "ttl " before it for keys with a TTL).
struct Family {
  int64_t bytes = 0, keys = 0;
  int64_t ttl_ms = 0;  // the longest TTL left (about the family's window)
};
struct RedisShape {
  int64_t used_memory = 0;
  std::map<std::string, Family> families;

  // In a city that runs in real time, a key with a TTL lives its window:
  // of the `days` simulated here (Redis's clock stood still), a family's
  // window's share. Plus the streams. The state that must not grow.
  double PerDayState(double days) const {
    double bytes = 0;
    for (const auto& [name, f] : families) {
      if (absl::StartsWith(name, "ttl ")) {
        bytes += f.bytes * std::min(1.0, f.ttl_ms / 86400000.0 / days);
      } else if (absl::StrContains(name, ":events") || absl::StrContains(name, ":ntf:")) {
        bytes += f.bytes;
      }
    }
    return bytes;
  }
  int64_t TtlBytes() const {
    int64_t bytes = 0;
    for (const auto& [name, f] : families) bytes += absl::StartsWith(name, "ttl ") ? f.bytes : 0;
    return bytes;
  }
};

// One SCAN page (ARGV[1] the cursor): the next cursor, then per key
// "{family} {bytes} {pttl}". A page at a time, so that no call holds Redis
// long.
constexpr char kShapeScript[] = R"lua(
local page = redis.call('SCAN', ARGV[1], 'COUNT', 500)
local out = {page[1]}
for _, key in ipairs(page[2]) do
  local family = string.match(key, '^([^:]+:[^:]+:[^:]+):')
  family = family and (family .. ':*') or key
  local bytes = redis.call('MEMORY', 'USAGE', key, 'SAMPLES', 0) or 0
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then family = 'ttl ' .. family end
  out[#out + 1] = family .. ' ' .. bytes .. ' ' .. ttl
end
return out
)lua";

class FiveYearBench : public AnalyticsTest {
 protected:
  absl::Time now() const { return absl::Now() + absl::Nanoseconds(clock_offset_ns_.load()); }

  RedisShape Shape() {
    RedisShape shape;
    auto info = pool_->Command({"INFO", "memory"});
    for (absl::string_view line : absl::StrSplit(info->view().str(), "\r\n")) {
      if (absl::ConsumePrefix(&line, "used_memory:")) {
        (void)absl::SimpleAtoi(line, &shape.used_memory);
      }
    }
    std::string cursor = "0";
    do {
      auto page = pool_->Command({"EVAL", kShapeScript, "0", cursor});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      cursor = std::string(page->view()[0].str());
      for (size_t i = 1; i < page->view().size(); ++i) {
        const std::vector<std::string> row = absl::StrSplit(page->view()[i].str(), ' ');
        Family& f = shape.families[row[0] == "ttl" ? row[0] + " " + row[1] : row[0]];
        int64_t bytes = 0, ttl = 0;
        (void)absl::SimpleAtoi(row[row.size() - 2], &bytes);
        (void)absl::SimpleAtoi(row[row.size() - 1], &ttl);
        f.bytes += bytes;
        ++f.keys;
        f.ttl_ms = std::max(f.ttl_ms, ttl);
      }
    } while (cursor != "0");
    return shape;
  }
  int64_t Integer(const std::vector<absl::string_view>& command) {
    auto r = pool_->Command(command);
    return r.ok() ? r->view().integer() : -1;
  }
  // Until analytics has applied everything and the owners have trimmed
  // what every reader has (bounded).
  void Settle() {
    WaitCaughtUp();
    gnlc::testing::PollUntil(
        [&] {
          return Integer({"XLEN", "enr:{0}:events"}) <= 10;
        },
        absl::Seconds(30));
  }

  std::string CreateProgram(bool skills, int n) {
    cpb::Program p = catalog::testing::NewProgram(
        absl::StrCat("终身学习 ", n), absl::StrCat("Lifelong learning ", n),
        skills ? tpb::PROGRAM_KIND_SKILL_TRAINING : tpb::PROGRAM_KIND_WORKSHOP);
    return catalog::testing::MustCreateProgram(catalog(), p).name();
  }
  // Opens now (simulated), starts in 10 days, ends 5 days later.
  std::string CreateOfferingOf(const std::string& program, int seats, const std::string& district) {
    const absl::Time t = now();
    cpb::Offering o =
        catalog::testing::NewOffering(t, absl::Hours(24 * 10), 32.05, 118.78, district, seats);
    *o.mutable_enrollment_open_time() = At(t - absl::Hours(1));
    *o.mutable_enrollment_close_time() = At(t + absl::Hours(24 * 10));
    *o.mutable_end_time() = At(t + absl::Hours(24 * 15));
    return catalog::testing::MustCreateOffering(catalog(), program, o).name();
  }
  absl::StatusOr<std::string> CreateResident(int n) {
    static const char* kDistricts[] = {"gulou", "xuanwu", "qinhuai", "jianye", "jiangning"};
    epb::CreateLearnerRequest req;
    req.set_parent("cities/nanjing");
    req.mutable_learner()->set_district(kDistricts[n % 5]);
    req.mutable_learner()->set_age_band(n % 3 == 0 ? tpb::AGE_BAND_SENIOR : tpb::AGE_BAND_ADULT);
    req.mutable_learner()->mutable_consents()->set_city_statistics(true);
    req.mutable_learner()->set_backend(kBackend);
    req.mutable_learner()->set_external_subject(absl::StrCat("resident-", n));
    epb::CreateLearnerResponse resp;
    const grpc::Status s = stub().CreateLearner(catalog::testing::Ctx().get(), req, &resp);
    if (!s.ok())
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return resp.learner().name();
  }
  absl::Status Erase(const std::string& learner) {
    epb::EraseLearnerRequest req;
    req.set_name(learner);
    epb::EraseLearnerResponse resp;
    const grpc::Status s = stub().EraseLearner(catalog::testing::Ctx().get(), req, &resp);
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }

  // The history before the first simulated year, through gnlcctl's importer.
  void ImportHistory(int enrollments) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / absl::StrCat("gnlc-five-year-", getpid());
    const std::string generate = absl::StrCat(
        GNLC_DEMO_HISTORY_BINARY " --config=" GNLC_SOURCE_DIR "/deploy/cities/nanjing.json --out=",
        dir.string(), " --enrollments=", enrollments, " --learners=", enrollments / 4,
        " --id_prefix=F >/dev/null");
    ASSERT_EQ(std::system(generate.c_str()), 0) << generate;
    // The test city knows five of Nanjing's districts: the others' rows go
    // to those five.
    const std::string districts = absl::StrCat(
        "sed -i -E 's/,(pukou|qixia)(,|$)/,gulou\\2/g; s/,(yuhuatai|liuhe)(,|$)/,jianye\\2/g; "
        "s/,(lishui|gaochun)(,|$)/,jiangning\\2/g' ",
        dir.string(), "/*.csv");
    ASSERT_EQ(std::system(districts.c_str()), 0) << districts;
    ctl::HistoryImportOptions o;
    o.dir = dir.string();
    o.city = "nanjing";
    o.tz = absl::UTCTimeZone();
    const absl::Time t0 = absl::Now();
    const ctl::HistoryImportReport r =
        ctl::ImportHistory(catalog_->channel, enrollment_->channel, o);
    std::filesystem::remove_all(dir);
    ASSERT_EQ(r.exit_code, 0);
    std::printf("history import: %d enrollments (%d learners) in %.1f s\n", enrollments,
                enrollments / 4, absl::ToDoubleSeconds(absl::Now() - t0));
  }
};

TEST_F(FiveYearBench, FiveSimulatedYears) {
  const double scale = Scale();
  const int learners_per_week = static_cast<int>(kFullLearnersPerYear * scale / kWeeksPerYear);
  const int enrollments_per_week =
      static_cast<int>(kFullEnrollmentsPerYear * scale / kWeeksPerYear);
  const int offerings_per_week =
      std::max(1, static_cast<int>(kFullOfferingsPerYear * scale / kWeeksPerYear));
  // Seats for nine in ten: the rest wait, and some move up.
  const int seats = std::max(1, enrollments_per_week * 9 / 10 / offerings_per_week);
  std::printf("scale %g: a week is %d learners, %d enrollments, %d offerings of %d seats\n", scale,
              learners_per_week, enrollments_per_week, offerings_per_week, seats);
  // GNLC_BENCH_REDIS_CONFIG="name value ...": Redis settings to try.
  if (const char* config = std::getenv("GNLC_BENCH_REDIS_CONFIG")) {
    const std::vector<std::string> words = absl::StrSplit(config, ' ', absl::SkipEmpty());
    for (size_t i = 0; i + 1 < words.size(); i += 2) {
      ASSERT_TRUE(pool_->Command({"CONFIG", "SET", words[i], words[i + 1]}).ok()) << words[i];
    }
  }
  StartAnalytics();
  const RedisShape empty = Shape();
  ImportHistory(static_cast<int>(kFullEnrollmentsPerYear * scale));
  Settle();
  const int64_t imported = Integer({"HLEN", "enr:{0}:meta"});
  const RedisShape after_import = Shape();
  std::printf("after the import: used_memory %.1f MiB, %lld enrollments\n\n",
              after_import.used_memory / 1048576.0, static_cast<long long>(imported));

  std::mt19937_64 rng(20261206);
  Failures failures;
  std::vector<std::string> residents;
  std::deque<Week> weeks;  // the last four
  int programs = 0, registered = 0;
  int64_t requests = 0;
  std::string program, skills_program;
  // Per year: online learners and enrollments, Redis used_memory, entries
  // left in the enrollment stream and the backend's notification stream,
  // the per-day state (streams, and keys with a TTL at their window's
  // share), what the keys with a TTL hold here, and the bytes per
  // enrollment of everything else.
  std::printf("%4s %9s %11s %9s %10s %8s %10s %9s %9s\n", "year", "learners", "enrollments",
              "used MiB", "enr stream", "ntf", "per-day MiB", "TTL MiB", "B/enr");
  const absl::Time start = absl::Now() + absl::Hours(24);
  for (int week = 0; week < kYears * kWeeksPerYear; ++week) {
    SetClock(start + absl::Hours(24 * 7) * week);
    // New programs each quarter; this week's offerings.
    if (week % 13 == 0) {
      program = CreateProgram(false, ++programs);
      skills_program = CreateProgram(true, ++programs);
    }
    Week w;
    for (int i = 0; i < offerings_per_week; ++i) {
      const bool skills = i % 4 == 0;
      w.offerings.push_back({CreateOfferingOf(skills ? skills_program : program, seats,
                                              i % 2 ? "gulou" : "jiangning"),
                             skills});
    }
    // Residents register; the year's residents enroll (idempotently).
    std::vector<absl::StatusOr<std::string>> fresh(learners_per_week);
    Parallel(learners_per_week, [&](int i) { fresh[i] = CreateResident(registered + i); });
    registered += learners_per_week;
    for (auto& r : fresh) {
      failures.Add(r.status());
      if (r.ok()) residents.push_back(*r);
    }
    const size_t window = static_cast<size_t>(learners_per_week) * kWeeksPerYear;
    const size_t from = residents.size() > window ? residents.size() - window : 0;
    std::vector<std::pair<std::string, int>> picks(enrollments_per_week);
    for (auto& [learner, offering] : picks) {
      learner = residents[from + rng() % (residents.size() - from)];
      offering = static_cast<int>(rng() % w.offerings.size());
    }
    w.enrollments.resize(picks.size());
    Parallel(static_cast<int>(picks.size()), [&](int i) {
      auto e = Enroll(picks[i].first, w.offerings[picks[i].second].name,
                      absl::StrCat("req-", week, "-", i));
      // A resident enrolled twice in one offering is refused: not a failure.
      if (!e.ok() && e.status().code() != absl::StatusCode::kAlreadyExists)
        failures.Add(e.status());
      w.enrollments[i] = {e.ok() ? e->name() : "", picks[i].second};
    });
    requests += static_cast<int64_t>(picks.size());
    weeks.push_back(std::move(w));
    // Last week's offerings start in three days: a twentieth cancel.
    if (weeks.size() >= 2) {
      Week& last = weeks[weeks.size() - 2];
      Parallel(static_cast<int>(last.enrollments.size()), [&](int i) {
        if (i % 20 != 7 || last.enrollments[i].first.empty()) return;
        failures.Add(Cancel(last.enrollments[i].first).status(), {absl::StatusCode::kNotFound});
        last.enrollments[i].first.clear();
      });
    }
    // Three weeks ago's offerings have ended: completions, ratings, jobs.
    if (weeks.size() == 4) {
      const Week& ended = weeks.front();
      Parallel(static_cast<int>(ended.enrollments.size()), [&](int i) {
        const auto& [name, offering] = ended.enrollments[i];
        if (name.empty()) return;
        auto done = Complete(name);
        // Still on the waitlist when it started, or its resident erased.
        failures.Add(done.status(),
                     {absl::StatusCode::kFailedPrecondition, absl::StatusCode::kNotFound});
        if (!done.ok()) return;
        if (i % 2 == 0) failures.Add(Rate(name, 3 + i % 3).status());
        if (ended.offerings[offering].skills && i % 3 != 2) {
          failures.Add(RecordEmployment(name, i % 3 == 0, now() - absl::Hours(24)).status());
        }
      });
      weeks.pop_front();
    }
    // A year's 1% of residents ask to be erased, spread over its weeks.
    const int erasures = std::max(1, learners_per_week / 100);
    for (int i = 0; i < erasures && !residents.empty(); ++i) {
      const size_t at = rng() % residents.size();
      failures.Add(Erase(residents[at]));
      residents[at] = residents.back();
      residents.pop_back();
    }

    if ((week + 1) % kWeeksPerYear != 0) continue;
    Settle();
    const RedisShape s = Shape();
    const int64_t enrollments = Integer({"HLEN", "enr:{0}:meta"});
    const double per_day = s.PerDayState((week + 1) * 7.0);
    const double records = static_cast<double>(s.used_memory - empty.used_memory - s.TtlBytes()) -
                           s.PerDayState(1e12);  // without the streams  // less the streams
    std::printf(
        "%4d %9lld %11lld %9.1f %10lld %8lld %10.2f %9.1f %9.0f\n", (week + 1) / kWeeksPerYear,
        static_cast<long long>(Integer({"HLEN", "enr:{0}:learners"})),
        static_cast<long long>(enrollments), s.used_memory / 1048576.0,
        static_cast<long long>(Integer({"XLEN", "enr:{0}:events"})),
        static_cast<long long>(Integer({"XLEN", absl::StrCat("enr:{0}:ntf:", kBackend)})),
        per_day / 1048576.0, s.TtlBytes() / 1048576.0, records / std::max<int64_t>(1, enrollments));
    std::fflush(stdout);
  }
  EXPECT_EQ(failures.unexpected(), 0);
  std::printf(
      "(%lld calls refused as the simulation expects: enrolled twice, completing a "
      "waitlisted enrollment, an erased resident's)\n",
      static_cast<long long>(failures.expected()));

  const RedisShape end = Shape();
  std::printf(
      "\nRedis by key family after five years (MiB, keys, longest TTL left), largest "
      "first:\n");
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& [name, f] : end.families) order.push_back({f.bytes, name});
  std::sort(order.rbegin(), order.rend());
  for (size_t i = 0; i < order.size() && i < 18; ++i) {
    const Family& f = end.families.at(order[i].second);
    std::printf("  %-34s %9.1f %9lld %s\n", order[i].second.c_str(), f.bytes / 1048576.0,
                static_cast<long long>(f.keys),
                f.ttl_ms > 0 ? absl::StrCat(f.ttl_ms / 3600000, " h").c_str() : "");
  }
  // The AOF after a rewrite: what a restart loads and a volume must hold.
  ASSERT_TRUE(pool_->Command({"BGREWRITEAOF"}).ok());
  gnlc::testing::PollUntil(
      [&] {
        auto info = pool_->Command({"INFO", "persistence"});
        return info.ok() && absl::StrContains(info->view().str(), "aof_rewrite_in_progress:0") &&
               absl::StrContains(info->view().str(), "aof_rewrite_scheduled:0");
      },
      absl::Seconds(120));
  int64_t aof = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(redis_->dir())) {
    if (f.is_regular_file() && absl::StrContains(f.path().string(), "appendonly"))
      aof += f.file_size();
  }
  // Full scale: the records grow with the volume, and so does the per-day
  // state (a day's traffic); the keys with a TTL count at their window's
  // share. The AOF likewise (it holds the same keys).
  const double days = kYears * kWeeksPerYear * 7.0;
  const double online = static_cast<double>(end.used_memory - empty.used_memory);
  const double steady = online - end.TtlBytes() + end.PerDayState(days) - end.PerDayState(1e12);
  const int64_t enrollments = Integer({"HLEN", "enr:{0}:meta"});
  std::printf(
      "\nafter five years: used_memory %.1f MiB, %.1f MiB of it keys with a TTL (%.2f MiB at "
      "their windows' share); AOF after rewrite %.1f MiB\n",
      end.used_memory / 1048576.0, end.TtlBytes() / 1048576.0,
      (end.PerDayState(days) - end.PerDayState(1e12)) / 1048576.0, aof / 1048576.0);
  std::printf(
      "%lld enrollments online (%lld imported), %lld request ids sent: %.0f bytes of Redis "
      "per enrollment, with its share of learners, offerings and the per-day state\n",
      static_cast<long long>(enrollments), static_cast<long long>(imported),
      static_cast<long long>(requests), steady / std::max<int64_t>(1, enrollments));
  std::printf("projected full scale after five years: %.1f GB of Redis, AOF %.1f GB\n",
              steady / scale / 1e9, aof * (steady / online) / scale / 1e9);

  // A city that keeps two years online archives the rest (gnlcctl archive):
  // learners whose every record ended before the fourth year began.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("gnlc-five-year-archive-", getpid());
  std::filesystem::create_directories(dir);
  ctl::HistoryArchiveOptions archive;
  archive.dir = dir.string();
  archive.city = "nanjing";
  archive.before = start + absl::Hours(24 * 7) * (3 * kWeeksPerYear);
  const absl::Time a0 = absl::Now();
  const ctl::HistoryArchiveReport archived = ctl::ArchiveHistory(enrollment_->channel, archive);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(archived.exit_code, 0);
  Settle();
  const RedisShape kept = Shape();
  const double kept_steady = static_cast<double>(kept.used_memory - empty.used_memory) -
                             kept.TtlBytes() + kept.PerDayState(days) - kept.PerDayState(1e12);
  const int64_t kept_enrollments = Integer({"HLEN", "enr:{0}:meta"});
  std::printf(
      "archived the first three years (%lld learners, %lld enrollments) in %.1f s: %lld "
      "enrollments online, %.0f bytes of Redis per enrollment online\n",
      static_cast<long long>(archived.learners), static_cast<long long>(archived.enrollments),
      absl::ToDoubleSeconds(absl::Now() - a0), static_cast<long long>(kept_enrollments),
      kept_steady / std::max<int64_t>(1, kept_enrollments));
  std::printf("projected full scale with the last two years online: %.1f GB of Redis\n",
              kept_steady / scale / 1e9);
}

}  // namespace
}  // namespace gnlc::analytics::testing

int main(int argc, char** argv) {
  // The streams' owners keep what every reader has one second (not an
  // hour), so each year's figure is the steady state.
  setenv("GNLC_STREAM_MIN_AGE_MS", "1000", 0);
  setenv("GNLC_STREAM_TRIM_EVERY_MS", "500", 0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
