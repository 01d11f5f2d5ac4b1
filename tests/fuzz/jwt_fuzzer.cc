// Bearer tokens are the first thing a caller controls: any string through
// the verifier (shape, base64url, JSON, alg, kid, signature, claims), plus
// JWK parsing and base64url on their own. Oracle: nothing but the token we
// signed verifies with its claims; base64url round-trips.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/auth/base64url.h"
#include "common/auth/jws.h"
#include "common/auth/token_verifier.h"

namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

struct World {
  std::unique_ptr<gnlc::auth::TokenVerifier> verifier;
  std::string token;
  nlohmann::json claims;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    auto key = gnlc::auth::GenerateSigningKey(gnlc::auth::JwsAlg::kES256, "k1");
    if (!key.ok()) std::abort();
    const std::string dir = absl::StrCat("/tmp/gnlc-jwt-fuzz-", getpid());
    std::string mkdir = "mkdir -p " + dir;
    if (std::system(mkdir.c_str()) != 0) std::abort();
    std::ofstream(dir + "/jwks.json") << "{\"keys\": [" << *gnlc::auth::PublicJwkJson(*key) << "]}";
    w->verifier = std::make_unique<gnlc::auth::TokenVerifier>(
        "gnlc:fuzz",
        std::vector<gnlc::auth::TokenVerifier::Issuer>{{"https://fuzz.idp", dir + "/jwks.json"}});
    w->claims = {{"iss", "https://fuzz.idp"},
                 {"aud", "gnlc:fuzz"},
                 {"sub", "r1"},
                 {"role", "resident"},
                 {"exp", 1800000600}};
    const std::string input =
        absl::StrCat(gnlc::auth::Base64UrlEncode(R"({"alg":"ES256","kid":"k1","typ":"JWT"})"), ".",
                     gnlc::auth::Base64UrlEncode(w->claims.dump()));
    auto signature = gnlc::auth::Sign(*key, input);
    if (!signature.ok()) std::abort();
    w->token = absl::StrCat(input, ".", gnlc::auth::Base64UrlEncode(*signature));
    auto ok = w->verifier->Verify(w->token, kNow);
    if (!ok.ok()) std::abort();  // the fuzzer's own set-up must hold
    return w;
  }();
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto verified = w.verifier->Verify(input, kNow);
  if (verified.ok() && **verified != w.claims) std::abort();  // forged claims accepted
  (void)gnlc::auth::ParsePublicJwk(input);
  if (auto raw = gnlc::auth::Base64UrlDecode(input)) {
    auto again = gnlc::auth::Base64UrlDecode(gnlc::auth::Base64UrlEncode(*raw));
    if (!again || *again != *raw) std::abort();
  }
  return 0;
}
