#include "tests/support/test_security.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/gnlcctl/client_channel.h"

namespace gnlc::testing {
namespace {

std::string Read(const std::string& path) {
  auto text = auth::ReadFileToString(path);
  return text.ok() ? *text : "";
}

grpc::ChannelArguments FreshConnection() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

std::string AppIssuerName(const std::string& city) {
  return absl::StrCat("https://app-idp.gnlc.local/", city);
}

}  // namespace

const std::string& TestPkiDir() {
  static const std::string* dir = [] {
    std::string tmpl = "/tmp/gnlc-test-pki-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    auto* path = new std::string(made != nullptr ? made : "/tmp/gnlc-test-pki");
    const absl::Status s = auth::WriteDevPki(*path, {"nanjing", "suzhou"}, absl::Hours(2));
    if (!s.ok()) std::fprintf(stderr, "test PKI: %s\n", std::string(s.message()).c_str());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TestPkiDir(), ec);
    });
    return path;
  }();
  return *dir;
}

void AddTestSecurity(CityConfig& city) {
  const std::string base = absl::StrCat(TestPkiDir(), "/", city.city_id(), "/");
  auto* tls = city.mutable_tls();
  tls->set_cert_file(base + "tls/{service}.crt");
  tls->set_key_file(base + "tls/{service}.key");
  tls->set_ca_file(base + "tls/ca.crt");
  tls->set_reload_interval_seconds(1);
  auto* a = city.mutable_auth();
  a->set_audience(absl::StrCat("gnlc:", city.city_id()));
  a->clear_issuers();
  auto* issuer = a->add_issuers();
  issuer->set_issuer(absl::StrCat("https://dev-idp.gnlc.local/", city.city_id()));
  issuer->set_jwks_file(base + "auth/jwks.json");
  for (const char* role :
       {"resident", "partner_admin", "analyst", "city_admin", "service", "mobile_backend"}) {
    issuer->add_roles(role);
  }
  // A second identity provider that may only vouch for residents.
  auto* app = a->add_issuers();
  app->set_issuer(AppIssuerName(city.city_id()));
  app->set_jwks_file(base + "auth/jwks.json");
  app->add_roles("resident");
  app->set_learner_namespace(kAppLearnerNamespace);
  a->set_service_token_file(base + "auth/{service}.token");
  auto* f = city.mutable_federation();
  f->set_network_ca_file(base + "federation/network-ca.crt");
  f->set_city_cert_file(base + "federation/city.crt");
  f->set_city_key_file(base + "federation/city.key");
  auto* r = city.mutable_redis();
  r->set_user("{service}");
  r->set_password_file(base + "redis/{service}.password");
}

std::string TestToken(const std::string& city, const auth::TokenSpec& spec) {
  auto issuer = auth::LoadDevIssuer(TestPkiDir(), city);
  if (!issuer.ok()) return "";
  auto token = auth::MintToken(*issuer, spec, absl::Now());
  return token.ok() ? *token : "";
}

std::string AppIssuerToken(const std::string& city, const auth::TokenSpec& spec) {
  auto issuer = auth::LoadDevIssuer(TestPkiDir(), city);
  if (!issuer.ok()) return "";
  issuer->issuer = AppIssuerName(city);
  auto token = auth::MintToken(*issuer, spec, absl::Now());
  return token.ok() ? *token : "";
}

std::shared_ptr<grpc::Channel> SecureChannel(int port, const std::string& city,
                                             const std::string& token) {
  return ctl::ClientChannel(absl::StrCat("127.0.0.1:", port),
                            {.plaintext = false,
                             .ca_file = absl::StrCat(TestPkiDir(), "/", city, "/tls/ca.crt"),
                             .token = token},
                            FreshConnection());
}

std::shared_ptr<grpc::Channel> PeerChannel(int port, const auth::CertAndKey& cert) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(TestPkiDir() + "/network-ca.crt");
  tls.pem_cert_chain = cert.cert_pem;
  tls.pem_private_key = cert.key_pem;
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(tls),
                                   FreshConnection());
}

auth::CertAndKey TestNetworkCa() {
  return {Read(TestPkiDir() + "/network-ca.crt"), Read(TestPkiDir() + "/network-ca.key")};
}

}  // namespace gnlc::testing
