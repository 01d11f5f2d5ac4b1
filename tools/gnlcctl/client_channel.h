// Channels of gnlc's own clients (gnlcctl, the demo loader, the load
// generator, tests): TLS verified with a CA file, a bearer token on every
// call, or plaintext only when asked for.
//
//   auto channel = ClientChannel("127.0.0.1:50051",
//                                {.ca_file = ".run/pki/nanjing/tls/ca.crt", .token = token});
#ifndef GNLC_TOOLS_GNLCCTL_CLIENT_CHANNEL_H_
#define GNLC_TOOLS_GNLCCTL_CLIENT_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

namespace gnlc::ctl {

struct ClientSecurity {
  bool plaintext = false;
  // PEM roots that signed the server's certificate (system roots if empty).
  std::string ca_file;
  // A JWT sent as `authorization: Bearer ...`; none if empty.
  std::string token;
};

// Call credentials that add `authorization: Bearer TOKEN`.
std::shared_ptr<grpc::CallCredentials> BearerCredentials(std::string token);

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ClientSecurity& security);

std::shared_ptr<grpc::Channel> ClientChannel(const std::string& address,
                                             const ClientSecurity& security,
                                             const grpc::ChannelArguments& args = {});

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_CLIENT_CHANNEL_H_
