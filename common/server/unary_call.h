// The common edge of every unary RPC handler on the callback API: run the
// handler's logic, map its absl::Status to a gRPC status with ErrorInfo,
// record metrics, and log failures (and, if asked, every call) with the
// caller's W3C traceparent.
//
//   grpc::ServerUnaryReactor* GetProgram(grpc::CallbackServerContext* ctx,
//                                        const GetProgramRequest* req,
//                                        GetProgramResponse* resp) override {
//     return ServeUnary(ctx, edge_, "GetProgram", [&] { return DoGet(*req, *resp); });
//   }
//
// The logic runs inline on gRPC's callback thread: with our fixed Redis pool
// that measured best on this hardware (DESIGN.md, "Serving").
#ifndef GNLC_COMMON_SERVER_UNARY_CALL_H_
#define GNLC_COMMON_SERVER_UNARY_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/server/metrics.h"
#include "common/status/grpc_status.h"

namespace gnlc {

// What every handler of one service shares.
struct RpcEdge {
  Metrics* metrics = nullptr;
  std::string domain;  // ErrorInfo domain, e.g. "catalog.gnlc.org"
  bool log_requests = false;
};

// Logs one finished call (called for failures, or all calls if asked).
void LogCall(const grpc::CallbackServerContext& ctx, absl::string_view method,
             const absl::Status& status, absl::Duration elapsed);

template <typename Fn>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                                     absl::string_view method, Fn&& fn) {
  const absl::Time start = absl::Now();
  const absl::Status status = fn();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  grpc::Status wire = ToGrpcStatus(status, edge.domain);
  const absl::Duration elapsed = absl::Now() - start;
  if (edge.metrics != nullptr) {
    edge.metrics->Record(method, wire.error_code(), absl::ToDoubleSeconds(elapsed));
  }
  if (!status.ok() || edge.log_requests) LogCall(*ctx, method, status, elapsed);
  reactor->Finish(std::move(wire));
  return reactor;
}

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_UNARY_CALL_H_
