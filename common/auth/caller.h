// Who is calling: a role from a verified token's claims, or a peer city
// from its client certificate, or nobody (anonymous).
//
//   ASSIGN_OR_RETURN(Caller caller, CallerFromClaims(claims));
//   if (caller.role == Role::kResident) ... caller.subject ...
#ifndef GNLC_COMMON_AUTH_CALLER_H_
#define GNLC_COMMON_AUTH_CALLER_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gnlc::auth {

enum class Role : uint8_t {
  kAnonymous,
  kResident,      // sub: the resident's external subject
  kPartnerAdmin,  // claim "partner": a partner id of this city
  kAnalyst,
  kCityAdmin,
  kService,        // sub: a gnlc service name ("enrollment")
  kPeerCity,       // by client certificate, never by token
  kMobileBackend,  // sub: the backend's id ("nanjing-app"), an id of [a-z0-9-]
};

// "resident", "partner_admin", ... as in tokens, logs and docs/operations/security.md.
const char* RoleName(Role role);
// The role RoleName gives `name`, or nullopt for a name of no role.
std::optional<Role> RoleFromName(absl::string_view name);

struct Caller {
  Role role = Role::kAnonymous;
  // The token's `sub` (resident: their external subject; service: its name).
  std::string subject;
  // partner_admin: the partner's id in this city ("p17").
  std::string partner;
  // kPeerCity: the peer's city id.
  std::string peer_city;
  // The token's issuer (`iss`), for the audit log; "" without a token.
  std::string issuer = "";
  // kResident: the token's `azp` (the mobile backend it was issued to, if
  // the identity provider says so); the learner they create is that
  // backend's.
  std::string client = "";
  // When the token expires (never without one): a stream opened with it
  // ends then.
  absl::Time expires = absl::InfiniteFuture();
};

// Claims: "role" (resident | partner_admin | analyst | city_admin |
// service | mobile_backend), "sub" (1 to 128 characters), "partner" for
// partner_admin, optional "azp" for resident.
// UNAUTHENTICATED TOKEN_INVALID when they do not describe a caller.
absl::StatusOr<Caller> CallerFromClaims(const nlohmann::json& claims);

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_CALLER_H_
