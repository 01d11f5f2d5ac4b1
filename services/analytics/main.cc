// The analytics server: one city's learning indicators against its targets,
// from the catalog, enrollment and partnership streams, with the dashboard
// on its own HTTPS port (--dashboard_port). Flags: see common/server/server_options.h;
// --peer_analytics=CITY=HOST:PORT sets where peers' analytics answer.
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/server/logging.h"
#include "common/server/server.h"
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
  server.SetReadiness([&analytics] { return analytics.ready(); });
  server.AddWebServer(gnlc::analytics::MakeDashboard(*options, &analytics));
  if (auto started = server.Start(); !started.ok()) {
    gnlc::LogJson(gnlc::LogLevel::kError, "cannot start",
                  {{"error", std::string(started.message())}});
    return 1;
  }
  // Retried until Redis answers: the targets must be written before serving.
  for (;;) {
    const absl::Status s = analytics.Start();
    if (s.ok()) break;
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      gnlc::LogJson(gnlc::LogLevel::kError, "bad configuration",
                    {{"error", std::string(s.message())}});
      server.Shutdown();
      return 2;
    }
    gnlc::LogJson(gnlc::LogLevel::kWarn, "waiting for redis",
                  {{"error", std::string(s.message())}});
    absl::SleepFor(absl::Seconds(1));
  }
  const int signal = gnlc::WaitForTerminationSignal();
  gnlc::LogJson(gnlc::LogLevel::kInfo, "signal received", {{"signal", std::to_string(signal)}});
  server.Shutdown();
  analytics.Stop();
  return 0;
}
