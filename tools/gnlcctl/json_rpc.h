// Calling any RPC of the gnlc contract with a JSON request, by name, using
// the descriptors compiled into the binary (protobuf's JSON mapping). This
// is what gnlcctl is made of; tools and the demo loader share it.
//
//   auto channel = ChannelForCity(".run/network.json", "nanjing", "catalog");
//   auto out = CallJson(*channel, "catalog.GetProgram",
//                       R"({"name": "cities/nanjing/programs/p1"})", absl::Seconds(5));
#ifndef GNLC_TOOLS_GNLCCTL_JSON_RPC_H_
#define GNLC_TOOLS_GNLCCTL_JSON_RPC_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gnlc::ctl {

// "catalog.GetProgram", "CatalogService.GetProgram" or
// "gnlc.catalog.v1.CatalogService/GetProgram" -> the method's full name
// ("gnlc.catalog.v1.CatalogService.GetProgram"). NOT_FOUND lists choices.
absl::StatusOr<std::string> ResolveMethod(absl::string_view name);

// Every callable method, "gnlc.catalog.v1.CatalogService.GetProgram" etc.
std::vector<std::string> ListMethods();

// The short service key of a method ("catalog"), for network.json lookups.
std::string ServiceKey(absl::string_view full_method);

// Calls the method with `request_json`; returns the response as JSON. A
// failed call returns its status (with the server's ErrorInfo).
// `bearer_token`, if given, is sent as `authorization: Bearer ...` on this
// call (for plaintext channels, which carry no call credentials).
absl::StatusOr<std::string> CallJson(grpc::Channel& channel, absl::string_view method,
                                     absl::string_view request_json, absl::Duration timeout,
                                     const std::string& bearer_token = "");

// Sends `request` as it is (no check that it parses) to `path`
// ("/gnlc.catalog.v1.CatalogService/GetProgram"); `response` gets the reply's
// bytes. For tools and tests that must send what a client library never
// would.
grpc::Status CallRaw(grpc::Channel& channel, const std::string& path, absl::string_view request,
                     absl::Duration timeout, const std::string& bearer_token,
                     std::string& response);

// The address of `service` in `city` from a network.json written by
// deploy/local/up.sh: {"nanjing": {"catalog": "127.0.0.1:PORT", ...}, ...}.
absl::StatusOr<std::string> AddressFromNetworkFile(const std::string& path, absl::string_view city,
                                                   absl::string_view service);

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_JSON_RPC_H_
