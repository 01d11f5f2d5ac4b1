// Errors that carry a machine-readable reason for the caller.
//
// Services build errors with these helpers; the gRPC edge (grpc_status.h)
// turns the reason and metadata into a google.rpc.ErrorInfo:
//
//   return InvalidArgument("FIELD_TOO_LONG", "program.title.zh is longer "
//                          "than 200 characters", {{"field", "title.zh"}});
#ifndef GNLC_COMMON_STATUS_ERRORS_H_
#define GNLC_COMMON_STATUS_ERRORS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gnlc {

using ErrorMetadata = std::map<std::string, std::string>;

// An error with `code`, a message for the caller and an UPPER_SNAKE reason.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const ErrorMetadata& metadata = {});

inline absl::Status InvalidArgument(absl::string_view reason, absl::string_view message,
                                    const ErrorMetadata& metadata = {}) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, message, metadata);
}
inline absl::Status NotFound(absl::string_view reason, absl::string_view message,
                             const ErrorMetadata& metadata = {}) {
  return MakeError(absl::StatusCode::kNotFound, reason, message, metadata);
}
inline absl::Status FailedPrecondition(absl::string_view reason, absl::string_view message,
                                       const ErrorMetadata& metadata = {}) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, message, metadata);
}
inline absl::Status Aborted(absl::string_view reason, absl::string_view message,
                            const ErrorMetadata& metadata = {}) {
  return MakeError(absl::StatusCode::kAborted, reason, message, metadata);
}
inline absl::Status Unavailable(absl::string_view reason, absl::string_view message,
                                const ErrorMetadata& metadata = {}) {
  return MakeError(absl::StatusCode::kUnavailable, reason, message, metadata);
}

// A client reused an idempotency key for a different request.
inline absl::Status RequestIdReused() {
  return InvalidArgument("REQUEST_ID_REUSED",
                         "request_id was already used for a different request: use a new "
                         "request_id for a new request",
                         {{"field", "request_id"}});
}

// Marks `status` as an authorization denial, for the audit log only: the
// caller sees exactly `status` (an object-level denial is NOT_FOUND, the
// same as for a name that does not exist).
absl::Status Denied(absl::Status status);
bool IsDenied(const absl::Status& status);

// `status` carrying a google.rpc.RetryInfo: the caller may retry after
// `delay` (rate limits; the gRPC edge sends it in the details).
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
// The delay attached by WithRetryDelay (or a server's RetryInfo, through
// FromGrpcStatus).
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);

// The reason attached by MakeError, or "" when there is none.
std::string ErrorReason(const absl::Status& status);
// The metadata attached by MakeError.
ErrorMetadata ErrorMetadataOf(const absl::Status& status);

}  // namespace gnlc

#endif  // GNLC_COMMON_STATUS_ERRORS_H_
