// Verifies a JWT bearer token on every call: its shape and size first, then
// the issuer's key by `kid`, the signature (RS256 or ES256 only, pinned to
// the key's type), then `exp` (required), `nbf`, `iss` and `aud`, with at
// most 60 s of clock skew. This is what Envoy's jwt_authn and gRPC's own
// verifier check; libcpp-jwt 1.4 misses several of these, so we check them
// ourselves.
//
//   TokenVerifier verifier("gnlc:nanjing", {{"https://id.nanjing", "auth/jwks.json"}});
//   auto claims = verifier.Verify(token, absl::Now());   // shared_ptr<const json>
//
// Signature checks are the expensive part (gnlc-token-bench measures
// them), and a mobile backend sends one
// resident's token on many calls. So a signature that verified is
// remembered for that exact token string, process-wide (never per
// connection), while the issuer's key set is unchanged, for at most five
// minutes; every call still checks exp, nbf and aud against the clock.
// A token that failed is remembered too (by its SHA-256, for a minute, while
// every issuer's key set is unchanged), so a flood repeating one forged
// token costs a hash, not a signature check; a flood of ever new forged
// tokens is for the caller to limit per source (rpc_edge.h), which
// Remembers() lets it do without penalising tokens that verified.
//
// Failures are UNAUTHENTICATED with a reason (TOKEN_MALFORMED,
// TOKEN_INVALID, TOKEN_UNKNOWN_KEY, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID,
// TOKEN_WRONG_ISSUER, TOKEN_WRONG_AUDIENCE, TOKEN_LIFETIME_TOO_LONG) and a
// message that never echoes the token.
#ifndef GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_
#define GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_

#include <array>
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
    // The longest a token may live: exp minus iat (or nbf, or now).
    absl::Duration max_lifetime = absl::Hours(24);
  };
  // `remember`: keep verified signatures (above); off only to measure.
  TokenVerifier(std::string audience, const std::vector<Issuer>& issuers,
                absl::Duration jwks_check_every = absl::Seconds(1),
                absl::Duration max_skew = absl::Seconds(60), bool remember = true);

  // The token's claims when every check passes (shared: a remembered
  // token's claims are not copied per call).
  absl::StatusOr<std::shared_ptr<const nlohmann::json>> Verify(absl::string_view token,
                                                               absl::Time now) const;

  // Whether Verify would answer `token` without checking a signature: it
  // verified (or failed) recently with the issuers' current keys.
  bool Remembers(absl::string_view token, absl::Time now) const;

  // Signatures checked so far (for tests and benchmarks of the caches).
  int64_t signature_checks() const { return signature_checks_.load(std::memory_order_relaxed); }

 private:
  // A token whose signature verified with `keys` (the issuer's key set at
  // that moment) and its time claims.
  struct Verified {
    std::shared_ptr<const nlohmann::json> claims;
    const JwksFile* jwks = nullptr;
    std::shared_ptr<const KeySet> keys;
    std::optional<absl::Time> exp, nbf, iat;
    absl::Duration max_lifetime;
    absl::Time remembered_until;
  };
  // A token that failed, and the issuers' key sets it failed with (a key
  // added since may verify it).
  struct Failed {
    absl::Status status;
    std::vector<std::shared_ptr<const KeySet>> keys;
    absl::Time remembered_until;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Verified> tokens ABSL_GUARDED_BY(mu);
    // By the token's SHA-256: a forged token is not worth 8 KiB of memory.
    absl::flat_hash_map<std::string, Failed> failed ABSL_GUARDED_BY(mu);
  };
  static constexpr int kShards = 16;
  static constexpr size_t kMaxPerShard = 1024;

  // Every issuer's current key set, in the order of issuers_.
  std::vector<std::shared_ptr<const KeySet>> CurrentKeys() const;
  // The remembered verdict on `token`, if still good: its claims' check, or
  // why it failed. nullopt: its signature must be checked.
  std::optional<absl::StatusOr<std::shared_ptr<const nlohmann::json>>> Remembered(
      absl::string_view token, absl::string_view digest, absl::Time now) const;

  absl::StatusOr<Verified> VerifySignature(absl::string_view token, absl::Time now) const;
  absl::StatusOr<std::shared_ptr<const nlohmann::json>> CheckClaims(const Verified& v,
                                                                    absl::Time now) const;

  const std::string audience_;
  const absl::Duration max_skew_;
  const bool remember_;
  struct IssuerKeys {
    std::string issuer;
    std::unique_ptr<JwksFile> jwks;
    absl::Duration max_lifetime;
  };
  std::vector<IssuerKeys> issuers_;
  mutable std::array<Shard, kShards> shards_;
  mutable std::atomic<int64_t> signature_checks_{0};
};

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_TOKEN_VERIFIER_H_
