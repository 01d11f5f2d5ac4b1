// Verifies a JWT bearer token on every call: its shape and size first, then
// the issuer's key by `kid`, the signature (RS256 or ES256 only, pinned to
// the key's type), then `exp` (required), `nbf`, `iss` and `aud`, with at
// most 60 s of clock skew. This is what Envoy's jwt_authn and gRPC's own
// verifier check; libcpp-jwt 1.4 misses several of these (SECURITY.md).
//
//   TokenVerifier verifier("gnlc:nanjing", {{"https://id.nanjing", "auth/jwks.json"}});
//   absl::StatusOr<nlohmann::json> claims = verifier.Verify(token, absl::Now());
//
// Failures are UNAUTHENTICATED with a reason (TOKEN_MALFORMED,
// TOKEN_INVALID, TOKEN_UNKNOWN_KEY, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID,
// TOKEN_WRONG_ISSUER, TOKEN_WRONG_AUDIENCE) and a message that never echoes
// the token.
#ifndef GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_
#define GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/jwks_file.h"

namespace gnlc::auth {

// Tokens longer than this are refused before any parsing.
inline constexpr size_t kMaxTokenBytes = 8192;

class TokenVerifier final {
 public:
  struct Issuer {
    std::string issuer;
    std::string jwks_file;
  };
  TokenVerifier(std::string audience, const std::vector<Issuer>& issuers,
                absl::Duration jwks_check_every = absl::Seconds(1),
                absl::Duration max_skew = absl::Seconds(60));

  // The token's claims when every check passes.
  absl::StatusOr<nlohmann::json> Verify(absl::string_view token, absl::Time now) const;

 private:
  const std::string audience_;
  const absl::Duration max_skew_;
  std::vector<std::pair<std::string, std::unique_ptr<JwksFile>>> issuers_;
};

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_
