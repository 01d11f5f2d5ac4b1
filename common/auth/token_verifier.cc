#include "common/auth/token_verifier.h"

#include <openssl/sha.h>

#include <cmath>

#include "absl/hash/hash.h"
#include "absl/strings/str_split.h"
#include "common/auth/base64url.h"
#include "common/status/errors.h"

namespace gnlc::auth {
namespace {

using Json = nlohmann::json;

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, message);
}

absl::Status Malformed() {
  return Unauthenticated("TOKEN_MALFORMED",
                         "the bearer token is not a compact JWS (header.payload.signature)");
}

// A JSON object from one base64url segment, or a discarded value.
Json Segment(absl::string_view text) {
  auto raw = Base64UrlDecode(text);
  if (!raw) return Json(Json::value_t::discarded);
  return Json::parse(*raw, nullptr, false);
}

// A NumericDate claim (seconds since the epoch), if present and numeric.
std::optional<absl::Time> TimeClaim(const Json& claims, const char* name, bool& malformed) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    malformed = true;
    return std::nullopt;
  }
  const double v = it->get<double>();
  if (v < 0 || v > 1e11) {  // beyond year 5000: not a date anyone issues
    malformed = true;
    return std::nullopt;
  }
  return absl::FromUnixMillis(static_cast<int64_t>(v * 1000));
}

bool AudienceMatches(const Json& aud, const std::string& want) {
  if (aud.is_string()) return aud.get<std::string>() == want;
  if (!aud.is_array() || aud.size() > 32) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get<std::string>() == want) return true;
  }
  return false;
}

}  // namespace

TokenVerifier::TokenVerifier(std::string audience, const std::vector<Issuer>& issuers,
                             absl::Duration jwks_check_every, absl::Duration max_skew,
                             bool remember)
    : audience_(std::move(audience)), max_skew_(max_skew), remember_(remember) {
  for (const auto& i : issuers) {
    issuers_.push_back(
        {i.issuer, std::make_unique<JwksFile>(i.jwks_file, jwks_check_every), i.max_lifetime});
  }
}

std::vector<std::shared_ptr<const KeySet>> TokenVerifier::CurrentKeys() const {
  std::vector<std::shared_ptr<const KeySet>> keys;
  keys.reserve(issuers_.size());
  for (const IssuerKeys& i : issuers_) keys.push_back(i.jwks->Keys());
  return keys;
}

std::optional<absl::StatusOr<std::shared_ptr<const Json>>> TokenVerifier::Remembered(
    absl::string_view token, absl::string_view digest, absl::Time now) const {
  if (!remember_) return std::nullopt;
  Shard& shard = shards_[absl::HashOf(token) % kShards];
  std::optional<Verified> known;
  std::optional<Failed> failed;
  {
    absl::MutexLock lock(&shard.mu);
    if (auto it = shard.tokens.find(token); it != shard.tokens.end()) {
      known = it->second;
    } else if (auto f = shard.failed.find(digest); f != shard.failed.end()) {
      failed = f->second;
    }
  }
  // Remembered only while the issuer's keys are the same object: a rotated
  // JWKS (a key removed) verifies every token again.
  if (known && now < known->remembered_until && known->jwks->Keys() == known->keys) {
    return CheckClaims(*known, now);
  }
  if (failed && now < failed->remembered_until && CurrentKeys() == failed->keys) {
    return absl::StatusOr<std::shared_ptr<const Json>>(failed->status);
  }
  return std::nullopt;
}

namespace {
std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}
}  // namespace

bool TokenVerifier::Remembers(absl::string_view token, absl::Time now) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return true;  // refused on sight
  return Remembered(token, Sha256(token), now).has_value();
}

absl::StatusOr<std::shared_ptr<const Json>> TokenVerifier::Verify(absl::string_view token,
                                                                  absl::Time now) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return Malformed();
  const std::string digest = Sha256(token);
  if (auto verdict = Remembered(token, digest, now)) return *std::move(verdict);
  // The keys the verdict is reached with, taken first: a key set that
  // changes meanwhile makes a remembered failure stale, never wrongly fresh.
  std::vector<std::shared_ptr<const KeySet>> keys;
  if (remember_) keys = CurrentKeys();
  signature_checks_.fetch_add(1, std::memory_order_relaxed);
  auto verified = VerifySignature(token, now);
  if (!remember_) return verified.ok() ? CheckClaims(*verified, now) : verified.status();
  Shard& shard = shards_[absl::HashOf(token) % kShards];
  if (!verified.ok()) {
    absl::MutexLock lock(&shard.mu);
    if (shard.failed.size() >= kMaxPerShard) shard.failed.clear();
    shard.failed.insert_or_assign(
        digest, Failed{verified.status(), std::move(keys), now + absl::Minutes(1)});
    return verified.status();
  }
  {
    absl::MutexLock lock(&shard.mu);
    if (shard.tokens.size() >= kMaxPerShard) shard.tokens.clear();
    shard.tokens.insert_or_assign(std::string(token), *verified);
  }
  return CheckClaims(*verified, now);
}

absl::StatusOr<TokenVerifier::Verified> TokenVerifier::VerifySignature(absl::string_view token,
                                                                       absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) return Malformed();
  const Json header = Segment(parts[0]);
  Json claims = Segment(parts[1]);
  if (!header.is_object() || !claims.is_object()) return Malformed();

  // The algorithm is only ever one the key's type allows (checked again in
  // Verify): "none", HS256 with a public key as secret and friends fail here.
  auto alg_it = header.find("alg");
  std::optional<JwsAlg> alg;
  if (alg_it != header.end() && alg_it->is_string()) alg = ParseJwsAlg(alg_it->get<std::string>());
  if (!alg) return Unauthenticated("TOKEN_INVALID", "the token must be signed with RS256 or ES256");
  if (header.contains("crit")) {
    return Unauthenticated("TOKEN_INVALID", "the token has critical header parameters");
  }
  auto signature = Base64UrlDecode(parts[2]);
  if (!signature || signature->empty()) return Malformed();
  auto kid_it = header.find("kid");
  if (kid_it == header.end() || !kid_it->is_string()) {
    return Unauthenticated("TOKEN_UNKNOWN_KEY", "the token's header names no key (kid)");
  }

  auto iss_it = claims.find("iss");
  const JwksFile* jwks = nullptr;
  absl::Duration max_lifetime;
  if (iss_it != claims.end() && iss_it->is_string()) {
    for (const IssuerKeys& i : issuers_) {
      if (i.issuer == iss_it->get<std::string>()) {
        jwks = i.jwks.get();
        max_lifetime = i.max_lifetime;
      }
    }
  }
  if (jwks == nullptr) {
    return Unauthenticated("TOKEN_WRONG_ISSUER", "the token's issuer is not trusted by this city");
  }
  auto keys = jwks->Keys();
  const PublicJwk* key = keys->Find(kid_it->get<std::string>());
  if (key == nullptr) {
    return Unauthenticated("TOKEN_UNKNOWN_KEY", "the token's key (kid) is not one of its issuer's");
  }
  if (key->alg != *alg) {
    return Unauthenticated("TOKEN_INVALID", "the token's algorithm does not fit its key");
  }
  const absl::string_view signing_input(parts[0].data(), parts[0].size() + 1 + parts[1].size());
  if (!auth::Verify(*alg, key->pkey.get(), signing_input, *signature)) {
    return Unauthenticated("TOKEN_INVALID", "the token's signature does not verify");
  }
  bool malformed = false;
  Verified v;
  v.exp = TimeClaim(claims, "exp", malformed);
  v.nbf = TimeClaim(claims, "nbf", malformed);
  v.iat = TimeClaim(claims, "iat", malformed);
  if (malformed) return Unauthenticated("TOKEN_INVALID", "exp, nbf or iat is not a NumericDate");
  if (!v.exp) return Unauthenticated("TOKEN_INVALID", "the token has no expiry (exp)");
  v.claims = std::make_shared<const Json>(std::move(claims));
  v.jwks = jwks;
  v.max_lifetime = max_lifetime;
  v.keys = std::move(keys);
  v.remembered_until = now + absl::Minutes(5);
  return v;
}

absl::StatusOr<std::shared_ptr<const Json>> TokenVerifier::CheckClaims(const Verified& v,
                                                                       absl::Time now) const {
  if (now >= *v.exp + max_skew_) return Unauthenticated("TOKEN_EXPIRED", "the token has expired");
  // A long-lived token is a stolen token's long life: each issuer has a cap.
  const absl::Time issued = v.iat ? *v.iat : (v.nbf ? *v.nbf : now);
  if (*v.exp - issued > v.max_lifetime + max_skew_) {
    return Unauthenticated("TOKEN_LIFETIME_TOO_LONG",
                           "the token lives longer than its issuer's max_token_lifetime_seconds");
  }
  if (v.nbf && now + max_skew_ < *v.nbf) {
    return Unauthenticated("TOKEN_NOT_YET_VALID", "the token is not valid yet (nbf)");
  }
  auto aud = v.claims->find("aud");
  if (aud == v.claims->end() || !AudienceMatches(*aud, audience_)) {
    return Unauthenticated("TOKEN_WRONG_AUDIENCE", "the token is not meant for this city (aud)");
  }
  return v.claims;
}

}  // namespace gnlc::auth
