// Who may call, through the real gRPC interface over TLS against a real
// catalog and Redis: the token negatives trusted verifiers test (Envoy's
// jwt_authn), the peer port's certificate negatives, rotation of the
// server certificate and of the JWKS under load, and that nothing about a
// caller is remembered on the connection.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/base64url.h"
#include "common/auth/dev_pki.h"
#include "common/auth/jws.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/test_security.h"

namespace gnlc {
namespace {

namespace cpb = gnlc::catalog::v1;
using nlohmann::json;

constexpr char kRsaIssuer[] = "https://rsa-idp.test";

std::string PkiPath(const std::string& rest) {
  return absl::StrCat(gnlc::testing::TestPkiDir(), "/", rest);
}

auth::DevIssuer Nanjing() { return *auth::LoadDevIssuer(gnlc::testing::TestPkiDir(), "nanjing"); }

json AdminClaims() {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"iss", Nanjing().issuer},
          {"aud", "gnlc:nanjing"},
          {"sub", "admin-1"},
          {"role", "city_admin"},
          {"iat", now},
          {"exp", now + 3600}};
}

std::string Signed(const json& claims) { return *auth::MintJwt(Nanjing().key, claims.dump()); }

// A compact JWS with any header and an HMAC-SHA256 signature.
std::string HmacSigned(const json& header, const json& claims, const std::string& secret) {
  const std::string input =
      absl::StrCat(auth::Base64UrlEncode(header.dump()), ".", auth::Base64UrlEncode(claims.dump()));
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return absl::StrCat(input, ".",
                      auth::Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(mac), len)));
}

// A catalog whose city also trusts an RS256 issuer (its JWKS written here).
class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = gnlc::testing::RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    auto rsa = auth::GenerateSigningKey(auth::JwsAlg::kRS256, "rsa-1");
    ASSERT_TRUE(rsa.ok());
    rsa_ = *rsa;
    ASSERT_TRUE(auth::WriteFileAtomically(PkiPath("rsa-jwks.json"),
                                          absl::StrCat("{\"keys\": [", *PublicJwkJson(rsa_), "]}"))
                    .ok());
    CityConfig city = catalog::testing::TestCity();
    city.add_peers()->set_city_id("suzhou");
    auto* issuer = city.mutable_auth()->add_issuers();
    issuer->set_issuer(kRsaIssuer);
    issuer->set_jwks_file(PkiPath("rsa-jwks.json"));
    // It vouches for city admins and residents only, for two hours at most.
    issuer->add_roles("city_admin");
    issuer->add_roles("resident");
    issuer->set_learner_namespace("rsa");
    issuer->set_max_token_lifetime_seconds(7200);
    catalog_ = catalog::testing::CatalogReplica::Start(redis_->address(), city,
                                                       [] { return absl::Now(); });
    channel_ = gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing", "");
  }

  // ListProgramChanges (city_admin and peers only) with these
  // authorization headers on `channel` (default: a plain TLS channel).
  absl::Status Call(const std::vector<std::string>& authorization,
                    std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = cpb::CatalogService::NewStub(channel ? channel : channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    for (const auto& a : authorization) ctx.AddMetadata("authorization", a);
    cpb::ListProgramChangesRequest req;
    req.set_parent("cities/nanjing");
    cpb::ListProgramChangesResponse resp;
    return FromGrpcStatus(stub->ListProgramChanges(&ctx, req, &resp));
  }

  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<catalog::testing::CatalogReplica> catalog_;
  std::shared_ptr<grpc::Channel> channel_;
  auth::SigningKey rsa_;
};

struct TokenCase {
  std::string name;
  // The authorization headers, given the test issuer's RSA key.
  std::function<std::vector<std::string>(const auth::SigningKey& rsa)> headers;
  absl::StatusCode code;
  std::string reason;
};

// gtest prints a case by its name, not its bytes.
void PrintTo(const TokenCase& c, std::ostream* os) { *os << c.name; }

std::vector<std::string> Bearer(const std::string& token) { return {"Bearer " + token}; }

class TokenNegativeTest : public SecurityTest, public ::testing::WithParamInterface<TokenCase> {};

TEST_P(TokenNegativeTest, IsRefusedWithItsReasonAndNeverEchoesTheToken) {
  const TokenCase& c = GetParam();
  const std::vector<std::string> headers = c.headers(rsa_);
  const absl::Status s = Call(headers);
  EXPECT_EQ(s.code(), c.code) << s;
  EXPECT_EQ(ErrorReason(s), c.reason) << s;
  for (const auto& h : headers) {
    const size_t dot = h.find('.');
    if (dot != std::string::npos && h.size() > dot + 10) {
      EXPECT_EQ(s.message().find(h.substr(dot)), absl::string_view::npos) << "token echoed";
    }
  }
}

const TokenCase kTokenCases[] = {
    {"Missing", [](const auth::SigningKey&) { return std::vector<std::string>{}; },
     absl::StatusCode::kUnauthenticated, "TOKEN_MISSING"},
    {"NotBearer",
     [](const auth::SigningKey&) { return std::vector<std::string>{"Basic YWRtaW46YWRtaW4="}; },
     absl::StatusCode::kUnauthenticated, "TOKEN_MALFORMED"},
    {"Malformed", [](const auth::SigningKey&) { return Bearer("not-a-jwt"); },
     absl::StatusCode::kUnauthenticated, "TOKEN_MALFORMED"},
    {"AlgNone",
     [](const auth::SigningKey&) {
       const json header = {{"alg", "none"}, {"kid", Nanjing().key.kid}};
       return Bearer(absl::StrCat(auth::Base64UrlEncode(header.dump()), ".",
                                  auth::Base64UrlEncode(AdminClaims().dump()), "."));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"Hs256WithTheRsaPublicKeyAsSecret",
     [](const auth::SigningKey& rsa) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       const std::string secret = *auth::PublicJwkJson(rsa);
       return Bearer(HmacSigned({{"alg", "HS256"}, {"kid", "rsa-1"}}, claims, secret));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"Es256HeaderOnAnRsaKey",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       // Signed by the EC key but claiming the RSA key's kid.
       auth::SigningKey key = Nanjing().key;
       key.kid = "rsa-1";
       return Bearer(*auth::MintJwt(key, claims.dump()));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"BadSignature",
     [](const auth::SigningKey&) {
       std::string token = Signed(AdminClaims());
       const size_t sig = token.rfind('.') + 5;
       token[sig] = token[sig] == 'A' ? 'B' : 'A';
       return Bearer(token);
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"UnknownKid",
     [](const auth::SigningKey&) {
       auth::SigningKey key = Nanjing().key;
       key.kid = "nobody-knows-me";
       return Bearer(*auth::MintJwt(key, AdminClaims().dump()));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_UNKNOWN_KEY"},
    {"Expired",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["exp"] = absl::ToUnixSeconds(absl::Now()) - 120;  // past the 60 s of skew
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_EXPIRED"},
    {"NotBeforeInTheFuture",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["nbf"] = absl::ToUnixSeconds(absl::Now()) + 300;
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_NOT_YET_VALID"},
    {"MissingExp",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims.erase("exp");
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"WrongIssuer",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["iss"] = "https://evil.example";
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_WRONG_ISSUER"},
    {"WrongAudience",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["aud"] = "gnlc:hangzhou";
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_WRONG_AUDIENCE"},
    {"TwoAuthorizationHeaders",
     [](const auth::SigningKey&) {
       const std::string good = Signed(AdminClaims());
       return std::vector<std::string>{"Bearer " + good, "Bearer " + good};
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_MALFORMED"},
    {"TokenOfTheOtherCity",
     [](const auth::SigningKey&) {
       return Bearer(gnlc::testing::TestToken(
           "suzhou", {.role = "city_admin", .subject = "a", .partner = "", .ttl = absl::Hours(1)}));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_WRONG_ISSUER"},
    {"UnknownRole",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["role"] = "superuser";
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_INVALID"},
    {"ValidButTheRoleMayNot",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["role"] = "analyst";
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
    // An issuer bounds what its tokens may claim.
    {"RoleItsIssuerMayNotGrant",
     [](const auth::SigningKey& rsa) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       claims["role"] = "analyst";
       return Bearer(*auth::MintJwt(rsa, claims.dump()));
     },
     absl::StatusCode::kPermissionDenied, "ISSUER_MAY_NOT_GRANT_ROLE"},
    {"CityAdminFromTheResidentsIssuer",
     [](const auth::SigningKey&) {
       return Bearer(gnlc::testing::AppIssuerToken(
           "nanjing",
           {.role = "city_admin", .subject = "admin-1", .partner = "", .ttl = absl::Hours(1)}));
     },
     absl::StatusCode::kPermissionDenied, "ISSUER_MAY_NOT_GRANT_ROLE"},
    {"LivesLongerThanItsIssuersCap",
     [](const auth::SigningKey& rsa) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       claims["exp"] = claims["iat"].get<int64_t>() + 3 * 3600;
       return Bearer(*auth::MintJwt(rsa, claims.dump()));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_LIFETIME_TOO_LONG"},
    {"LongLivedWithoutIat",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims.erase("iat");
       claims["exp"] = absl::ToUnixSeconds(absl::Now()) + 3 * 24 * 3600;  // cap: one day
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kUnauthenticated, "TOKEN_LIFETIME_TOO_LONG"},
    // Positive controls: each would fail if the checks were too strict.
    {"WithinItsIssuersCap",
     [](const auth::SigningKey& rsa) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       claims["exp"] = claims["iat"].get<int64_t>() + 7000;
       return Bearer(*auth::MintJwt(rsa, claims.dump()));
     },
     absl::StatusCode::kOk, ""},
    {"ValidEs256", [](const auth::SigningKey&) { return Bearer(Signed(AdminClaims())); },
     absl::StatusCode::kOk, ""},
    {"ValidRs256",
     [](const auth::SigningKey& rsa) {
       json claims = AdminClaims();
       claims["iss"] = kRsaIssuer;
       return Bearer(*auth::MintJwt(rsa, claims.dump()));
     },
     absl::StatusCode::kOk, ""},
    {"ExpiredWithinTheClockSkew",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["exp"] = absl::ToUnixSeconds(absl::Now()) - 20;
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kOk, ""},
    {"AudienceListContainingOurs",
     [](const auth::SigningKey&) {
       json claims = AdminClaims();
       claims["aud"] = json::array({"gnlc:suzhou", "gnlc:nanjing"});
       return Bearer(Signed(claims));
     },
     absl::StatusCode::kOk, ""},
};

INSTANTIATE_TEST_SUITE_P(Tokens, TokenNegativeTest, ::testing::ValuesIn(kTokenCases),
                         [](const auto& info) { return info.param.name; });

TEST_F(SecurityTest, NothingIsRememberedOnTheConnection) {
  // One channel, one connection: a valid token, then an expired one.
  json expired = AdminClaims();
  expired["exp"] = absl::ToUnixSeconds(absl::Now()) - 3600;
  EXPECT_TRUE(Call(Bearer(Signed(AdminClaims()))).ok());
  const absl::Status second = Call(Bearer(Signed(expired)));
  EXPECT_EQ(second.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(second), "TOKEN_EXPIRED");
  EXPECT_EQ(Call({}).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Call(Bearer(Signed(AdminClaims()))).ok());
}

TEST_F(SecurityTest, PublicPortSpeaksOnlyTls) {
  auto plaintext = grpc::CreateChannel(absl::StrCat("127.0.0.1:", catalog_->server->port()),
                                       grpc::InsecureChannelCredentials());
  EXPECT_EQ(Call(Bearer(Signed(AdminClaims())), plaintext).code(), absl::StatusCode::kUnavailable);
}

// --- The peer port: mutual TLS, the network CA, configured peers only.

auth::CertAndKey CityCert(const auth::CertAndKey& ca, const std::string& city,
                          absl::Duration not_after = absl::Hours(24)) {
  return *auth::IssueCertificate(ca, {.common_name = city,
                                      .dns = {"localhost"},
                                      .ips = {"127.0.0.1"},
                                      .uris = {auth::SpiffeIdOfCity(city)},
                                      .not_before = -absl::Hours(48),
                                      .not_after = not_after});
}

TEST_F(SecurityTest, PeerWithTheNetworksCertificateOfAConfiguredCityIsServed) {
  const int port = catalog_->server->peer_port();
  ASSERT_NE(port, 0);
  auto channel =
      gnlc::testing::PeerChannel(port, CityCert(gnlc::testing::TestNetworkCa(), "suzhou"));
  EXPECT_TRUE(Call({}, channel).ok());
  // ...and only for what peers may call.
  auto stub = cpb::CatalogService::NewStub(channel);
  grpc::ClientContext ctx;
  cpb::CreateProgramRequest req;
  cpb::CreateProgramResponse resp;
  EXPECT_EQ(stub->CreateProgram(&ctx, req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecurityTest, PeerWithoutAClientCertificateIsRefused) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = *auth::ReadFileToString(PkiPath("network-ca.crt"));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", catalog_->server->peer_port()),
                                     grpc::SslCredentials(tls));
  EXPECT_EQ(Call({}, channel).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SecurityTest, PeerWithACertificateOfAnotherCaIsRefused) {
  auto other_ca = auth::NewCertificateAuthority("not the network");
  ASSERT_TRUE(other_ca.ok());
  auto channel =
      gnlc::testing::PeerChannel(catalog_->server->peer_port(), CityCert(*other_ca, "suzhou"));
  EXPECT_EQ(Call({}, channel).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SecurityTest, PeerWithAnExpiredCertificateIsRefused) {
  auto channel = gnlc::testing::PeerChannel(
      catalog_->server->peer_port(),
      CityCert(gnlc::testing::TestNetworkCa(), "suzhou", -absl::Hours(1)));
  EXPECT_EQ(Call({}, channel).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SecurityTest, PeerCityThatIsNotConfiguredIsDenied) {
  auto channel = gnlc::testing::PeerChannel(catalog_->server->peer_port(),
                                            CityCert(gnlc::testing::TestNetworkCa(), "wuhan"));
  const absl::Status s = Call({}, channel);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ErrorReason(s), "PEER_NOT_CONFIGURED");
}

// Lists the services through server reflection: their names, or the
// call's error. A raw bidi call, so the test needs no reflection stubs.
absl::StatusOr<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel) {
  const grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> call(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(), method, &ctx));
  // ServerReflectionRequest{list_services: "*"}: field 7, length 1.
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out);
  call->WritesDone();
  grpc::ByteBuffer in;
  std::string listed;
  while (call->Read(&in)) {
    std::vector<grpc::Slice> slices;
    (void)in.Dump(&slices);
    for (const auto& s : slices) listed.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  const grpc::Status s = call->Finish();
  if (!s.ok())
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return listed;
}

TEST_F(SecurityTest, ReflectionAnswersOnThePublicPortButNotOnThePeerPort) {
  const auto listed = ReflectedServices(channel_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(absl::StrContains(*listed, "gnlc.catalog.v1.CatalogService"));
  // A configured peer, with the network's certificate, still gets no list.
  const auto peer = ReflectedServices(gnlc::testing::PeerChannel(
      catalog_->server->peer_port(), CityCert(gnlc::testing::TestNetworkCa(), "suzhou")));
  EXPECT_EQ(peer.status().code(), absl::StatusCode::kUnimplemented) << peer.status();
  // ...while what peers may call is served there.
  EXPECT_TRUE(
      Call({}, gnlc::testing::PeerChannel(catalog_->server->peer_port(),
                                          CityCert(gnlc::testing::TestNetworkCa(), "suzhou")))
          .ok());
}

// --- Rotation: new files on disk take effect without a restart, and no
// call fails meanwhile.

std::string ServerCommonName(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = cpb::CatalogService::NewStub(channel);
  grpc::ClientContext ctx;
  cpb::GetProgramRequest req;
  req.set_name("cities/nanjing/programs/none");
  cpb::GetProgramResponse resp;
  (void)stub->GetProgram(&ctx, req, &resp);
  auto auth = ctx.auth_context();
  if (auth == nullptr) return "";
  auto cn = auth->FindPropertyValues("x509_common_name");
  return cn.empty() ? "" : std::string(cn[0].data(), cn[0].size());
}

TEST_F(SecurityTest, RotatedCertificateAndJwksTakeEffectWithoutAFailedCall) {
  // The test PKI belongs to this process: put it back for the next test.
  const std::vector<std::string> rotated_files = {
      "nanjing/tls/catalog.key", "nanjing/tls/catalog.crt", "nanjing/auth/jwks.json"};
  std::vector<std::string> originals;
  for (const auto& f : rotated_files) originals.push_back(*auth::ReadFileToString(PkiPath(f)));
  absl::Cleanup restore = [&] {
    for (size_t i = 0; i < rotated_files.size(); ++i) {
      (void)auth::WriteFileAtomically(PkiPath(rotated_files[i]), originals[i]);
    }
  };
  const std::string token_k1 = Signed(AdminClaims());
  // A client that keeps calling on one channel throughout.
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failures{0};
  std::string last_failure;
  std::thread caller([&] {
    auto channel = gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing", token_k1);
    for (int i = 0; i < 200000 && !stop; ++i) {
      auto stub = cpb::CatalogService::NewStub(channel);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      cpb::ListProgramChangesRequest req;
      req.set_parent("cities/nanjing");
      cpb::ListProgramChangesResponse resp;
      const grpc::Status s = stub->ListProgramChanges(&ctx, req, &resp);
      ++calls;
      if (!s.ok()) {
        ++failures;
        last_failure = s.error_message();
      }
    }
  });
  ASSERT_TRUE(gnlc::testing::PollUntil([&] { return calls > 20; }, absl::Seconds(10)));

  // The server certificate: a new key and certificate, written side by side
  // and renamed into place.
  ASSERT_EQ(ServerCommonName(gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing", "")),
            "catalog.nanjing");
  const auth::CertAndKey city_ca{*auth::ReadFileToString(PkiPath("nanjing/tls/ca.crt")),
                                 *auth::ReadFileToString(PkiPath("nanjing/tls/ca.key"))};
  auto rotated = auth::IssueCertificate(city_ca, {.common_name = "catalog.nanjing.rotated",
                                                  .dns = {"localhost"},
                                                  .ips = {"127.0.0.1"},
                                                  .uris = {}});
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(auth::WriteFileAtomically(PkiPath("nanjing/tls/catalog.key"), rotated->key_pem).ok());
  ASSERT_TRUE(
      auth::WriteFileAtomically(PkiPath("nanjing/tls/catalog.crt"), rotated->cert_pem).ok());
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] {
        return ServerCommonName(gnlc::testing::SecureChannel(catalog_->server->port(), "nanjing",
                                                             "")) == "catalog.nanjing.rotated";
      },
      absl::Seconds(10)));

  // The JWKS: a second key is added; tokens it signs verify, old ones too.
  auto k2 = auth::GenerateSigningKey(auth::JwsAlg::kES256, "nanjing-2");
  ASSERT_TRUE(k2.ok());
  const std::string jwks_path = PkiPath("nanjing/auth/jwks.json");
  const std::string old_jwks = *auth::ReadFileToString(jwks_path);
  json both = json::parse(old_jwks);
  both["keys"].push_back(json::parse(*auth::PublicJwkJson(*k2)));
  const std::string token_k2 = *auth::MintJwt(*k2, AdminClaims().dump());
  EXPECT_EQ(ErrorReason(Call(Bearer(token_k2))), "TOKEN_UNKNOWN_KEY");
  ASSERT_TRUE(auth::WriteFileAtomically(jwks_path, both.dump()).ok());
  EXPECT_TRUE(
      gnlc::testing::PollUntil([&] { return Call(Bearer(token_k2)).ok(); }, absl::Seconds(10)));
  const int before = calls;
  ASSERT_TRUE(gnlc::testing::PollUntil([&] { return calls > before + 20; }, absl::Seconds(10)));
  stop = true;
  caller.join();
  EXPECT_EQ(failures, 0) << last_failure;

  // The first key withdrawn: its tokens stop verifying, though one was
  // verified (and remembered) a moment ago.
  json only_k2 = json::parse(old_jwks);
  only_k2["keys"] = json::array({json::parse(*auth::PublicJwkJson(*k2))});
  ASSERT_TRUE(auth::WriteFileAtomically(jwks_path, only_k2.dump()).ok());
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] { return ErrorReason(Call(Bearer(token_k1))) == "TOKEN_UNKNOWN_KEY"; },
      absl::Seconds(10)));
  EXPECT_TRUE(Call(Bearer(token_k2)).ok());
}

}  // namespace
}  // namespace gnlc
