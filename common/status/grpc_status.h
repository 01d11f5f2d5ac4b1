// The edge between absl::Status inside and grpc::Status on the wire.
//
//   grpc::Status wire = ToGrpcStatus(status, "catalog.gnlc.org");
//
// The code maps one to one. Details carry a google.rpc.Status with an
// ErrorInfo (reason, domain, metadata). INTERNAL, UNKNOWN and DATA_LOSS never
// reach the caller with their message: it may name keys or scripts, so it is
// replaced by a generic one (the original is logged by the server).
#ifndef GNLC_COMMON_STATUS_GRPC_STATUS_H_
#define GNLC_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gnlc {

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view domain);

// The inverse, for clients of our own services (reason and metadata kept).
absl::Status FromGrpcStatus(const grpc::Status& status);

// True for codes whose messages are hidden from callers.
bool IsInternalError(absl::StatusCode code);

}  // namespace gnlc

#endif  // GNLC_COMMON_STATUS_GRPC_STATUS_H_
