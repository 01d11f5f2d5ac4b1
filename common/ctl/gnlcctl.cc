// gnlcctl: call any gnlc RPC from the shell with a JSON request.
//
//   gnlcctl list
//   gnlcctl --city=nanjing catalog.SearchPrograms '{"parent":"cities/nanjing","query":"书法"}'
//   echo '{"name":"cities/suzhou/programs/p1"}' | gnlcctl --city=suzhou catalog.GetProgram -
//   gnlcctl --addr=127.0.0.1:50051 grpc.health.v1.Health.Check '{}'
//
// The response is printed as JSON on stdout. A failed call prints its code,
// message and ErrorInfo on stderr and exits 1; a usage error exits 2.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ctl/json_rpc.h"
#include "common/status/errors.h"

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "gnlcctl: %s\n"
               "usage: gnlcctl [--city=ID] [--network=FILE] [--addr=HOST:PORT] [--timeout_ms=N]\n"
               "               SERVICE.METHOD JSON|-\n"
               "       gnlcctl list\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string city = "nanjing", network = ".run/network.json", addr;
  int timeout_ms = 5000;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (absl::StartsWith(a, "--city="))
      city = a.substr(7);
    else if (absl::StartsWith(a, "--network="))
      network = a.substr(10);
    else if (absl::StartsWith(a, "--addr="))
      addr = a.substr(7);
    else if (absl::StartsWith(a, "--timeout_ms="))
      timeout_ms = std::atoi(a.c_str() + 13);
    else if (absl::StartsWith(a, "--"))
      return Usage("unknown flag " + a);
    else
      args.push_back(a);
  }
  if (args.size() == 1 && args[0] == "list") {
    for (const auto& m : gnlc::ctl::ListMethods()) std::printf("%s\n", m.c_str());
    return 0;
  }
  if (args.size() != 2) return Usage("expected a method and a JSON request");
  auto method = gnlc::ctl::ResolveMethod(args[0]);
  if (!method.ok()) return Usage(std::string(method.status().message()));
  std::string request = args[1];
  if (request == "-") {
    request.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (addr.empty()) {
    std::string service = gnlc::ctl::ServiceKey(*method);
    if (absl::StartsWith(*method, "grpc.health")) service = "catalog";
    auto found = gnlc::ctl::AddressFromNetworkFile(network, city, service);
    if (!found.ok()) return Usage(std::string(found.status().message()));
    addr = *found;
  }
  auto channel = gnlc::ctl::PlaintextChannel(addr);
  auto response = gnlc::ctl::CallJson(*channel, *method, request, absl::Milliseconds(timeout_ms));
  if (!response.ok()) {
    std::string metadata;
    for (const auto& [k, v] : gnlc::ErrorMetadataOf(response.status())) {
      absl::StrAppend(&metadata, metadata.empty() ? "" : ", ", k, "=", v);
    }
    std::fprintf(stderr, "%s: %s\n  reason: %s\n  metadata: {%s}\n",
                 absl::StatusCodeToString(response.status().code()).c_str(),
                 std::string(response.status().message()).c_str(),
                 gnlc::ErrorReason(response.status()).c_str(), metadata.c_str());
    return 1;
  }
  std::printf("%s\n", response->c_str());
  return 0;
}
