// The dashboard and its CSV export are for the city's analysts and city
// admins only, over TLS: nothing of them on the plaintext admin port, a
// sign-in a browser can use, tokens of other roles refused, and TLS older
// than 1.2 refused on the dashboard and gRPC ports.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/https_client.h"
#include "tests/support/test_security.h"

namespace gnlc::analytics::testing {
namespace {

using gnlc::testing::HttpsCall;
using gnlc::testing::HttpsCallOptions;
using gnlc::testing::HttpsReply;
using DashboardAccessTest = AnalyticsTest;

std::string CaFile() { return absl::StrCat(gnlc::testing::TestPkiDir(), "/nanjing/tls/ca.crt"); }

std::string Token(const std::string& role, const std::string& partner = "",
                  const std::string& subject = "someone-1") {
  return gnlc::testing::TestToken("nanjing",
                                  {.role = role, .subject = subject, .partner = partner});
}

HttpsReply WebGet(int port, const std::string& path, const std::string& token = "",
                  const std::string& cookie = "") {
  HttpsCallOptions o{.path = path, .ca_file = CaFile()};
  if (!token.empty()) o.headers.emplace_back("Authorization", "Bearer " + token);
  if (!cookie.empty()) o.headers.emplace_back("Cookie", cookie);
  auto r = HttpsCall(port, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : HttpsReply{};
}

HttpsReply PostForm(int port, const std::string& path, const std::string& body,
                    const std::string& origin = "") {
  HttpsCallOptions o{.method = "POST", .path = path, .body = body, .ca_file = CaFile()};
  o.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (!origin.empty()) o.headers.emplace_back("Origin", origin);
  auto r = HttpsCall(port, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : HttpsReply{};
}

TEST_F(DashboardAccessTest, ThePlaintextAdminPortServesMetricsAndHealthButNoDashboard) {
  StartAnalytics();
  const int admin = analytics_->server->admin_port();
  for (const char* path : {"/dashboard", "/export.csv?indicator=participation-rate"}) {
    auto r = gnlc::testing::HttpGet(admin, path);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404) << path;
  }
  auto metrics = gnlc::testing::HttpGet(admin, "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  auto health = gnlc::testing::HttpGet(admin, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

TEST_F(DashboardAccessTest, OnlyAnalystsAndCityAdminsGetTheExport) {
  StartAnalytics();
  const int web = analytics_->server->web_port();
  ASSERT_NE(web, 0);
  const std::string csv = "/export.csv?indicator=participation-rate";

  const HttpsReply none = WebGet(web, csv);
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(absl::StartsWith(none.Header("www-authenticate"), "Bearer"))
      << none.Header("www-authenticate");
  EXPECT_EQ(WebGet(web, csv, "not-a-token").status, 401);
  // A token of this city's issuer, but signed by someone else.
  std::string forged = Token("analyst");
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(WebGet(web, csv, forged).status, 401);
  for (const auto& token :
       {Token("resident"), Token("partner_admin", "p1"), Token("service", "", "enrollment"),
        Token("mobile_backend", "", "nanjing-app")}) {
    const HttpsReply r = WebGet(web, csv, token);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_FALSE(absl::StrContains(r.body, "period,")) << r.body;
  }
  for (const char* role : {"analyst", "city_admin"}) {
    const HttpsReply r = WebGet(web, csv, Token(role));
    EXPECT_EQ(r.status, 200) << role << ": " << r.body;
    EXPECT_TRUE(absl::StartsWith(r.body, "period,indicator,value")) << r.body;
    EXPECT_EQ(r.Header("cache-control"), "no-store");
    EXPECT_TRUE(absl::StartsWith(r.Header("strict-transport-security"), "max-age="));
  }
  // Plain HTTP on the dashboard port gets no page.
  auto plain = gnlc::testing::HttpGet(web, csv);
  EXPECT_TRUE(!plain.ok() || plain->status != 200);
}

TEST_F(DashboardAccessTest, APersonSignsInWithAFormAndStaysSignedInByCookie) {
  StartAnalytics();
  const int web = analytics_->server->web_port();

  // Not signed in: sent to the sign-in page, which remembers where to.
  const HttpsReply first = WebGet(web, "/dashboard?lang=en");
  EXPECT_EQ(first.status, 303);
  const std::string login = first.Header("location");
  EXPECT_EQ(login, "/login?lang=en&next=/dashboard%3flang%3den");
  const HttpsReply form = WebGet(web, login);
  EXPECT_EQ(form.status, 200);
  EXPECT_TRUE(absl::StrContains(form.body, "<form method=\"post\" action=\"/login\">"));
  EXPECT_TRUE(absl::StrContains(form.body, "value=\"/dashboard?lang=en\"")) << form.body;
  EXPECT_TRUE(absl::StrContains(form.Header("content-security-policy"), "default-src 'none'"));

  // A resident's token signs nobody in.
  const HttpsReply resident =
      PostForm(web, "/login", absl::StrCat("token=", Token("resident"), "&next=/dashboard"));
  EXPECT_EQ(resident.status, 403);
  EXPECT_EQ(resident.Header("set-cookie"), "");
  // Another site's form signs nobody in.
  EXPECT_EQ(
      PostForm(web, "/login", absl::StrCat("token=", Token("analyst")), "https://evil.example")
          .status,
      403);

  // An analyst's does: the cookie holds only for this host, over TLS, out
  // of scripts' reach, until the token expires.
  const HttpsReply in =
      PostForm(web, "/login",
               absl::StrCat("token=", Token("analyst"), "&next=%2Fdashboard%3Flang%3Den&lang=en"),
               absl::StrCat("https://127.0.0.1:", web));
  ASSERT_EQ(in.status, 303) << in.body;
  EXPECT_EQ(in.Header("location"), "/dashboard?lang=en");
  const std::string cookie = in.Header("set-cookie");
  EXPECT_TRUE(absl::StartsWith(cookie, "__Host-gnlc_dashboard=")) << cookie;
  for (const char* attribute :
       {"; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/", "; Max-Age="}) {
    EXPECT_TRUE(absl::StrContains(cookie, attribute)) << cookie;
  }
  const std::string pair = cookie.substr(0, cookie.find(';'));
  const HttpsReply page = WebGet(web, "/dashboard?lang=en", "", pair);
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(absl::StrContains(page.body, "Learning city indicators"));
  EXPECT_TRUE(absl::StrContains(page.body, "action=\"/logout\""));
  EXPECT_TRUE(absl::StrContains(page.Header("content-security-policy"), "script-src 'sha256-"));
  EXPECT_EQ(page.Header("x-frame-options"), "DENY");

  // After signing in, nobody is sent to another site.
  const HttpsReply elsewhere = PostForm(
      web, "/login", absl::StrCat("token=", Token("analyst"), "&next=%2F%2Fevil.example%2F"));
  EXPECT_EQ(elsewhere.Header("location"), "/dashboard");

  // Signing out clears the cookie; a broken cookie gets the form again.
  const HttpsReply out = PostForm(web, "/logout", "");
  EXPECT_EQ(out.status, 303);
  EXPECT_TRUE(absl::StrContains(out.Header("set-cookie"), "Max-Age=0"));
  const HttpsReply stale = WebGet(web, "/dashboard", "", "__Host-gnlc_dashboard=eyJ.broken.token");
  EXPECT_EQ(stale.status, 401);
  EXPECT_TRUE(absl::StrContains(stale.body, "<form method=\"post\" action=\"/login\">"));
  EXPECT_TRUE(absl::StrContains(stale.Header("set-cookie"), "Max-Age=0"));
}

TEST_F(DashboardAccessTest, AnAddressWhoseTokensKeepFailingIsHeldOffBeforeAnySignature) {
  StartAnalytics();
  const int web = analytics_->server->web_port();
  // Each a new forged token (its signature would be checked): after the
  // address's burst of failures, refused unchecked with 429.
  int refused = 0;
  for (int i = 0; i < 40 && refused == 0; ++i) {
    // Two characters inside the signature (each carries six of its bits):
    // one always changed, the other different in every token.
    std::string forged = Token("analyst");
    char& fixed = forged[forged.size() - 10];
    fixed = fixed == 'q' ? 'r' : 'q';
    forged[forged.size() - 11] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"[i];
    const HttpsReply r = WebGet(web, "/export.csv?indicator=participation-rate", forged);
    if (r.status == 429)
      ++refused;
    else
      EXPECT_EQ(r.status, 401);
  }
  EXPECT_EQ(refused, 1);
}

TEST_F(DashboardAccessTest, TlsOlderThan12IsRefusedOnTheDashboardAndGrpcPorts) {
  StartAnalytics();
  for (const int port : {analytics_->server->web_port(), analytics_->server->port()}) {
    const absl::Status old = gnlc::testing::TlsHandshake(
        port, {.ca_file = CaFile(), .min_tls = TLS1_VERSION, .max_tls = TLS1_1_VERSION});
    EXPECT_FALSE(old.ok()) << port;
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      const absl::Status ok = gnlc::testing::TlsHandshake(
          port, {.ca_file = CaFile(), .min_tls = version, .max_tls = version});
      EXPECT_TRUE(ok.ok()) << port << " " << version << ": " << ok;
    }
  }
}

}  // namespace
}  // namespace gnlc::analytics::testing
