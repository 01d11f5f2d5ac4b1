// Development and test credentials: certificates, a token issuer and its
// JWKS, made with OpenSSL on the spot. deploy/local/up.sh makes them with
// `gnlcctl dev-pki`; tests make theirs in a temporary folder. A real city
// uses its own CA and identity provider instead (docs/operations/security.md).
//
//   ASSIGN_OR_RETURN(auto ca, NewCertificateAuthority("gnlc dev network CA"));
//   ASSIGN_OR_RETURN(auto leaf, IssueCertificate(ca, {.common_name = "nanjing",
//       .uris = {"spiffe://gnlc.network/cities/nanjing"}, .ips = {"127.0.0.1"}}));
//
// Layout written by WriteDevPki(dir, {"nanjing", "suzhou"}) (each city's
// folder is that city's --secrets_dir; the config names these paths):
//   network-ca.{crt,key}                   signs every city's certificate
//   CITY/tls/ca.{crt,key}                  the city's CA for its own servers
//   CITY/tls/SERVICE.{crt,key}             each service's server certificate
//   CITY/federation/network-ca.crt         copy of the network CA
//   CITY/federation/city.{crt,key}         spiffe://gnlc.network/cities/CITY
//   CITY/auth/jwks.json                    the development issuer's keys
//   CITY/auth/dev-issuer.{key,json}        its signing key; issuer, audience, kid
//   CITY/auth/SERVICE.token                each service's token
// Files that exist are kept (a second run changes nothing but the tokens).
// Servers answer to localhost, 127.0.0.1, SERVICE and CITY-SERVICE (the
// names of deploy/compose); the city certificate also to CITY-catalog and
// CITY-analytics, its peer ports there.
#ifndef GNLC_COMMON_AUTH_DEV_PKI_H_
#define GNLC_COMMON_AUTH_DEV_PKI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/jws.h"

namespace gnlc::auth {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  std::vector<std::string> uris;
  // Validity relative to now; a negative not_after makes an expired one.
  absl::Duration not_before = -absl::Hours(1);
  absl::Duration not_after = absl::Hours(24 * 365);
};

absl::StatusOr<CertAndKey> NewCertificateAuthority(const std::string& common_name);
// A leaf (server and client use) signed by `ca`, with an EC P-256 key.
absl::StatusOr<CertAndKey> IssueCertificate(const CertAndKey& ca, const CertificateSpec& spec);

// What a development issuer signs with.
struct DevIssuer {
  std::string issuer;    // "https://dev-idp.gnlc.local/nanjing"
  std::string audience;  // "gnlc:nanjing"
  SigningKey key;
};

// A compact JWS of `claims_json` (an object) with header {alg, kid, typ}.
absl::StatusOr<std::string> MintJwt(const SigningKey& key, const std::string& claims_json);

struct TokenSpec {
  std::string role;  // resident, partner_admin, analyst, city_admin, service, mobile_backend
  std::string subject;
  std::string partner = "";  // partner_admin only
  absl::Duration ttl = absl::Hours(1);
  std::string azp = "";  // resident only: the mobile backend the token was issued to
};
absl::StatusOr<std::string> MintToken(const DevIssuer& issuer, const TokenSpec& spec,
                                      absl::Time now);

// The services whose certificates and tokens WriteDevPki makes.
const std::vector<std::string>& GnlcServices();

absl::Status WriteDevPki(const std::string& dir, const std::vector<std::string>& cities,
                         absl::Duration token_ttl = absl::Hours(24 * 30));
// Redis users of `city` (also part of WriteDevPki): a password per user in
// DIR/CITY/redis/USER.password (kept if present) and DIR/CITY/redis/users.acl
// for redis-server --aclfile (common/redis/redis_acl.h).
absl::Status WriteDevRedisUsers(const std::string& dir, const std::string& city);
// The same in DIR itself (gnlcctl redis-users, for a city's real Secrets).
absl::Status WriteRedisUsers(const std::string& dir);

// The development issuer of `city` written by WriteDevPki.
absl::StatusOr<DevIssuer> LoadDevIssuer(const std::string& dir, const std::string& city);

// Writes `contents` to `path` atomically (a temporary file renamed into
// place), creating folders; `private_file` makes it 0600.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 bool private_file = false);
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_DEV_PKI_H_
