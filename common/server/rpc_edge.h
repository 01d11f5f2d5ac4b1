// The common edge of every unary RPC: find out who is calling and check the
// permission table (common/auth/permissions.h) before anything else, then
// parse the request's bytes, run the handler's logic, map its absl::Status
// to a gRPC status with ErrorInfo, record metrics, log failures (and, if
// asked, every call) with the caller's W3C traceparent, and write an audit
// line for data-rights calls, admins' changes and denials.
//
// Services do not call this directly: RpcService (rpc_service.h)
// registers each method with it.
//
// We parse the bytes ourselves because gRPC 1.51 answers a request that
// does not parse with a bare UNIMPLEMENTED, which reads as "no
// such method"; here it is INVALID_ARGUMENT MALFORMED_REQUEST with the field.
//
// Who is calling is settled on gRPC's callback thread, before a call is
// queued for a handler: a call refused (no right, a bad token, over its
// share) costs no queue slot. A client address whose authentications keep
// failing gets no further signature checks for a while (auth_failures in
// RateLimits); refusals are logged as counts (refusal_log.h).
//
// Where the logic runs: a service with a handler pool (the ones whose
// handlers wait for Redis) runs it there, so gRPC's two callback threads
// keep taking calls (common/server/handler_pool.h); handlers that answer
// from memory run inline on gRPC's callback thread, where a hop to another
// thread would cost more than their work (BENCHMARKS.md).
#ifndef GNLC_COMMON_SERVER_RPC_EDGE_H_
#define GNLC_COMMON_SERVER_RPC_EDGE_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <array>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "common/auth/permissions.h"
#include "common/redis/live_latency.h"
#include "common/server/handler_pool.h"
#include "common/server/metrics.h"
#include "common/server/rate_limiter.h"
#include "common/server/refusal_log.h"
#include "common/server/refusal_tarpit.h"
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
  // Each caller's fair share; nullptr when the config turns limits off.
  std::shared_ptr<RateLimiter> limiter;
  // Mobile backends with limits of their own (rate_limits.backends), by id.
  absl::flat_hash_map<std::string, std::shared_ptr<RateLimiter>> backend_limiters;
  // Roles the limiter lets through: "service" and the config's exempt_roles.
  std::vector<auth::Role> unlimited_roles;
  // Calls refused by the limiter, per class (nullptr without metrics).
  std::array<prometheus::Counter*, kRateClasses> limited{};
  // Authentications that failed (each cost at most one signature check).
  prometheus::Counter* auth_failed = nullptr;
  // A response above this is a bug in a handler's paging (the client's
  // default receive limit is 4 MiB).
  size_t max_response_bytes = 4 << 20;
  // Keys the pseudonyms of subjects in audit lines (from the city's
  // page-token secret): the same caller, the same pseudonym, in every
  // service of the city.
  std::string audit_key;
  // Where handlers that wait run; nullptr: inline on gRPC's threads.
  std::shared_ptr<HandlerPool> handlers;
  // Refused and denied calls, counted (nullptr: each written in full).
  std::shared_ptr<RefusalLog> refusals;
  // Where refusals of failing sources wait for their answer (nullptr: at
  // once).
  std::shared_ptr<RefusalTarpit> tarpit;
};

// "ipv4:10.0.0.7:53211" -> "ipv4:10.0.0.7": the client's address, not its
// connection, so reconnecting changes nothing (what per-source limits count).
absl::string_view SourceAddress(absl::string_view peer);

// The key of the city's audit pseudonyms, derived from its page-token
// secret, and a token subject's pseudonym under it ("" for none).
std::string AuditKey(const ServerOptions& options);
std::string Pseudonym(absl::string_view key, absl::string_view subject);

// The edge of `service` for a server started with `options`.
RpcEdge MakeRpcEdge(const ServerOptions& options, Metrics* metrics, std::string domain);

// The same, with options.handler_threads threads for handlers that wait for
// Redis (services whose calls mostly do).
RpcEdge MakeWaitingRpcEdge(const ServerOptions& options, Metrics* metrics, std::string domain);

// Who is calling, once the table allowed the call.
struct CallAuth {
  auth::Caller caller;
  // The table allows this caller only their own objects: the handler must
  // check, and answer NOT_FOUND (wrapped in Denied()) for anyone else's.
  bool own_only = false;
  // The method's row of the table (nullptr: not in the table, denied).
  const auth::MethodPolicy* policy = nullptr;
};

// Who is calling and may they: authenticates (unless the source is out of
// failed authentications: RESOURCE_EXHAUSTED AUTH_FAILURES_FROM_SOURCE),
// takes a token of the caller's fair share (RESOURCE_EXHAUSTED
// RATE_LIMITED), then checks the table. Both refusals carry RetryInfo.
// Fills `call` when allowed.
absl::Status AuthorizeCall(const grpc::CallbackServerContext& ctx, const RpcEdge& edge,
                           absl::string_view method, absl::Time now, CallAuth& call);

// RESOURCE_EXHAUSTED SERVER_BUSY with RetryInfo: the handler queue is full.
absl::Status ServerBusy();

// For a handler that cannot check ownership but was asked to.
absl::Status DeniedUncheckedOwnership();

// Parses `in` into `request`: INVALID_ARGUMENT MALFORMED_REQUEST (with the
// field, for invalid UTF-8) when the bytes are not such a message.
absl::Status ParseRequest(const grpc::ByteBuffer& in, google::protobuf::Message& request);

// Serializes `response` into `out`, refusing (INTERNAL, logged) one larger
// than `max_bytes`: handlers cut their pages short well before that.
absl::Status SerializeResponse(const google::protobuf::Message& response, size_t max_bytes,
                               grpc::ByteBuffer& out);

// Maps `status` to the wire, records, logs and audits the call.
grpc::Status CompleteCall(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                          absl::string_view method, const google::protobuf::Message& request,
                          const CallAuth& call, const absl::Status& status, absl::Time start);

// A server stream that ends at once with `status` (refused before it began).
grpc::ServerWriteReactor<grpc::ByteBuffer>* RefuseStream(grpc::Status status);

// Opens a server stream of `method`: the same checks as a unary call (who,
// their fair share, the request's bytes), then `fn(ctx, call, req)`, which
// returns the stream's reactor or why it cannot start. The opening is what
// is recorded, logged and audited.
template <typename Request, typename Fn>
grpc::ServerWriteReactor<grpc::ByteBuffer>* OpenServerStream(grpc::CallbackServerContext* ctx,
                                                             const RpcEdge& edge,
                                                             absl::string_view method,
                                                             const grpc::ByteBuffer& in, Fn& fn) {
  const absl::Time start = absl::Now();
  CallAuth call;
  Request request;
  absl::Status status = AuthorizeCall(*ctx, edge, method, start, call);
  if (status.ok()) status = ParseRequest(in, request);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* reactor = nullptr;
  if (status.ok()) {
    absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*> opened =
        fn(ctx, std::as_const(call), std::as_const(request));
    if (opened.ok()) {
      reactor = *opened;
    } else {
      status = opened.status();
    }
  }
  grpc::Status wire = CompleteCall(ctx, edge, method, request, call, status, start);
  return reactor != nullptr ? reactor : RefuseStream(std::move(wire));
}

// Logs one finished call (called for failures, or all calls if asked).
void LogCall(const grpc::CallbackServerContext& ctx, absl::string_view method,
             const absl::Status& status, absl::Duration elapsed);

// One call of `method` by a caller AuthorizeCall let through: the request's
// bytes, then the logic. `fn(ctx, call, req, resp)` is given the caller; a
// handler `fn(ctx, req, resp)` that does not take it is never run for an
// "own" caller (it cannot check ownership, so the call fails closed).
template <typename Request, typename Response, typename Fn>
void RunUnary(grpc::CallbackServerContext* ctx, const RpcEdge& edge, absl::string_view method,
              const grpc::ByteBuffer& in, grpc::ByteBuffer& out, Fn& fn, absl::Time start,
              grpc::ServerUnaryReactor* reactor, const CallAuth& call) {
  Request request;
  Response response;
  absl::Status status = ParseRequest(in, request);
  if (status.ok()) {
    // The handler's Redis commands are what this caller waits for (bulk
    // handlers open a BulkScope inside): recorded for bulk work's pacing.
    LiveScope live;
    if constexpr (std::is_invocable_v<Fn&, grpc::CallbackServerContext*, const CallAuth&,
                                      const Request&, Response&>) {
      status = fn(ctx, call, std::as_const(request), response);
    } else if (call.own_only) {
      status = DeniedUncheckedOwnership();
    } else {
      status = fn(ctx, std::as_const(request), response);
    }
  }
  if (status.ok()) status = SerializeResponse(response, edge.max_response_bytes, out);
  reactor->Finish(CompleteCall(ctx, edge, method, request, call, status, start));
}

// How long a refusal waits in the edge's tarpit before it is answered:
// AUTH_FAILURES_FROM_SOURCE refusals, for their RetryInfo's delay within
// RefusalTarpit's bounds; nullopt for everything else.
std::optional<absl::Duration> TarpitHold(const RpcEdge& edge, const absl::Status& refused);

// Settles who is calling here, on gRPC's thread, then runs the call on the
// edge's handler pool (SERVER_BUSY when its queue is full), or inline when
// there is none or `inline_call` (a handler that answers from memory).
template <typename Request, typename Response, typename Fn>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const RpcEdge& edge,
                                     absl::string_view method, const grpc::ByteBuffer& in,
                                     grpc::ByteBuffer& out, Fn& fn, bool inline_call) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  CallAuth call;
  absl::Status refused = AuthorizeCall(*ctx, edge, method, start, call);
  if (refused.ok()) {
    if (inline_call || edge.handlers == nullptr) {
      RunUnary<Request, Response>(ctx, edge, method, in, out, fn, start, reactor, call);
      return reactor;
    }
    // The call's context and buffers live until Finish; `edge`, `method`
    // and `fn` as long as the service.
    if (edge.handlers->Post([ctx, &edge, method, &in, &out, &fn, start, reactor, call] {
          RunUnary<Request, Response>(ctx, edge, method, in, out, fn, start, reactor, call);
        })) {
      return reactor;
    }
    refused = ServerBusy();
  }
  grpc::Status wire = CompleteCall(ctx, edge, method, Request(), call, refused, start);
  if (const auto hold = TarpitHold(edge, refused)) {
    if (edge.tarpit->Hold(absl::Now() + *hold, [reactor, wire] { reactor->Finish(wire); })) {
      return reactor;
    }
  }
  reactor->Finish(wire);
  return reactor;
}

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_RPC_EDGE_H_
