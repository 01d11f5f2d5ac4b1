// The base of every gnlc gRPC service: each unary method (and each server
// stream) is registered with the common edge (unary_call.h), which reads the
// request's bytes itself.
//
//   class CatalogService final : public UnaryService<pb::CatalogService> {
//     CatalogService(...) : UnaryService(MakeRpcEdge(options, metrics, "catalog.gnlc.org")) {
//       Serve<pb::GetProgramRequest, pb::GetProgramResponse>(
//           "GetProgram", [this](auto*, const auto& req, auto& resp) { return DoGet(req, resp); });
//       ...
//       CheckAllServed();
//     }
//   };
//
// A handler that checks ownership takes the caller:
//   [this](auto*, const CallAuth& call, const auto& req, auto& resp) {...}
// The first argument is the call's grpc::CallbackServerContext (deadline,
// metadata).
#ifndef GNLC_COMMON_SERVER_UNARY_SERVICE_H_
#define GNLC_COMMON_SERVER_UNARY_SERVICE_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/server/unary_call.h"

namespace gnlc {

// Aborts the process with `message` (a programming error found at start).
[[noreturn]] void ServiceSetupError(absl::string_view message);

// `Grpc` is the generated outer class, e.g. gnlc::catalog::v1::CatalogService.
template <typename Grpc>
class UnaryService : public Grpc::Service {
 public:
  const RpcEdge& edge() const { return edge_; }

 protected:
  explicit UnaryService(RpcEdge edge)
      : edge_(std::move(edge)),
        descriptor_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            Grpc::service_full_name())),
        served_(descriptor_ != nullptr ? descriptor_->method_count() : 0, false) {
    edge_.service = Grpc::service_full_name();
    if (descriptor_ == nullptr) ServiceSetupError("a service without a descriptor");
  }

  // Serves the unary method `method` with `fn`, on the edge's handler pool
  // if it has one. The types must be the method's own (checked here, once,
  // at start).
  template <typename Request, typename Response, typename Fn>
  void Serve(absl::string_view method, Fn fn) {
    Register<Request, Response>(method, std::move(fn), /*inline_call=*/false);
  }

  // The same, always inline on gRPC's callback thread: for a handler that
  // answers from memory and never waits (a thread hop would cost more).
  template <typename Request, typename Response, typename Fn>
  void ServeInline(absl::string_view method, Fn fn) {
    Register<Request, Response>(method, std::move(fn), /*inline_call=*/true);
  }

 private:
  template <typename Request, typename Response, typename Fn>
  void Register(absl::string_view method, Fn fn, bool inline_call) {
    const auto* m = descriptor_->FindMethodByName(std::string(method));
    if (m == nullptr || m->client_streaming() || m->server_streaming() ||
        m->input_type() != Request::descriptor() || m->output_type() != Response::descriptor()) {
      ServiceSetupError(std::string(method) + " is not a unary method with these types");
    }
    served_[m->index()] = true;
    this->MarkMethodRawCallback(
        m->index(), new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                        [this, name = std::string(method), fn = std::move(fn), inline_call](
                            grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                            grpc::ByteBuffer* out) mutable {
                          return ServeUnary<Request, Response>(ctx, edge_, name, *in, *out, fn,
                                                               inline_call);
                        }));
  }

 protected:
  // Serves the server-streaming method `method` with `fn(ctx, call, req)`,
  // which returns the stream's reactor (see OpenServerStream).
  template <typename Request, typename Fn>
  void ServeServerStream(absl::string_view method, Fn fn) {
    const auto* m = descriptor_->FindMethodByName(std::string(method));
    if (m == nullptr || m->client_streaming() || !m->server_streaming() ||
        m->input_type() != Request::descriptor()) {
      ServiceSetupError(std::string(method) + " is not a server-streaming method of this request");
    }
    served_[m->index()] = true;
    this->MarkMethodRawCallback(
        m->index(),
        new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [this, name = std::string(method), fn = std::move(fn)](
                grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in) mutable {
              return OpenServerStream<Request>(ctx, edge_, name, *in, fn);
            }));
  }

  // Aborts unless every method of the service was given to Serve: one left
  // out would be answered by gRPC's synchronous default.
  void CheckAllServed() const {
    for (int i = 0; i < descriptor_->method_count(); ++i) {
      if (!served_[i]) ServiceSetupError(descriptor_->method(i)->full_name() + " is not served");
    }
  }

  RpcEdge edge_;

 private:
  const google::protobuf::ServiceDescriptor* descriptor_;
  std::vector<bool> served_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_UNARY_SERVICE_H_
