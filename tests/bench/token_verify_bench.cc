// gnlc-token-bench: the CPU one token verification costs (ES256 and RS256),
// as the server pays it on every call, and the cost of minting for
// comparison. Google Benchmark; not run by CTest.
//
//   build/tests/gnlc-token-bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/dev_pki.h"
#include "common/auth/token_verifier.h"

namespace {

using gnlc::auth::JwsAlg;

struct Fixture {
  std::string dir;
  std::string token;
  std::optional<gnlc::auth::DevIssuer> issuer;
  std::unique_ptr<gnlc::auth::TokenVerifier> verifier;

  std::string Mint(const std::string& subject) {
    return *gnlc::auth::MintToken(
        *issuer, {.role = "resident", .subject = subject, .partner = "", .ttl = absl::Hours(1)},
        absl::Now());
  }

  explicit Fixture(JwsAlg alg, bool remember = true) {
    std::string tmpl = "/tmp/gnlc-token-bench-XXXXXX";
    dir = mkdtemp(tmpl.data());
    auto key = gnlc::auth::GenerateSigningKey(alg, "k1");
    const std::string jwks = absl::StrCat("{\"keys\": [", *gnlc::auth::PublicJwkJson(*key), "]}");
    (void)gnlc::auth::WriteFileAtomically(dir + "/jwks.json", jwks);
    issuer = gnlc::auth::DevIssuer{"https://id", "gnlc:nanjing", *key};
    token = Mint("r1");
    verifier = std::make_unique<gnlc::auth::TokenVerifier>(
        "gnlc:nanjing",
        std::vector<gnlc::auth::TokenVerifier::Issuer>{{"https://id", dir + "/jwks.json"}},
        absl::Seconds(1), absl::Seconds(60), remember);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

// `remember`: as the server runs (a token seen before costs a lookup); or
// the full check on every call (what the first call with a token costs).
void BM_Verify(benchmark::State& state, JwsAlg alg, bool remember) {
  Fixture f(alg, remember);
  for (auto _ : state) {
    auto claims = f.verifier->Verify(f.token, absl::Now());
    if (!claims.ok()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK_CAPTURE(BM_Verify, ES256_remembered, JwsAlg::kES256, true);
BENCHMARK_CAPTURE(BM_Verify, RS256_remembered, JwsAlg::kRS256, true);
BENCHMARK_CAPTURE(BM_Verify, ES256_full_check, JwsAlg::kES256, false);
BENCHMARK_CAPTURE(BM_Verify, RS256_full_check, JwsAlg::kRS256, false);

}  // namespace

BENCHMARK_MAIN();
