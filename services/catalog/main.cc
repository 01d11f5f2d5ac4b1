// The catalog server: one city's programs, offerings, search and change feed.
// Flags: see common/server/server_options.h.
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/redis/redis_pool.h"
#include "common/server/logging.h"
#include "common/server/server.h"
#include "common/server/service_lifecycle.h"
#include "services/catalog/catalog_service.h"

int main(int argc, char** argv) {
  gnlc::BlockTerminationSignals();
  // Deadlock detection is a debugging aid that costs on every lock; tests
  // keep it, production does not.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto options = gnlc::ParseServerOptions("catalog", argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "catalog: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  gnlc::SetLogService("catalog");
  gnlc::Metrics metrics("catalog");
  options->redis.on_error = [&metrics] { metrics.RedisError(); };
  gnlc::RedisPool pool(options->redis);
  gnlc::catalog::CatalogService catalog(*options, &pool, &metrics);
  gnlc::GnlcServer server(*options, &metrics);
  server.AddService(&catalog, "gnlc.catalog.v1.CatalogService");
  server.AcceptPeers();  // peer cities harvest ListProgramChanges
  return gnlc::ServeUntilSignal(server, catalog);
}
