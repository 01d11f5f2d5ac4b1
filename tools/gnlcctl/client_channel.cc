#include "tools/gnlcctl/client_channel.h"

#include <grpcpp/create_channel.h>

#include <fstream>
#include <map>
#include <sstream>

namespace gnlc::ctl {
namespace {

class BearerPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerPlugin(std::string token) : bearer_("Bearer " + std::move(token)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->emplace("authorization", bearer_);
    return grpc::Status::OK;
  }

 private:
  const std::string bearer_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::shared_ptr<grpc::CallCredentials> BearerCredentials(std::string token) {
  return grpc::MetadataCredentialsFromPlugin(std::make_unique<BearerPlugin>(std::move(token)));
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ClientSecurity& security) {
  // gRPC sends call credentials over TLS only, so plaintext carries none.
  if (security.plaintext) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions tls;
  if (!security.ca_file.empty()) tls.pem_root_certs = ReadAll(security.ca_file);
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(tls);
  if (!security.token.empty()) {
    creds = grpc::CompositeChannelCredentials(creds, BearerCredentials(security.token));
  }
  return creds;
}

std::shared_ptr<grpc::Channel> ClientChannel(const std::string& address,
                                             const ClientSecurity& security,
                                             const grpc::ChannelArguments& args) {
  return grpc::CreateCustomChannel(address, ClientCredentials(security), args);
}

}  // namespace gnlc::ctl
