// The common edge of every unary RPC handler on the callback API: find out
// who is calling and check the permission table (common/auth/permissions.h)
// before any logic runs, run the handler's logic, map its absl::Status to a
// gRPC status with ErrorInfo, record metrics, log failures (and, if asked,
// every call) with the caller's W3C traceparent, and write an audit line
// for data-rights calls, admins' changes and denials.
//
//   grpc::ServerUnaryReactor* GetProgram(grpc::CallbackServerContext* ctx,
//                                        const GetProgramRequest* req,
//                                        GetProgramResponse* resp) override {
//     return ServeUnary(ctx, edge_, "GetProgram", *req, [&] { return DoGet(*req, *resp); });
//   }
//
// A handler whose table row says "own" for some role takes the caller and
// checks the object itself:
//     return ServeUnary(ctx, edge_, "GetLearner", *req,
//                       [&](const CallAuth& call) { return DoGetLearner(call, *req, *resp); });
// A handler that does not take the caller is never run for an "own" caller
// (it fails closed).
//
// The logic runs inline on gRPC's callback thread: with our fixed Redis pool
// that measured best on this hardware (DESIGN.md, "Serving").
#ifndef GNLC_COMMON_SERVER_UNARY_CALL_H_
#define GNLC_COMMON_SERVER_UNARY_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "common/auth/permissions.h"
#include "common/server/metrics.h"
#include "common/server/server_options.h"
#include "common/status/grpc_status.h"

namespace gnlc {

// What every handler of one service shares.
struct RpcEdge {
  Metrics* metrics = nullptr;
  std::string domain;   // ErrorInfo domain, e.g. "catalog.gnlc.org"
  std::string service;  // full service name, e.g. "gnlc.catalog.v1.CatalogService"
  bool log_requests = false;
  std::shared_ptr<const auth::Authenticator> authn;
};

// The edge of `service` for a server started with `options`.
RpcEdge MakeRpcEdge(const ServerOptions& options, Metrics* metrics, std::string domain,
                    std::string service);

// Who is calling, once the table allowed the call.
struct CallAuth {
  auth::Caller caller;
  // The table allows this caller only their own objects: the handler must
  // check, and answer NOT_FOUND (wrapped in Denied()) for anyone else's.
  bool own_only = false;
  // The method's row of the table (nullptr: not in the table, denied).
  const auth::MethodPolicy* policy = nullptr;
};

// Authenticates and checks the table; fills `call` when allowed.
absl::Status AuthorizeCall(const grpc::CallbackServerContext& ctx, const RpcEdge& edge,
                           absl::string_view method, absl::Time now, CallAuth& call);

// For a handler that cannot check ownership but was asked to.
absl::Status DeniedUncheckedOwnership();

// Maps, records, logs, audits and finishes the call.
grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                                     absl::string_view method,
                                     const google::protobuf::Message& request, const CallAuth& call,
                                     const absl::Status& status, absl::Time start);

// Logs one finished call (called for failures, or all calls if asked).
void LogCall(const grpc::CallbackServerContext& ctx, absl::string_view method,
             const absl::Status& status, absl::Duration elapsed);

template <typename Fn>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                                     absl::string_view method,
                                     const google::protobuf::Message& request, Fn&& fn) {
  const absl::Time start = absl::Now();
  CallAuth call;
  absl::Status status = AuthorizeCall(*ctx, edge, method, start, call);
  if (status.ok()) {
    if constexpr (std::is_invocable_v<Fn&, const CallAuth&>) {
      status = fn(std::as_const(call));
    } else if (call.own_only) {
      status = DeniedUncheckedOwnership();
    } else {
      status = fn();
    }
  }
  return FinishCall(ctx, edge, method, request, call, status, start);
}

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_UNARY_CALL_H_
