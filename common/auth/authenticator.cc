#include "common/auth/authenticator.h"

#include <grpcpp/security/auth_context.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::auth {
namespace {

constexpr absl::string_view kSpiffeCityPrefix = "spiffe://gnlc.network/cities/";
constexpr absl::Duration kDefaultMaxTokenLifetime = absl::Hours(24);
// A learner's external subject (enrollment validates the same bound).
constexpr size_t kMaxOwnerSubject = 128;

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, message);
}

std::vector<TokenVerifier::Issuer> IssuersOf(const CityConfig& city) {
  std::vector<TokenVerifier::Issuer> out;
  for (const auto& i : city.auth().issuers()) {
    out.push_back({i.issuer(), i.jwks_file(),
                   i.max_token_lifetime_seconds() > 0
                       ? absl::Seconds(i.max_token_lifetime_seconds())
                       : kDefaultMaxTokenLifetime});
  }
  return out;
}

}  // namespace

std::string CityFromSpiffeId(absl::string_view spiffe_id) {
  if (!absl::StartsWith(spiffe_id, kSpiffeCityPrefix)) return "";
  absl::string_view city = spiffe_id.substr(kSpiffeCityPrefix.size());
  if (city.empty() || city.size() > 63) return "";
  for (char c : city) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return "";
  }
  return std::string(city);
}

std::string SpiffeIdOfCity(absl::string_view city) { return absl::StrCat(kSpiffeCityPrefix, city); }

Authenticator::Authenticator(const CityConfig& city, absl::Duration jwks_check_every)
    : verifier_(city.auth().audience(), IssuersOf(city), jwks_check_every) {
  for (const auto& p : city.peers()) peers_.push_back(p.city_id());
  for (const auto& i : city.auth().issuers()) {
    IssuerRules& rules = issuer_rules_[i.issuer()];
    for (const std::string& name : i.roles()) {
      // Checked at start (CheckSecuritySettings); a stranger name grants nothing.
      if (auto role = RoleFromName(name)) rules.roles.push_back(*role);
    }
    rules.learner_namespace = i.learner_namespace();
    if (!i.learner_namespace().empty()) {
      namespace_prefixes_.push_back(absl::StrCat(i.learner_namespace(), ":"));
    }
  }
}

absl::Status Authenticator::ApplyIssuerRules(const std::string& issuer, Caller& caller) const {
  auto it = issuer_rules_.find(issuer);
  const bool may = it != issuer_rules_.end() &&
                   std::find(it->second.roles.begin(), it->second.roles.end(), caller.role) !=
                       it->second.roles.end();
  if (!may) {
    return MakeError(absl::StatusCode::kPermissionDenied, "ISSUER_MAY_NOT_GRANT_ROLE",
                     absl::StrCat("this city does not accept ", RoleName(caller.role),
                                  " tokens from the token's issuer"));
  }
  caller.issuer = issuer;
  if (caller.role != Role::kResident) return absl::OkStatus();
  const std::string& ns = it->second.learner_namespace;
  if (!ns.empty()) {
    caller.subject = absl::StrCat(ns, ":", caller.subject);
    if (caller.subject.size() > kMaxOwnerSubject) {
      return Unauthenticated("TOKEN_INVALID",
                             "the resident's sub is too long for its issuer's learner namespace");
    }
    return absl::OkStatus();
  }
  for (const std::string& prefix : namespace_prefixes_) {
    if (absl::StartsWith(caller.subject, prefix)) {
      return Unauthenticated("TOKEN_INVALID",
                             "the resident's sub begins with another issuer's learner namespace");
    }
  }
  return absl::OkStatus();
}

std::optional<absl::string_view> Authenticator::BearerToken(const grpc::ServerContextBase& ctx) {
  const auto& md = ctx.client_metadata();
  auto [first, last] = md.equal_range("authorization");
  if (first == last || std::next(first) != last) return std::nullopt;
  const absl::string_view value(first->second.data(), first->second.size());
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return std::nullopt;
  }
  return value.substr(kBearer.size());
}

bool Authenticator::WouldCheckSignature(const grpc::ServerContextBase& ctx, absl::Time now) const {
  const std::optional<absl::string_view> token = BearerToken(ctx);
  return token.has_value() && WouldCheckTokenSignature(*token, now);
}

bool Authenticator::WouldCheckTokenSignature(absl::string_view token, absl::Time now) const {
  return !verifier_.Remembers(token, now);
}

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContextBase& ctx,
                                                   absl::Time now) const {
  // A verified client certificate exists only on the peer port, which
  // requires one signed by the network CA.
  if (auto auth = ctx.auth_context(); auth != nullptr) {
    const auto spiffe = auth->FindPropertyValues("peer_spiffe_id");
    if (!spiffe.empty()) {
      const std::string city = CityFromSpiffeId(std::string(spiffe[0].data(), spiffe[0].size()));
      for (const auto& p : peers_) {
        if (!city.empty() && p == city) return Caller{Role::kPeerCity, "", "", city};
      }
      return MakeError(absl::StatusCode::kPermissionDenied, "PEER_NOT_CONFIGURED",
                       "this certificate's city is not a configured peer of this city");
    }
  }
  const auto& md = ctx.client_metadata();
  auto [first, last] = md.equal_range("authorization");
  if (first == last) return Caller{};
  if (std::next(first) != last) {
    return Unauthenticated("TOKEN_MALFORMED", "send exactly one authorization header");
  }
  const std::optional<absl::string_view> token = BearerToken(ctx);
  if (!token) {
    return Unauthenticated("TOKEN_MALFORMED", "the authorization header must be 'Bearer <token>'");
  }
  return AuthenticateToken(*token, now);
}

absl::StatusOr<Caller> Authenticator::AuthenticateToken(absl::string_view token,
                                                        absl::Time now) const {
  auto claims = verifier_.Verify(token, now);
  if (!claims.ok()) return claims.status();
  ASSIGN_OR_RETURN(Caller caller, CallerFromClaims(**claims));
  // The verifier found `iss` among the configured issuers: a string.
  RETURN_IF_ERROR(ApplyIssuerRules((**claims)["iss"].get<std::string>(), caller));
  // The verifier required a numeric exp.
  caller.expires =
      absl::FromUnixMillis(static_cast<int64_t>((**claims)["exp"].get<double>() * 1000));
  return caller;
}

}  // namespace gnlc::auth
