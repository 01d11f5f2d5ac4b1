// The enrollment server: one city's learners, enrollments, seats and
// waitlists. Flags: see common/server/server_options.h; --catalog is
// required (offering facts come from the catalog).
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/server/logging.h"
#include "common/server/server.h"
#include "common/server/service_lifecycle.h"
#include "services/enrollment/enrollment_service.h"

int main(int argc, char** argv) {
  gnlc::BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto options = gnlc::ParseServerOptions("enrollment", argc, argv);
  if (options.ok() && options->catalog_address.empty()) {
    options = absl::InvalidArgumentError("--catalog=HOST:PORT (or GNLC_CATALOG) is required");
  }
  if (!options.ok()) {
    std::fprintf(stderr, "enrollment: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  gnlc::SetLogService("enrollment");
  gnlc::Metrics metrics("enrollment");
  options->redis.on_error = [&metrics] { metrics.RedisError(); };
  gnlc::RedisPool pool(options->redis);
  gnlc::enrollment::EnrollmentService enrollment(*options, &pool, &metrics);
  gnlc::GnlcServer server(*options, &metrics);
  server.AddService(&enrollment, "gnlc.enrollment.v1.EnrollmentService");
  server.OnShutdown([&enrollment] { enrollment.CloseNotificationStreams(); });
  return gnlc::ServeUntilSignal(server, enrollment);
}
