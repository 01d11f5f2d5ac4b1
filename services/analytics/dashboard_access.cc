#include "services/analytics/dashboard_access.h"

#include <openssl/sha.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/server/http_parse.h"
#include "common/server/logging.h"
#include "common/server/rpc_edge.h"
#include "common/status/errors.h"
#include "services/analytics/dashboard_charts.h"

namespace gnlc::analytics {
namespace {

// A token longer than this is no token of ours.
constexpr size_t kMaxTokenBytes = 8192;

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::BytesToHexString(std::string(1, static_cast<char>(c))));
    }
  }
  return out;
}

// Where a person may be sent after signing in: our own pages, never
// another site ("//evil.example" is a path to a browser's eyes only).
std::string SafeNext(absl::string_view next) {
  const bool ours = next == "/dashboard" || absl::StartsWith(next, "/dashboard?") ||
                    absl::StartsWith(next, "/export.csv");
  if (!ours) return "/dashboard";
  for (char c : next) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return "/dashboard";
  }
  return std::string(next);
}

std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::StartsWith(part, name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return "";
}

// The HTTP status of a refused sign-in (Verify's codes).
int HttpStatusOf(const absl::Status& refused) {
  switch (refused.code()) {
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    default:
      return 401;
  }
}

bool DashboardRole(auth::Role r) {
  return r == auth::Role::kAnalyst || r == auth::Role::kCityAdmin;
}

HttpResponse Text(int status, std::string text) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(text) + "\n"};
}

constexpr char kLoginStyle[] = R"css(
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#111827;background:#f3f4f6}
main{max-width:520px;margin:64px auto;background:#fff;padding:28px 32px;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:21px;margin-top:0}p{font-size:14px;line-height:1.5;color:#374151}
textarea{width:100%;box-sizing:border-box;height:120px;font-family:ui-monospace,monospace;font-size:12px;padding:8px;border:1px solid #d1d5db;border-radius:6px}
button{margin-top:14px;background:#2563eb;color:#fff;border:0;border-radius:6px;padding:9px 18px;font-size:14px}
.error{color:#b91c1c;background:#fef2f2;border:1px solid #fecaca;padding:8px 10px;border-radius:6px}
.lang{font-size:13px}
)css";

// A sign-in link (/login#token=...: an identity provider's redirect hands
// the token over in the fragment, which never reaches a server or a log)
// signs in at once; the token is taken out of the address and history.
constexpr char kLoginScript[] = R"js(
(function () {
  var m = /[#&]token=([^&]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  document.getElementById('token').value = decodeURIComponent(m[1]);
  document.forms[0].submit();
})();
)js";

std::string ScriptHash(const char* script) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(script), std::strlen(script), digest);
  return absl::StrCat(
      "'sha256-",
      absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(digest), sizeof(digest))), "'");
}

// A form of another site may not sign a browser in (nor out): browsers
// name the page a POST comes from in Origin.
bool SameOrigin(const HttpRequest& request, bool secure) {
  const absl::string_view origin = request.Header("origin");
  if (origin.empty()) return true;  // not from a browser's form elsewhere
  return origin == absl::StrCat(secure ? "https://" : "http://", request.Header("host"));
}

}  // namespace

DashboardAccess::DashboardAccess(const ServerOptions& options, bool secure)
    : secure_(secure),
      cookie_(secure ? "__Host-gnlc_dashboard" : "gnlc_dashboard"),
      audit_key_(AuditKey(options)),
      authn_(options.city, options.jwks_check_every) {
  if (auto limits = LimitsFromConfig(options.city.rate_limits())) {
    failures_ = std::make_unique<RateLimiter>(*limits, 10000);
  }
  csp_ = absl::StrCat("default-src 'none'; style-src 'unsafe-inline'; script-src ",
                      ScriptHash(kDashboardScript), " ", ScriptHash(kLoginScript),
                      "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

std::string DashboardAccess::TokenOf(const HttpRequest& request) const {
  const absl::string_view authz = request.Header("authorization");
  if (absl::StartsWith(authz, "Bearer ")) return std::string(authz.substr(7));
  return CookieValue(request.Header("cookie"), cookie_);
}

absl::StatusOr<auth::Caller> DashboardAccess::Verify(const HttpRequest& request,
                                                     absl::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return absl::UnauthenticatedError("this is not a token of this city");
  }
  const absl::Time now = absl::Now();
  const std::string address(SourceAddress(request.source));
  // As on the gRPC ports: an address whose tokens keep failing gets no
  // more signatures checked for a while.
  if (failures_ != nullptr && authn_.WouldCheckTokenSignature(token, now)) {
    if (auto wait = failures_->Exhausted(RateClass::kAuthFailure, address, now)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("too many failed sign-ins from this address: retry in ",
                       std::max<int64_t>(1, absl::ToInt64Seconds(*wait)), " s"));
    }
  }
  auto caller = authn_.AuthenticateToken(token, now);
  if (!caller.ok()) {
    if (failures_ != nullptr) failures_->Charge(RateClass::kAuthFailure, address, now);
    return absl::UnauthenticatedError(caller.status().message());
  }
  if (!DashboardRole(caller->role)) {
    Audit(request, *caller, 403);
    return absl::PermissionDeniedError(
        absl::StrCat("the dashboard is for analysts and city admins; this token is a ",
                     auth::RoleName(caller->role), "'s"));
  }
  return caller;
}

DashboardAccess::Decision DashboardAccess::Check(const HttpRequest& request, Kind kind) {
  const bool zh = FormValue(request.query, "lang") != "en";
  const std::string here =
      request.query.empty() ? request.path : absl::StrCat(request.path, "?", request.query);
  const std::string token = TokenOf(request);
  Decision d;
  if (token.empty()) {
    if (kind == kPage) {
      d.refusal = HttpResponse{303, "text/plain; charset=utf-8", "sign in first\n"};
      d.refusal.headers.emplace_back(
          "Location", absl::StrCat("/login?lang=", zh ? "zh" : "en", "&next=", UrlEncode(here)));
    } else {
      d.refusal = Text(401,
                       "sign in: send 'Authorization: Bearer TOKEN' with the token of an analyst "
                       "or a city admin");
      d.refusal.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"gnlc-dashboard\"");
    }
    return d;
  }
  auto caller = Verify(request, token);
  if (caller.ok()) {
    d.caller = *caller;
    return d;
  }
  const int status = HttpStatusOf(caller.status());
  const std::string why(caller.status().message());
  d.refusal = kind == kPage ? Page(status, zh, here, why) : Text(status, why);
  if (status == 401) {
    if (kind == kData) {
      d.refusal.headers.emplace_back("WWW-Authenticate",
                                     "Bearer realm=\"gnlc-dashboard\", error=\"invalid_token\"");
    }
    // A cookie that no longer works is forgotten.
    if (request.Header("authorization").empty()) {
      d.refusal.headers.emplace_back(
          "Set-Cookie", absl::StrCat(cookie_, "=; Max-Age=0; Path=/", secure_ ? "; Secure" : "",
                                     "; HttpOnly; SameSite=Lax"));
    }
  }
  if (status == 429) d.refusal.headers.emplace_back("Retry-After", "10");
  return d;
}

HttpResponse DashboardAccess::Page(int status, bool zh, absl::string_view next,
                                   absl::string_view error) const {
  const auto t = [zh](const char* z, const char* e) { return zh ? z : e; };
  const std::string safe_next = SafeNext(next);
  std::string html = absl::StrCat(
      "<!DOCTYPE html><html lang=\"", t("zh", "en"),
      "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
      "<title>",
      t("登录 · 学习型城市指标", "Sign in · learning city indicators"), "</title><style>",
      kLoginStyle, "</style></head><body><main><h1>",
      t("登录学习型城市指标仪表板", "Sign in to the learning city dashboard"), "</h1>");
  if (!error.empty()) {
    absl::StrAppend(&html, "<p class=\"error\" id=\"error\">",
                    t("未能登录：", "This token was not accepted: "), Escape(error), "</p>");
  }
  absl::StrAppend(
      &html, "<p>",
      t("仪表板仅供本市的分析人员和城市管理员使用。请粘贴本市登录服务发给您的访问令牌；"
        "它只保存在本浏览器中，直到令牌过期。",
        "The dashboard is for the city's analysts and city admins. Paste the access token "
        "your city's sign-in service gave you; this browser keeps it until it expires."),
      "</p><form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"",
      Escape(safe_next), "\"><input type=\"hidden\" name=\"lang\" value=\"", t("zh", "en"),
      "\"><label for=\"token\">", t("访问令牌", "Access token"),
      "</label><textarea id=\"token\" name=\"token\" required autocomplete=\"off\" "
      "spellcheck=\"false\"></textarea><button type=\"submit\">",
      t("登录", "Sign in"), "</button></form><p class=\"lang\"><a href=\"/login?lang=zh&amp;next=",
      Escape(UrlEncode(safe_next)),
      "\">中文</a> · <a href=\"/login?lang=en&amp;next=", Escape(UrlEncode(safe_next)),
      "\">English</a></p></main><script>", kLoginScript, "</script></body></html>");
  HttpResponse r{status, "text/html; charset=utf-8", std::move(html)};
  r.headers.emplace_back("Content-Security-Policy", csp_);
  return r;
}

HttpResponse DashboardAccess::LoginPage(const HttpRequest& request) {
  return Page(200, FormValue(request.query, "lang") != "en", FormValue(request.query, "next"), "");
}

HttpResponse DashboardAccess::Login(const HttpRequest& request) {
  if (request.method != "POST") return LoginPage(request);
  if (!SameOrigin(request, secure_)) return Text(403, "sign in from this server's own page");
  const bool zh = FormValue(request.body, "lang") != "en";
  const std::string next = SafeNext(FormValue(request.body, "next"));
  const std::string token(absl::StripAsciiWhitespace(FormValue(request.body, "token")));
  if (token.empty()) return Page(400, zh, next, zh ? "请粘贴访问令牌" : "paste your access token");
  auto caller = Verify(request, token);
  if (!caller.ok()) {
    const int status = HttpStatusOf(caller.status());
    return Page(status, zh, next, caller.status().message());
  }
  const int64_t max_age = std::max<int64_t>(1, absl::ToInt64Seconds(caller->expires - absl::Now()));
  HttpResponse r{303, "text/plain; charset=utf-8", "signed in\n"};
  r.headers.emplace_back("Location", next);
  r.headers.emplace_back("Set-Cookie",
                         absl::StrCat(cookie_, "=", token, "; Max-Age=", max_age, "; Path=/",
                                      secure_ ? "; Secure" : "", "; HttpOnly; SameSite=Lax"));
  LogAudit({{"method", "POST /login"},
            {"role", auth::RoleName(caller->role)},
            {"subject", Pseudonym(audit_key_, caller->subject)},
            {"issuer", caller->issuer},
            {"source", request.source},
            {"code", "OK"}});
  return r;
}

HttpResponse DashboardAccess::Logout(const HttpRequest& request) {
  if (request.method != "POST") return Text(405, "sign out with POST");
  if (!SameOrigin(request, secure_)) return Text(403, "sign out from this server's own page");
  HttpResponse r{303, "text/plain; charset=utf-8", "signed out\n"};
  r.headers.emplace_back("Location", "/login");
  r.headers.emplace_back("Set-Cookie",
                         absl::StrCat(cookie_, "=; Max-Age=0; Path=/", secure_ ? "; Secure" : "",
                                      "; HttpOnly; SameSite=Lax"));
  return r;
}

void DashboardAccess::Audit(const HttpRequest& request, const auth::Caller& caller,
                            int status) const {
  LogAudit({{"method", absl::StrCat(request.method, " ", request.path)},
            {"role", auth::RoleName(caller.role)},
            {"subject", Pseudonym(audit_key_, caller.subject)},
            {"issuer", caller.issuer},
            {"source", request.source},
            {"resource", request.query},
            {"code", absl::StrCat(status)},
            {"denied", status == 403 ? "true" : "false"}});
}

}  // namespace gnlc::analytics
