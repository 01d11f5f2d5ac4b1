// What one rate-limit check costs a call: RateLimiter::Admit for one busy
// caller, and spread over many callers (a hash lookup in a sharded map), on
// one and on two threads.
//
//   build/tests/gnlc-rate-limiter-bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/rate_limiter.h"

namespace {

gnlc::RateLimits Generous() {
  gnlc::RateLimits limits;
  for (auto& l : limits) l = {1e9, 1e9};  // never refuses: the check's own cost
  return limits;
}

void BM_Admit(benchmark::State& state) {
  static gnlc::RateLimiter limiter(Generous());
  std::vector<std::string> callers;
  for (int i = 0; i < state.range(0); ++i) {
    callers.push_back(absl::StrCat("resident:app-user-", i, "-", state.thread_index()));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto wait = limiter.Admit(gnlc::RateClass::kRead, callers[i++ % callers.size()], absl::Now());
    benchmark::DoNotOptimize(wait);
  }
}
BENCHMARK(BM_Admit)->Arg(1)->Arg(10000)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
