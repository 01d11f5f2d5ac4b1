#include "common/auth/transport_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/caller.h"
#include "common/validation/validate.h"

namespace gnlc::auth {
namespace {

using grpc::experimental::FileWatcherCertificateProvider;

unsigned int RefreshSeconds(const CityConfig& city) {
  const int s = city.tls().reload_interval_seconds();
  return s > 0 ? static_cast<unsigned int>(s) : 60;
}

absl::Status NeedFile(absl::string_view setting, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the config must set ", setting));
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": cannot read ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSecuritySettings(const CityConfig& city, absl::string_view service) {
  if (!city.tls().insecure_plaintext()) {
    if (auto s = NeedFile("tls.cert_file", city.tls().cert_file()); !s.ok()) return s;
    if (auto s = NeedFile("tls.key_file", city.tls().key_file()); !s.ok()) return s;
  }
  if (city.auth().audience().empty()) {
    return absl::InvalidArgumentError("the config must set auth.audience (e.g. \"gnlc:CITY\")");
  }
  if (city.auth().issuers().empty()) {
    return absl::InvalidArgumentError("the config must name at least one auth.issuers entry");
  }
  std::set<std::string> namespaces;
  int without_namespace = 0;
  for (const auto& i : city.auth().issuers()) {
    if (i.issuer().empty()) return absl::InvalidArgumentError("auth.issuers[].issuer is empty");
    if (auto s = NeedFile("auth.issuers[].jwks_file", i.jwks_file()); !s.ok()) return s;
    if (i.roles().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth.issuers[", i.issuer(),
                       "].roles must list the roles its tokens may claim, e.g. [\"resident\"]"));
    }
    for (const std::string& role : i.roles()) {
      auto r = RoleFromName(role);
      if (!r || *r == Role::kAnonymous || *r == Role::kPeerCity) {
        return absl::InvalidArgumentError(absl::StrCat(
            "auth.issuers[", i.issuer(), "].roles names '", role,
            "': a token may claim resident, partner_admin, analyst, city_admin, service or "
            "mobile_backend"));
      }
    }
    if (i.max_token_lifetime_seconds() < 0) {
      return absl::InvalidArgumentError("auth.issuers[].max_token_lifetime_seconds is negative");
    }
    const std::string& ns = i.learner_namespace();
    if (ns.empty()) {
      ++without_namespace;
    } else if (ns.size() > 32 || !ValidateId("learner_namespace", ns).ok() ||
               !namespaces.insert(ns).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "auth.issuers[", i.issuer(),
          "].learner_namespace must be 1 to 32 of a-z, 0-9 and -, and differ from every other "
          "issuer's"));
    }
  }
  if (without_namespace > 1) {
    return absl::InvalidArgumentError(
        "at most one of auth.issuers may have no learner_namespace: residents of two issuers "
        "would own each other's learners");
  }
  // Only the catalog and analytics talk to peer cities.
  const auto& f = city.federation();
  if (!f.network_ca_file().empty() && (service == "catalog" || service == "analytics")) {
    if (auto s = NeedFile("federation.network_ca_file", f.network_ca_file()); !s.ok()) return s;
    if (auto s = NeedFile("federation.city_cert_file", f.city_cert_file()); !s.ok()) return s;
    if (auto s = NeedFile("federation.city_key_file", f.city_key_file()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> PublicServerCredentials(const CityConfig& city) {
  if (city.tls().insecure_plaintext()) return grpc::InsecureServerCredentials();
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      city.tls().key_file(), city.tls().cert_file(), RefreshSeconds(city));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const CityConfig& city) {
  const auto& f = city.federation();
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      f.city_key_file(), f.city_cert_file(), f.network_ca_file(), RefreshSeconds(city));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  // Both, or handshakes break (grpc/grpc#26133).
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> CityChannelCredentials(const CityConfig& city) {
  if (city.tls().insecure_plaintext()) return grpc::InsecureChannelCredentials();
  auto provider =
      std::make_shared<FileWatcherCertificateProvider>(city.tls().ca_file(), RefreshSeconds(city));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  return grpc::experimental::TlsCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const CityConfig& city, std::shared_ptr<PeerIdentity> peer) {
  const auto& f = city.federation();
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      f.city_key_file(), f.city_cert_file(), f.network_ca_file(), RefreshSeconds(city));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // Whom the certificate names, not the address we dialled: peers are
  // known by their SPIFFE id, not by host names.
  options.set_certificate_verifier(PeerIdentityVerifier(std::move(peer)));
  options.set_check_call_host(false);
  return grpc::experimental::TlsCredentials(options);
}

ServiceToken::ServiceToken(std::string path) : path_(std::move(path)) {}

void ServiceToken::Apply(grpc::ClientContext& ctx) const {
  if (path_.empty()) return;
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now >= next_check_) {
    next_check_ = now + absl::Seconds(1);
    const std::optional<FileStamp> stamp = StampOf(path_);
    if (stamp && *stamp != seen_) {
      std::ifstream in(path_);
      std::ostringstream text;
      text << in.rdbuf();
      const std::string token(absl::StripAsciiWhitespace(text.str()));
      if (!token.empty()) {
        bearer_ = absl::StrCat("Bearer ", token);
        seen_ = *stamp;
      }
    }
  }
  if (!bearer_.empty()) ctx.AddMetadata("authorization", bearer_);
}

}  // namespace gnlc::auth
