#include "common/auth/peer_identity.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/authenticator.h"
#include "common/server/logging.h"

namespace gnlc::auth {
namespace {

class Verifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit Verifier(std::shared_ptr<PeerIdentity> peer) : peer_(std::move(peer)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    std::vector<std::string> uris;
    for (const grpc::string_ref& uri : request->uri_names())
      uris.emplace_back(uri.data(), uri.size());
    if (peer_->Check(uris)) {
      *sync_status = grpc::Status::OK;
    } else {
      LogJson(LogLevel::kWarn, "peer presented another identity",
              {{"peer", peer_->city()},
               {"expected", peer_->spiffe_id()},
               {"presented", peer_->LastMismatch()}});
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  absl::StrCat("the server is not ", peer_->spiffe_id(),
                                               " (it presented ", peer_->LastMismatch(), ")"));
    }
    return true;  // decided synchronously
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::shared_ptr<PeerIdentity> peer_;
};

}  // namespace

PeerIdentity::PeerIdentity(std::string city)
    : city_(std::move(city)), spiffe_id_(SpiffeIdOfCity(city_)) {}

bool PeerIdentity::Check(const std::vector<std::string>& uri_names) {
  const bool match = uri_names.size() == 1 && uri_names[0] == spiffe_id_;
  absl::MutexLock lock(&mu_);
  if (match) {
    last_mismatch_.clear();
  } else {
    last_mismatch_ = uri_names.empty() ? "none" : absl::StrJoin(uri_names, ", ").substr(0, 300);
  }
  return match;
}

std::string PeerIdentity::LastMismatch() const {
  absl::MutexLock lock(&mu_);
  return last_mismatch_;
}

std::shared_ptr<grpc::experimental::CertificateVerifier> PeerIdentityVerifier(
    std::shared_ptr<PeerIdentity> peer) {
  return grpc::experimental::ExternalCertificateVerifier::Create<Verifier>(std::move(peer));
}

}  // namespace gnlc::auth
