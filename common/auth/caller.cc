#include "common/auth/caller.h"

#include "common/status/errors.h"
#include "common/validation/validate.h"

namespace gnlc::auth {
namespace {

absl::Status BadClaims(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, "TOKEN_INVALID", message);
}

std::string StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : "";
}

bool IsServiceName(absl::string_view s) {
  return s == "catalog" || s == "enrollment" || s == "partnership" || s == "analytics";
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAnonymous:
      return "anonymous";
    case Role::kResident:
      return "resident";
    case Role::kPartnerAdmin:
      return "partner_admin";
    case Role::kAnalyst:
      return "analyst";
    case Role::kCityAdmin:
      return "city_admin";
    case Role::kService:
      return "service";
    case Role::kPeerCity:
      return "peer_city";
    case Role::kMobileBackend:
      return "mobile_backend";
  }
  return "unknown";
}

std::optional<Role> RoleFromName(absl::string_view name) {
  for (int r = 0; r <= static_cast<int>(Role::kMobileBackend); ++r) {
    if (name == RoleName(static_cast<Role>(r))) return static_cast<Role>(r);
  }
  return std::nullopt;
}

absl::StatusOr<Caller> CallerFromClaims(const nlohmann::json& claims) {
  Caller caller;
  caller.subject = StringClaim(claims, "sub");
  if (caller.subject.empty() || caller.subject.size() > 128) {
    return BadClaims("the token's sub must have 1 to 128 characters");
  }
  const std::string role = StringClaim(claims, "role");
  if (role == "resident") {
    caller.role = Role::kResident;
    caller.client = StringClaim(claims, "azp");
    if (!caller.client.empty() && !ValidateId("azp", caller.client).ok()) {
      return BadClaims("a resident token's azp must be a backend id: 1 to 63 of a-z, 0-9 and -");
    }
  } else if (role == "partner_admin") {
    caller.role = Role::kPartnerAdmin;
    caller.partner = StringClaim(claims, "partner");
    if (!ValidateId("partner", caller.partner).ok()) {
      return BadClaims("a partner_admin token needs a partner claim with a partner id");
    }
  } else if (role == "analyst") {
    caller.role = Role::kAnalyst;
  } else if (role == "city_admin") {
    caller.role = Role::kCityAdmin;
  } else if (role == "service") {
    caller.role = Role::kService;
    if (!IsServiceName(caller.subject)) {
      return BadClaims("a service token's sub must be a gnlc service name");
    }
  } else if (role == "mobile_backend") {
    caller.role = Role::kMobileBackend;
    if (!ValidateId("sub", caller.subject).ok()) {
      return BadClaims(
          "a mobile_backend token's sub must be a backend id: 1 to 63 of a-z, 0-9 and -");
    }
  } else {
    return BadClaims(
        "the token's role must be resident, partner_admin, analyst, city_admin, service or "
        "mobile_backend");
  }
  return caller;
}

}  // namespace gnlc::auth
