// One demo-loader call with a 10 s deadline, retried with backoff on
// UNAVAILABLE (a service still starting), and on RESOURCE_EXHAUSTED after
// the delay the server asks for (the loader is over its fair share). Writes
// carry request ids or are guarded by a check, so a retry never doubles
// anything.
#ifndef GNLC_DEPLOY_DEMO_DEMO_RPC_H_
#define GNLC_DEPLOY_DEMO_DEMO_RPC_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>

#include "absl/time/clock.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace gnlc::demo {

inline grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::Status s;
  for (int attempt = 0, limited = 0; attempt < 5 && limited < 100;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    s = rpc(&ctx);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      auto delay = RetryDelayOf(FromGrpcStatus(s));
      if (!delay) return s;
      absl::SleepFor(*delay);
      ++limited;
      continue;
    }
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) return s;
    absl::SleepFor(absl::Milliseconds(200 << attempt));
    ++attempt;
  }
  return s;
}

}  // namespace gnlc::demo

#endif  // GNLC_DEPLOY_DEMO_DEMO_RPC_H_
