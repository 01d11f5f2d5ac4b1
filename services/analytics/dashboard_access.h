// Who may open the dashboard and the CSV export: an analyst or a city
// admin of this city, with a token of the city's identity providers, the
// same tokens the gRPC API takes.
//
// A person with a browser signs in once at /login by pasting their token;
// or follows a sign-in link /login#token=TOKEN (the fragment never leaves
// the browser), which an identity provider can redirect to. The token
// comes back as a cookie (__Host-gnlc_dashboard: Secure, HttpOnly,
// SameSite=Lax, Path=/) that lives until the token expires, and /logout
// forgets it. Scripts and spreadsheets send "Authorization: Bearer TOKEN"
// instead. Every answer is audited like a staff read of the API.
//
//   DashboardAccess access(options);
//   auto who = access.Check(request, DashboardAccess::kPage);
//   if (!who.caller) return who.refusal;   // the login page, 401 or 403
#ifndef GNLC_SERVICES_ANALYTICS_DASHBOARD_ACCESS_H_
#define GNLC_SERVICES_ANALYTICS_DASHBOARD_ACCESS_H_

#include <memory>
#include <optional>
#include <string>

#include "common/auth/authenticator.h"
#include "common/server/http_message.h"
#include "common/server/rate_limiter.h"
#include "common/server/server_options.h"

namespace gnlc::analytics {

class DashboardAccess final {
 public:
  // `secure`: the page is served over TLS (the cookie is then Secure and
  // __Host- prefixed; plain HTTP is for a developer's loopback only).
  DashboardAccess(const ServerOptions& options, bool secure);

  enum Kind {
    kPage,  // a person: without a valid token, the login page
    kData,  // a download: 401 with WWW-Authenticate
  };
  struct Decision {
    std::optional<auth::Caller> caller;  // allowed
    HttpResponse refusal;                // otherwise, what to answer
  };
  Decision Check(const HttpRequest& request, Kind kind);

  // GET /login: the form; POST /login: the token checked and kept as the
  // cookie, then back to where the person was going (`next`, a path of
  // this server only); POST /logout: the cookie cleared.
  HttpResponse LoginPage(const HttpRequest& request);
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);

  // One audit line for an answer to an allowed caller.
  void Audit(const HttpRequest& request, const auth::Caller& caller, int status) const;

  // The Content-Security-Policy of our pages: nothing from elsewhere, the
  // dashboard's one inline script by its hash.
  const std::string& content_security_policy() const { return csp_; }

 private:
  // The token the request carries (header first, then cookie), "" if none.
  std::string TokenOf(const HttpRequest& request) const;
  // The caller the token makes, or why not (UNAUTHENTICATED, PERMISSION_DENIED,
  // RESOURCE_EXHAUSTED when the address failed too often).
  absl::StatusOr<auth::Caller> Verify(const HttpRequest& request, absl::string_view token);
  HttpResponse Page(int status, bool zh, absl::string_view next, absl::string_view error) const;

  const bool secure_;
  const std::string cookie_;
  const std::string audit_key_;
  auth::Authenticator authn_;
  std::unique_ptr<RateLimiter> failures_;  // per address; nullptr when limits are off
  std::string csp_;
};

// The dashboard's inline script (dashboard.cc), whose hash the policy names.
extern const char kDashboardScript[];

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DASHBOARD_ACCESS_H_
