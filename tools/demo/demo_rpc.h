// One demo-loader call with a 10 s deadline, retried with backoff (up to
// 2 s apart, for up to a minute) on UNAVAILABLE: a service still starting,
// or its Redis failing over, which takes the Sentinels several seconds.
// On RESOURCE_EXHAUSTED it waits the delay the server asks for (the loader
// is over its fair share). Writes carry request ids or are guarded by a
// check, so a retry never doubles anything.
#ifndef GNLC_TOOLS_DEMO_DEMO_RPC_H_
#define GNLC_TOOLS_DEMO_DEMO_RPC_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "absl/time/clock.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace gnlc::demo {

inline grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::Status s;
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  absl::Duration backoff = absl::Milliseconds(200);
  for (int limited = 0; limited < 100;) {
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
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || absl::Now() + backoff > give_up) {
      return s;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  return s;
}

}  // namespace gnlc::demo

#endif  // GNLC_TOOLS_DEMO_DEMO_RPC_H_
