// Establishes who is calling, per call and never cached on the connection
// (gRPC's AuthContext properties belong to the connection, not the call):
//  - a peer city by its client certificate's SPIFFE id on the mutual-TLS
//    peer port, spiffe://gnlc.network/cities/{city}, which must be a
//    configured peer;
//  - otherwise a bearer token in the one `authorization` header, verified
//    by TokenVerifier, whose claims give the role, which must be one its
//    issuer may grant (auth.issuers[].roles); a resident's subject is put
//    in the issuer's learner namespace ("NAMESPACE:sub"), so that residents
//    of two identity providers never own each other's learners;
//  - otherwise anonymous.
//
//   Authenticator authn(options.city);
//   ASSIGN_OR_RETURN(Caller caller, authn.Authenticate(*ctx, absl::Now()));
#ifndef GNLC_COMMON_AUTH_AUTHENTICATOR_H_
#define GNLC_COMMON_AUTH_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/auth/token_verifier.h"
#include "common/config/city_config.h"

namespace gnlc::auth {

// "spiffe://gnlc.network/cities/suzhou" -> "suzhou"; "" if not of that form.
std::string CityFromSpiffeId(absl::string_view spiffe_id);
std::string SpiffeIdOfCity(absl::string_view city);

class Authenticator final {
 public:
  // `jwks_check_every`: how often JWKS files are looked at for changes.
  explicit Authenticator(const CityConfig& city,
                         absl::Duration jwks_check_every = absl::Seconds(1));

  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& ctx, absl::Time now) const;
  // The same for a bearer token that came another way (the dashboard's
  // Authorization header or its cookie).
  absl::StatusOr<Caller> AuthenticateToken(absl::string_view token, absl::Time now) const;
  // Whether checking `token` would check a signature (see below).
  bool WouldCheckTokenSignature(absl::string_view token, absl::Time now) const;

  // Whether authenticating this call would check a token's signature (the
  // expensive part): it carries a bearer token that was not verified, nor
  // refused, recently. A server limits these per source before doing it.
  bool WouldCheckSignature(const grpc::ServerContextBase& ctx, absl::Time now) const;

  // Signatures checked so far (tests and benchmarks).
  int64_t signature_checks() const { return verifier_.signature_checks(); }

 private:
  struct IssuerRules {
    std::vector<Role> roles;
    std::string learner_namespace;
  };
  // The bearer token of the call's one authorization header, if it has one
  // of that form.
  static std::optional<absl::string_view> BearerToken(const grpc::ServerContextBase& ctx);
  // The issuer's rules applied to a caller its token describes.
  absl::Status ApplyIssuerRules(const std::string& issuer, Caller& caller) const;

  std::vector<std::string> peers_;
  TokenVerifier verifier_;
  absl::flat_hash_map<std::string, IssuerRules> issuer_rules_;
  // Every issuer's "NAMESPACE:" (non-empty ones).
  std::vector<std::string> namespace_prefixes_;
};

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_AUTHENTICATOR_H_
