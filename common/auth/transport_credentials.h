// The TLS of every gnlc connection, from the city's config (paths already
// resolved by ParseServerOptions). Certificates are watched on disk by
// gRPC's FileWatcherCertificateProvider, so a rotated key and certificate
// (written side by side, then renamed into place) take effect for new
// connections without a restart.
//
//   builder.AddListeningPort(addr, PublicServerCredentials(city), &port);
//   auto channel = grpc::CreateChannel(catalog, CityChannelCredentials(city));
#ifndef GNLC_COMMON_AUTH_TRANSPORT_CREDENTIALS_H_
#define GNLC_COMMON_AUTH_TRANSPORT_CREDENTIALS_H_

#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/file_stamp.h"
#include "common/auth/peer_identity.h"
#include "common/config/city_config.h"

namespace gnlc::auth {

// Checks at start that what the config names exists: certificate and key
// unless insecure_plaintext; an audience and at least one issuer; for the
// catalog and analytics, the federation files when federation is set. The
// message names the missing setting.
absl::Status CheckSecuritySettings(const CityConfig& city, absl::string_view service);

// The public port: TLS with the service's certificate (no client
// certificate asked for), or plaintext when the config says so explicitly.
std::shared_ptr<grpc::ServerCredentials> PublicServerCredentials(const CityConfig& city);

// The peer port: mutual TLS, the city's certificate, and a client
// certificate signed by the network CA required from every peer.
std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(const CityConfig& city);

// For calls to this city's own services (TLS verified with tls.ca_file).
std::shared_ptr<grpc::ChannelCredentials> CityChannelCredentials(const CityConfig& city);

// For calls to the peer city `peer`: mutual TLS with this city's
// certificate; the server's chain verified with the network CA and its
// SPIFFE id with `peer` (peer_identity.h).
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const CityConfig& city, std::shared_ptr<PeerIdentity> peer);

// This service's own token (auth.service_token_file), re-read when the
// file changes (looked at most once a second), put on calls to the city's
// other services.
class ServiceToken final {
 public:
  explicit ServiceToken(std::string path);
  // Adds `authorization: Bearer ...` when a token is available.
  void Apply(grpc::ClientContext& ctx) const;

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  mutable std::string bearer_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable FileStamp seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_TRANSPORT_CREDENTIALS_H_
