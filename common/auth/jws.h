// The JWS primitives gnlc needs, on OpenSSL's EVP API: RS256 and ES256
// signatures (ES256 as raw r||s, 64 bytes, not DER), keys from and to JWK
// (RFC 7517), and PEM private keys for the development issuer.
//
//   ASSIGN_OR_RETURN(SigningKey key, GenerateSigningKey(JwsAlg::kES256));
//   std::string sig = *Sign(key, "header.payload");
//   bool ok = Verify(JwsAlg::kES256, key.pkey.get(), "header.payload", sig);
//
// An algorithm is pinned to a key type: RSA keys verify only RS256, P-256
// keys only ES256, so a token cannot choose how its key is used.
#ifndef GNLC_COMMON_AUTH_JWS_H_
#define GNLC_COMMON_AUTH_JWS_H_

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc::auth {

enum class JwsAlg { kRS256, kES256 };

// "RS256" / "ES256"; nullopt for anything else (none, HS256, PS256, ...).
std::optional<JwsAlg> ParseJwsAlg(absl::string_view name);
const char* JwsAlgName(JwsAlg alg);

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;

// A public key from one JWK object (JSON text). Only RSA (n, e; at least
// 2048 bits) and EC P-256 (x, y) keys; the algorithm follows from the type
// and must agree with the JWK's "alg" if it has one.
struct PublicJwk {
  std::string kid;
  JwsAlg alg;
  Pkey pkey;
};
absl::StatusOr<PublicJwk> ParsePublicJwk(absl::string_view json);

// True when `signature` over `signing_input` verifies with `pkey` for `alg`.
bool Verify(JwsAlg alg, EVP_PKEY* pkey, absl::string_view signing_input,
            absl::string_view signature);

// A private key of the development issuer and tests.
struct SigningKey {
  JwsAlg alg;
  std::string kid;
  Pkey pkey;
};
absl::StatusOr<SigningKey> GenerateSigningKey(JwsAlg alg, std::string kid);
absl::StatusOr<std::string> Sign(const SigningKey& key, absl::string_view signing_input);
// The public half as a JWK object (JSON text) with kid, alg and use.
absl::StatusOr<std::string> PublicJwkJson(const SigningKey& key);
// PEM (PKCS#8) of the private key, and back.
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* pkey);
absl::StatusOr<Pkey> PrivateKeyFromPem(absl::string_view pem);

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_JWS_H_
