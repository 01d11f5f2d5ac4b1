// The analytics server: one city's learning indicators against its targets,
// from the catalog, enrollment and partnership streams, with the dashboard
// on its own HTTPS port (--dashboard_port). Flags: see common/server/server_options.h;
// --peer_analytics=CITY=HOST:PORT sets where peers' analytics answer.
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/server/logging.h"
#include "common/server/server.h"
#include "common/server/service_lifecycle.h"
#include "services/analytics/analytics_service.h"
#include "services/analytics/dashboard.h"

int main(int argc, char** argv) {
  gnlc::BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto options = gnlc::ParseServerOptions("analytics", argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "analytics: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  gnlc::SetLogService("analytics");
  gnlc::Metrics metrics("analytics");
  options->redis.on_error = [&metrics] { metrics.RedisError(); };
  gnlc::RedisPool pool(options->redis);
  gnlc::analytics::AnalyticsService analytics(*options, &pool, &metrics);
  gnlc::GnlcServer server(*options, &metrics);
  server.AddService(&analytics, "gnlc.analytics.v1.AnalyticsService");
  server.AcceptPeers();  // CompareCities of peer cities reads GetScorecard
  server.AddWebServer(gnlc::analytics::MakeDashboard(*options, &analytics));
  return gnlc::ServeUntilSignal(server, analytics);
}
