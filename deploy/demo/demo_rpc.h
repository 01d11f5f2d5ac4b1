// One demo-loader call with a 10 s deadline, retried with backoff on
// UNAVAILABLE only (a service still starting). Writes carry request ids or
// are guarded by a check, so a retry never doubles anything.
#ifndef GNLC_DEPLOY_DEMO_DEMO_RPC_H_
#define GNLC_DEPLOY_DEMO_DEMO_RPC_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>

#include "absl/time/clock.h"

namespace gnlc::demo {

inline grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    s = rpc(&ctx);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return s;
    absl::SleepFor(absl::Milliseconds(200 << attempt));
  }
  return s;
}

}  // namespace gnlc::demo

#endif  // GNLC_DEPLOY_DEMO_DEMO_RPC_H_
