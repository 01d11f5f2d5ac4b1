#include "common/status/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace gnlc {
namespace {
// Payload key under which the ErrorInfo travels inside an absl::Status.
constexpr absl::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const ErrorMetadata& metadata) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

namespace {
google::rpc::ErrorInfo InfoOf(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  if (auto payload = status.GetPayload(kErrorInfoUrl)) {
    info.ParseFromString(std::string(*payload));
  }
  return info;
}
}  // namespace

std::string ErrorReason(const absl::Status& status) { return InfoOf(status).reason(); }

ErrorMetadata ErrorMetadataOf(const absl::Status& status) {
  ErrorMetadata out;
  const google::rpc::ErrorInfo info = InfoOf(status);
  for (const auto& [k, v] : info.metadata()) out[k] = v;
  return out;
}

namespace {
constexpr char kDeniedUrl[] = "type.gnlc.org/gnlc.Denied";
}  // namespace

absl::Status Denied(absl::Status status) {
  status.SetPayload(kDeniedUrl, absl::Cord("1"));
  return status;
}

bool IsDenied(const absl::Status& status) { return status.GetPayload(kDeniedUrl).has_value(); }

}  // namespace gnlc
