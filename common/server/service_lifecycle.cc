#include "common/server/service_lifecycle.h"

#include <string>

#include "absl/time/clock.h"
#include "common/server/logging.h"

namespace gnlc {

int ServeUntilSignal(GnlcServer& server, ServiceLifecycle& service) {
  server.SetReadiness([&service] { return service.ready(); });
  if (absl::Status started = server.Start(); !started.ok()) {
    LogJson(LogLevel::kError, "cannot start", {{"error", std::string(started.message())}});
    return 1;
  }
  for (;;) {
    const absl::Status s = service.Start();
    if (s.ok()) break;
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      LogJson(LogLevel::kError, "bad configuration", {{"error", std::string(s.message())}});
      server.Shutdown();
      return 2;
    }
    LogJson(LogLevel::kWarn, "waiting for redis", {{"error", std::string(s.message())}});
    absl::SleepFor(absl::Seconds(1));
  }
  const int signal = WaitForTerminationSignal();
  LogJson(LogLevel::kInfo, "signal received", {{"signal", std::to_string(signal)}});
  server.Shutdown();
  service.Stop();
  return 0;
}

}  // namespace gnlc
