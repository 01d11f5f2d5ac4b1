#include "common/status/grpc_status.h"

#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace gnlc {

bool IsInternalError(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view domain) {
  if (status.ok()) return grpc::Status::OK;
  const bool internal = IsInternalError(status.code());
  std::string message = internal ? "internal error; it has been logged, please retry later"
                                 : std::string(status.message());
  google::rpc::ErrorInfo info;
  info.set_reason(internal ? "INTERNAL" : ErrorReason(status));
  if (info.reason().empty()) info.set_reason(absl::StatusCodeToString(status.code()));
  info.set_domain(std::string(domain));
  if (!internal) {
    for (const auto& [k, v] : ErrorMetadataOf(status)) (*info.mutable_metadata())[k] = v;
  }
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(message);
  rich.add_details()->PackFrom(info);
  if (auto delay = RetryDelayOf(status); delay && !internal) {
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(*delay));
    retry.mutable_retry_delay()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(*delay % absl::Seconds(1))));
    rich.add_details()->PackFrom(retry);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      rich.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status rich;
  google::rpc::ErrorInfo info;
  google::rpc::RetryInfo retry;
  bool has_retry = false;
  if (rich.ParseFromString(status.error_details())) {
    for (const auto& any : rich.details()) {
      if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&info);
      if (any.Is<google::rpc::RetryInfo>()) has_retry = any.UnpackTo(&retry);
    }
  }
  ErrorMetadata metadata(info.metadata().begin(), info.metadata().end());
  absl::Status out = MakeError(code, info.reason(), status.error_message(), metadata);
  if (has_retry) {
    out = WithRetryDelay(std::move(out), absl::Seconds(retry.retry_delay().seconds()) +
                                             absl::Nanoseconds(retry.retry_delay().nanos()));
  }
  return out;
}

}  // namespace gnlc
