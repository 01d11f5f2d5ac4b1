// The identity a peer city's server must present: the SPIFFE id
// spiffe://gnlc.network/cities/{city} of the city we meant to call. Any
// certificate the network CA signed verifies as a chain, so without this
// check any member city could answer on another's address and serve
// records in its name.
//
//   auto suzhou = std::make_shared<PeerIdentity>("suzhou");
//   auto channel = grpc::CreateChannel(address, PeerChannelCredentials(city, suzhou));
//   ...a call fails...
//   if (auto presented = suzhou->LastMismatch(); !presented.empty()) ...
#ifndef GNLC_COMMON_AUTH_PEER_IDENTITY_H_
#define GNLC_COMMON_AUTH_PEER_IDENTITY_H_

#include <grpcpp/security/tls_certificate_verifier.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"

namespace gnlc::auth {

class PeerIdentity final {
 public:
  explicit PeerIdentity(std::string city);

  const std::string& city() const { return city_; }
  const std::string& spiffe_id() const { return spiffe_id_; }

  // Whether a server presenting these URI SANs is this peer: exactly one,
  // and it is the peer's SPIFFE id. Remembers a mismatch (cleared by a
  // match), for the peer's status.
  bool Check(const std::vector<std::string>& uri_names);
  // The identity the last refused server presented ("none" without a URI
  // SAN), or "" when the last handshake matched.
  std::string LastMismatch() const;

 private:
  const std::string city_;
  const std::string spiffe_id_;
  mutable absl::Mutex mu_;
  std::string last_mismatch_ ABSL_GUARDED_BY(mu_);
};

// The certificate verifier of a channel to `peer` (gRPC checks the chain
// against the network CA first; this checks whom it names).
std::shared_ptr<grpc::experimental::CertificateVerifier> PeerIdentityVerifier(
    std::shared_ptr<PeerIdentity> peer);

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_PEER_IDENTITY_H_
