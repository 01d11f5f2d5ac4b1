// gnlc-failover-bench: what acknowledged-means-replicated costs, and what a
// failover costs, on one city with a primary, a replica and a Sentinel
// (down after 1.5 s, failover timeout 3 s), the services in-process with TLS
// and tokens, everything through the gRPC API.
//
//   build/tests/gnlc-failover-bench                 # 5 s per rate run
//   GNLC_BENCH_SECONDS=10 GNLC_BENCH_KILLS=10 build/tests/gnlc-failover-bench
//
// 1. CreateEnrollment at 64 in flight into 200 offerings, from enrollment
//    servers side by side on the same Redis: one acknowledging once the
//    replica has the write (WAIT, the default with Sentinel), one as soon
//    as the primary has it; runs alternate A B A B, each with its own
//    learners, so neither is favoured by the order.
// 2. Ten kills (SIGKILL) of the primary while 64 residents register and
//    enroll into one hot offering: the time from the kill to the Sentinel
//    naming the new primary, and to the first enrollment acknowledged that
//    was asked for after the kill (the dead server is started again as the
//    replica at once, as an orchestrator does: with one replica, writes are
//    acknowledged again once it is back); then every acknowledged enrollment
//    is looked up: lost ones are counted.
//
// Not registered with CTest (a benchmark, not a test); stops by itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/failover_harness.h"

namespace gnlc::analytics::testing {
namespace {

using gnlc::testing::PollUntil;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int n = fallback;
  if (v != nullptr && (!absl::SimpleAtoi(v, &n) || n <= 0)) {
    std::fprintf(stderr, "%s must be a positive integer\n", name);
    std::exit(2);
  }
  return n;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct RateRun {
  double qps = 0, p50_ms = 0, p99_ms = 0;
};

template <int kReplicas>
class FailoverBench : public FailoverTest {
 protected:
  int ReplicaCount() const override { return kReplicas; }

  // Learners created through the API, `n` of them, 8 clients at a time.
  std::vector<std::string> Learners(int n) {
    std::vector<std::string> out(n);
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < n; i = next++) out[i] = CreateLearner();
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  // Enrolls `learners` into `offerings` at 64 in flight for `seconds`
  // after a one-second warm-up; the acknowledgements within the window.
  static RateRun Run(epb::EnrollmentService::Stub& stub, const std::vector<std::string>& offerings,
                     std::vector<std::string> learners, int seconds) {
    EnrollmentLoad load(stub, offerings, 64, std::move(learners));
    const absl::Time from = absl::Now() + absl::Seconds(1);
    const absl::Time to = from + absl::Seconds(seconds);
    absl::SleepFor(to - absl::Now());  // a bounded run: the load stops itself below
    load.Stop();
    std::vector<double> ms;
    for (const auto& a : load.acknowledged()) {
      if (a.started >= from && a.answered <= to) {
        ms.push_back(absl::ToDoubleMilliseconds(a.answered - a.started));
      }
    }
    if (!load.unexpected().empty()) {
      std::fprintf(stderr, "  unexpected failure: %s\n",
                   load.unexpected().front().ToString().c_str());
    }
    return {static_cast<double>(ms.size()) / seconds, Percentile(ms, 0.5), Percentile(ms, 0.99)};
  }

  // CreateEnrollment side by side, with and without replicated acks.
  void RateSideBySide() {
    const int seconds = EnvInt("GNLC_BENCH_SECONDS", 5);

    // 1. Side by side.
    auto unreplicated = enrollment::testing::EnrollmentServer::Start(
        ServiceRedisAddress(), absl::StrCat("127.0.0.1:", catalog_->server->port()),
        [] { return absl::Now(); }, [](ServerOptions& o) { o.redis.replicas_to_ack = 0; });
    std::vector<std::string> offerings;
    for (int i = 0; i < 200; ++i) {
      OfferingSpec spec;
      spec.unlimited = true;
      offerings.push_back(CreateOffering(spec));
    }
    const int per_run = 64 * 800;  // more than a run can enroll
    std::printf("== CreateEnrollment, 64 in flight, %d s per run (after 1 s warm-up)\n", seconds);
    std::printf("   %-34s %9s %8s %8s\n", "", "QPS", "p50 ms", "p99 ms");
    std::vector<double> with, without;
    for (int round = 0; round < 2; ++round) {
      for (const bool replicated : {true, false}) {
        const RateRun r =
            Run(replicated ? stub() : *unreplicated->stub, offerings, Learners(per_run), seconds);
        (replicated ? with : without).push_back(r.qps);
        std::printf(
            "   %-34s %9.0f %8.1f %8.1f\n",
            replicated ? "acknowledged once replicated (WAIT)" : "acknowledged by the primary",
            r.qps, r.p50_ms, r.p99_ms);
      }
    }
    const double ratio = (with[0] + with[1]) / std::max(1.0, without[0] + without[1]);
    std::printf("   replicated / unreplicated: %.2f\n", ratio);
    unreplicated.reset();
  }

  // Kills of the primary under load; with one replica the dead server is
  // started again at once (writes wait for it), with two after the first
  // acknowledged write.
  void Kills() {
    const int kills = EnvInt("GNLC_BENCH_KILLS", 10);
    std::printf(
        "== %d kills of the primary (%d replica%s), 64 residents registering and enrolling\n",
        kills, ReplicaCount(), ReplicaCount() > 1 ? "s" : "");
    const std::string hot = CreateOffering(100);
    EnrollmentLoad load(stub(), {hot}, 64);
    std::vector<double> promoted_s, first_write_s;
    absl::Time last_failover = absl::InfinitePast();
    for (int k = 0; k < kills; ++k) {
      const int64_t before = load.acks();
      // Load flowing, and the Sentinel ready to fail over again (it waits
      // twice the failover timeout between two failovers of one primary).
      ASSERT_TRUE(PollUntil(
          [&] {
            return load.acks() >= before + 200 && absl::Now() - last_failover > absl::Seconds(7);
          },
          absl::Seconds(60)));
      const absl::Time killed = KillPrimary();
      const absl::Time promoted = absl::Now();
      last_failover = killed;
      if (ReplicaCount() == 1) RestoreReplica();
      ASSERT_TRUE(
          PollUntil([&] { return load.FirstSuccessStartedAfter(killed) != absl::InfiniteFuture(); },
                    absl::Seconds(60)));
      const absl::Time first = load.FirstSuccessStartedAfter(killed);
      if (ReplicaCount() > 1) RestoreReplica();
      promoted_s.push_back(absl::ToDoubleSeconds(promoted - killed));
      first_write_s.push_back(absl::ToDoubleSeconds(first - killed));
      std::printf(
          "   kill %2d: new primary named after %.2f s, first write acknowledged after %.2f s\n",
          k + 1, promoted_s.back(), first_write_s.back());
    }
    load.Stop();
    int64_t lost = 0, doubled = 0;
    std::set<std::string> learners;
    for (const auto& a : load.acknowledged()) {
      if (!Get(a.enrollment).ok()) ++lost;
      if (!learners.insert(a.learner).second) ++doubled;
    }
    std::printf("   new primary named: p50 %.2f s, max %.2f s\n", Percentile(promoted_s, 0.5),
                *std::max_element(promoted_s.begin(), promoted_s.end()));
    std::printf("   first write acknowledged: p50 %.2f s, max %.2f s\n",
                Percentile(first_write_s, 0.5),
                *std::max_element(first_write_s.begin(), first_write_s.end()));
    std::printf(
        "   %zu enrollments acknowledged, %lld calls answered UNAVAILABLE meanwhile, %zu other "
        "failures; acknowledged and lost: %lld; residents enrolled twice: %lld\n",
        load.acknowledged().size(), static_cast<long long>(load.unavailable()),
        load.unexpected().size(), static_cast<long long>(lost), static_cast<long long>(doubled));
    auto seats = Seats(hot);
    ASSERT_TRUE(seats.ok());
    std::printf("   hot offering: %d of 100 seats taken, %d waiting\n", seats->taken(),
                seats->waitlist_length());
  }
};

using OneReplica = FailoverBench<1>;
TEST_F(OneReplica, ReplicatedAcknowledgementAndTenKills) {
  RateSideBySide();
  Kills();
}

using TwoReplicas = FailoverBench<2>;
TEST_F(TwoReplicas, TenKills) { Kills(); }

}  // namespace
}  // namespace gnlc::analytics::testing
