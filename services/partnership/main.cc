// The partnership server: one city's partner organisations, partnerships
// and their funding. Flags: see common/server/server_options.h; --catalog
// (programs a partnership delivers are checked there) is required.
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/server/logging.h"
#include "common/server/server.h"
#include "common/server/service_lifecycle.h"
#include "services/partnership/partnership_service.h"

int main(int argc, char** argv) {
  gnlc::BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto options = gnlc::ParseServerOptions("partnership", argc, argv);
  if (options.ok() && options->catalog_address.empty()) {
    options = absl::InvalidArgumentError("--catalog=HOST:PORT (or GNLC_CATALOG) is required");
  }
  if (!options.ok()) {
    std::fprintf(stderr, "partnership: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  gnlc::SetLogService("partnership");
  gnlc::Metrics metrics("partnership");
  options->redis.on_error = [&metrics] { metrics.RedisError(); };
  gnlc::RedisPool pool(options->redis);
  gnlc::partnership::PartnershipService partnership(*options, &pool, &metrics);
  gnlc::GnlcServer server(*options, &metrics);
  server.AddService(&partnership, "gnlc.partnership.v1.PartnershipService");
  return gnlc::ServeUntilSignal(server, partnership);
}
