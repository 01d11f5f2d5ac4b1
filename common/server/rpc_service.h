// The base of every gnlc gRPC service. Rpc() is the one way a method is
// registered: it takes the service's member function that handles it, finds
// the method by the function's request and response types, and puts the
// common edge (rpc_edge.h: who is calling, their share, the request's bytes,
// status, metrics, audit) in front of it.
//
//   class PartnershipService final : public RpcService<pb::PartnershipService> {
//     PartnershipService(...) : RpcService(MakeWaitingRpcEdge(options, metrics, "...")) {
//       Rpc(&PartnershipService::DoCreatePartner, {.needs_ready = true});
//       Rpc(&PartnershipService::DoGetPartner, {.inline_call = true, .needs_ready = true});
//       Rpc(&PartnershipService::DoUpdatePartner,
//           {.own_check = [this](const CallAuth& call, const auto& req) { ... }});
//       ...
//       CheckAllServed();  // every method of the service, or the process stops here
//     }
//   };
//
// A handler has one of these shapes (Req, Resp: the method's messages):
//   absl::Status DoX(const Req&, Resp&);
//   absl::Status DoX(const CallAuth&, const Req&, Resp&);   // sees the caller
//   ... the same with a last `absl::Time deadline` (the call's);
//   absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*>
//       DoX(const CallAuth&, const Req&);                    // a server stream
// A handler that does not see the caller never runs for a caller the
// permission table allows only their own objects, unless an own_check
// decides first: ownership fails closed.
#ifndef GNLC_COMMON_SERVER_RPC_SERVICE_H_
#define GNLC_COMMON_SERVER_RPC_SERVICE_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/server/rpc_edge.h"

namespace gnlc {

// Aborts the process with `message` (a programming error found at start).
[[noreturn]] void ServiceSetupError(absl::string_view message);

// How one method is served.
template <typename Request>
struct RpcOptions {
  // On gRPC's callback thread, never queued for the handler pool: for a
  // handler that answers from memory and never waits (a hop costs more).
  bool inline_call = false;
  // Refused with the service's CheckReady() until it is ready (its data
  // loaded at start).
  bool needs_ready = false;
  // For a caller allowed only their own objects: refuses anything not
  // theirs (NOT_FOUND through Denied()) before the handler runs.
  std::function<absl::Status(const CallAuth&, const Request&)> own_check = nullptr;
};

namespace rpc_internal {

template <typename T>
using Bare = std::remove_cv_t<std::remove_reference_t<T>>;

template <bool kStream, size_t kAt, typename Args>
struct ResponseOf {
  using type = std::tuple_element_t<kAt, Args>;
};
template <size_t kAt, typename Args>
struct ResponseOf<true, kAt, Args> {
  using type = void;  // a stream writes its responses itself
};

// What a handler member function takes and returns.
template <typename F>
struct Handler;
template <typename S, typename R, typename... A>
struct Handler<R (S::*)(A...)> {
  using Self = S;
  using Args = std::tuple<Bare<A>...>;
  static constexpr size_t kArity = sizeof...(A);
  static constexpr bool kStream = !std::is_same_v<R, absl::Status>;
  static constexpr bool kSeesCaller =
      kArity > 0 && std::is_same_v<std::tuple_element_t<0, std::tuple<Bare<A>..., void>>, CallAuth>;
  static constexpr size_t kFirst = kSeesCaller ? 1 : 0;  // the request's position
  using Request = std::tuple_element_t<kFirst, Args>;
  using Response = typename ResponseOf<kStream, kFirst + 1, Args>::type;
  static constexpr bool kTakesDeadline = !kStream && kArity == kFirst + 3;
  static_assert(kStream ? (kSeesCaller && kArity == 2) : (kArity == kFirst + 2 || kTakesDeadline),
                "a handler is DoX([const CallAuth&,] const Req&, Resp& [, absl::Time deadline]) "
                "or a stream DoX(const CallAuth&, const Req&)");
};
template <typename S, typename R, typename... A>
struct Handler<R (S::*)(A...) const> : Handler<R (S::*)(A...)> {};

}  // namespace rpc_internal

// `Grpc` is the generated outer class, e.g. gnlc::catalog::v1::CatalogService.
template <typename Grpc>
class RpcService : public Grpc::Service {
 public:
  const RpcEdge& edge() const { return edge_; }

 protected:
  explicit RpcService(RpcEdge edge)
      : edge_(std::move(edge)),
        descriptor_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            Grpc::service_full_name())),
        served_(descriptor_ != nullptr ? descriptor_->method_count() : 0, false) {
    edge_.service = Grpc::service_full_name();
    if (descriptor_ == nullptr) ServiceSetupError("a service without a descriptor");
  }

  // Whether the service can answer yet (for methods registered with
  // needs_ready): OK, or UNAVAILABLE with what it is waiting for.
  virtual absl::Status CheckReady() const { return absl::OkStatus(); }

  // Serves the method that `handler` (a member function of the service)
  // handles, as `options` say.
  template <typename Fn>
  void Rpc(Fn handler, RpcOptions<typename rpc_internal::Handler<Fn>::Request> options = {}) {
    using H = rpc_internal::Handler<Fn>;
    using Request = typename H::Request;
    auto* self = static_cast<typename H::Self*>(this);
    if constexpr (H::kStream) {
      if (options.inline_call || options.needs_ready || options.own_check) {
        ServiceSetupError("a server stream takes no RpcOptions");
      }
      const auto* m = MethodFor(Request::descriptor(), nullptr);
      served_[m->index()] = true;
      this->MarkMethodRawCallback(
          m->index(),
          new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [this, self, handler, name = m->name()](grpc::CallbackServerContext* ctx,
                                                      const grpc::ByteBuffer* in) {
                auto open = [self, handler](grpc::CallbackServerContext*, const CallAuth& call,
                                            const Request& req) {
                  return (self->*handler)(call, req);
                };
                return OpenServerStream<Request>(ctx, edge_, name, *in, open);
              }));
    } else {
      using Response = typename H::Response;
      const auto* m = MethodFor(Request::descriptor(), Response::descriptor());
      served_[m->index()] = true;
      const bool sees_owner = H::kSeesCaller || options.own_check != nullptr;
      const bool inline_call = options.inline_call;
      auto fn = [this, self, handler, options = std::move(options), sees_owner](
                    grpc::CallbackServerContext* ctx, const CallAuth& call, const Request& req,
                    Response& resp) -> absl::Status {
        if (call.own_only && !sees_owner) return DeniedUncheckedOwnership();
        if (options.needs_ready) {
          if (absl::Status ready = CheckReady(); !ready.ok()) return ready;
        }
        if (call.own_only && options.own_check) {
          if (absl::Status mine = options.own_check(call, req); !mine.ok()) return mine;
        }
        if constexpr (H::kSeesCaller && H::kTakesDeadline) {
          return (self->*handler)(call, req, resp, absl::FromChrono(ctx->deadline()));
        } else if constexpr (H::kSeesCaller) {
          return (self->*handler)(call, req, resp);
        } else if constexpr (H::kTakesDeadline) {
          return (self->*handler)(req, resp, absl::FromChrono(ctx->deadline()));
        } else {
          return (self->*handler)(req, resp);
        }
      };
      this->MarkMethodRawCallback(
          m->index(), new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                          [this, name = m->name(), fn = std::move(fn), inline_call](
                              grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                              grpc::ByteBuffer* out) mutable {
                            return ServeUnary<Request, Response>(ctx, edge_, name, *in, *out, fn,
                                                                 inline_call);
                          }));
    }
  }

  // Aborts unless every method of the service was given to Rpc: one left
  // out would be answered by gRPC's synchronous default.
  void CheckAllServed() const {
    for (int i = 0; i < descriptor_->method_count(); ++i) {
      if (!served_[i]) ServiceSetupError(descriptor_->method(i)->full_name() + " is not served");
    }
  }

  RpcEdge edge_;

 private:
  // The one method taking `input` and answering `output` (a server stream
  // when `output` is null); aborts at start when there is not exactly one,
  // or it was registered already.
  const google::protobuf::MethodDescriptor* MethodFor(
      const google::protobuf::Descriptor* input, const google::protobuf::Descriptor* output) const {
    const google::protobuf::MethodDescriptor* found = nullptr;
    for (int i = 0; i < descriptor_->method_count(); ++i) {
      const auto* m = descriptor_->method(i);
      const bool stream = output == nullptr;
      if (m->input_type() != input || m->client_streaming() || m->server_streaming() != stream ||
          (!stream && m->output_type() != output)) {
        continue;
      }
      if (found != nullptr)
        ServiceSetupError(input->full_name() + " is the request of two methods");
      found = m;
    }
    if (found == nullptr) {
      ServiceSetupError(input->full_name() + " is the request of no method of " +
                        descriptor_->full_name() + " with this handler's shape");
    }
    if (served_[found->index()]) ServiceSetupError(found->full_name() + " is registered twice");
    return found;
  }

  const google::protobuf::ServiceDescriptor* descriptor_;
  std::vector<bool> served_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_RPC_SERVICE_H_
