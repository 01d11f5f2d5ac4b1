#include "tools/gnlcctl/json_rpc.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/grpc_status.h"
#include "gnlc/analytics/v1/analytics_service.pb.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"
#include "gnlc/partnership/v1/partnership_service.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.pb.h"

namespace gnlc::ctl {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::MethodDescriptor;

constexpr const char* kServices[] = {"gnlc.catalog.v1.CatalogService",
                                     "gnlc.enrollment.v1.EnrollmentService",
                                     "gnlc.partnership.v1.PartnershipService",
                                     "gnlc.analytics.v1.AnalyticsService", "grpc.health.v1.Health"};

// Descriptors register when their generated object file is linked in; the
// linker keeps only files something references, so reference one message of
// each service file here.
void RegisterDescriptors() {
  static const bool done = [] {
    (void)gnlc::catalog::v1::CreateProgramRequest::descriptor();
    (void)gnlc::enrollment::v1::CreateLearnerRequest::descriptor();
    (void)gnlc::partnership::v1::CreatePartnerRequest::descriptor();
    (void)gnlc::analytics::v1::GetScorecardRequest::descriptor();
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
    return true;
  }();
  (void)done;
}

const MethodDescriptor* FindMethod(absl::string_view full) {
  RegisterDescriptors();
  return DescriptorPool::generated_pool()->FindMethodByName(std::string(full));
}

}  // namespace

std::vector<std::string> ListMethods() {
  RegisterDescriptors();
  std::vector<std::string> out;
  for (const char* s : kServices) {
    const auto* service = DescriptorPool::generated_pool()->FindServiceByName(s);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      if (service->method(i)->server_streaming()) continue;
      out.push_back(service->method(i)->full_name());
    }
  }
  return out;
}

absl::StatusOr<std::string> ResolveMethod(absl::string_view name) {
  std::string wanted(name);
  std::replace(wanted.begin(), wanted.end(), '/', '.');
  if (FindMethod(wanted) != nullptr) return wanted;
  const std::vector<std::string> parts = absl::StrSplit(wanted, '.');
  if (parts.size() == 2) {
    for (const std::string& full : ListMethods()) {
      const std::vector<std::string> f = absl::StrSplit(full, '.');
      const std::string& service = f[f.size() - 2];
      if (f.back() != parts[1]) continue;
      if (service == parts[0] || ServiceKey(full) == parts[0]) return full;
    }
  }
  return absl::NotFoundError(absl::StrCat("no method '", name, "'; try `gnlcctl list`"));
}

std::string ServiceKey(absl::string_view full_method) {
  const std::vector<std::string> f = absl::StrSplit(full_method, '.');
  return f.size() >= 2 ? f[1] : std::string();  // gnlc.<key>.v1.Service.Method
}

grpc::Status CallRaw(grpc::Channel& channel, const std::string& path, absl::string_view request,
                     absl::Duration timeout, const std::string& bearer_token,
                     std::string& response) {
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer send(&slice, 1), receive;
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  if (!bearer_token.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer_token);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, path, grpc::StubOptions(), &send, &receive,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  response.clear();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  (void)receive.Dump(&slices);
  for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

absl::StatusOr<std::string> CallJson(grpc::Channel& channel, absl::string_view method,
                                     absl::string_view request_json, absl::Duration timeout,
                                     const std::string& bearer_token) {
  const MethodDescriptor* m = FindMethod(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method '", method, "'"));
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(m->input_type())->New());
  std::unique_ptr<google::protobuf::Message> response(
      factory.GetPrototype(m->output_type())->New());
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(request_json.data(), request_json.size()), request.get());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request is not a valid ",
                                                   m->input_type()->full_name(), ": ",
                                                   std::string(parsed.message())));
  }
  const std::string path = absl::StrCat("/", m->service()->full_name(), "/", m->name());
  std::string out_bytes;
  grpc::Status status =
      CallRaw(channel, path, request->SerializeAsString(), timeout, bearer_token, out_bytes);
  if (!status.ok()) return FromGrpcStatus(status);
  if (!response->ParseFromString(out_bytes)) return absl::DataLossError("unparsable response");
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*response, &json, print);
  return json;
}

absl::StatusOr<std::string> AddressFromNetworkFile(const std::string& path, absl::string_view city,
                                                   absl::string_view service) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path,
                                            ": start the network with deploy/local/up.sh, or "
                                            "pass --addr=HOST:PORT"));
  }
  nlohmann::json network = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  const std::string c(city), s(service);
  if (network.is_discarded() || !network.contains(c) || !network[c].contains(s) ||
      !network[c][s].is_string()) {
    return absl::NotFoundError(absl::StrCat(path, " has no address for ", c, "/", s));
  }
  return network[c][s].get<std::string>();
}

}  // namespace gnlc::ctl
