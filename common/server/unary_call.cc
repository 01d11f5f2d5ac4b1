#include "common/server/unary_call.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/server/logging.h"
#include "common/status/errors.h"

namespace gnlc {

void LogCall(const grpc::CallbackServerContext& ctx, absl::string_view method,
             const absl::Status& status, absl::Duration elapsed) {
  std::string traceparent;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("traceparent"); it != md.end()) {
    traceparent.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
  }
  const bool internal = IsInternalError(status.code());
  LogJson(internal ? "error" : (status.ok() ? "info" : "warn"), "rpc",
          {{"method", std::string(method)},
           {"code", absl::StatusCodeToString(status.code())},
           {"reason", ErrorReason(status)},
           // Internal messages are for operators only; they never reach callers.
           {"detail", std::string(status.message())},
           {"latency_ms", absl::StrCat(absl::ToDoubleMilliseconds(elapsed))},
           {"traceparent", traceparent},
           {"peer", ctx.peer()}});
}

}  // namespace gnlc
