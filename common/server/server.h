// A gnlc gRPC server: TLS on the public port (and mutual TLS on the peer
// port, for peer cities), the callback API, grpc.health.v1 kept true by a
// HealthMonitor, server reflection (not on the peer port), the admin HTTP
// port, bounded messages,
// MAX_CONNECTION_AGE, and a graceful shutdown.
//
//   int main(int argc, char** argv) {
//     BlockTerminationSignals();                    // before any thread starts
//     auto options = ParseServerOptions("catalog", argc, argv);
//     ...
//     GnlcServer server(*options, &metrics);
//     server.AddService(&catalog, "gnlc.catalog.v1.CatalogService");
//     server.SetReadiness([&] { return catalog.ready(); });
//     if (auto s = server.Start(); !s.ok()) { ...exit 1 }
//     WaitForTerminationSignal();                   // SIGTERM or SIGINT
//     server.Shutdown();                            // drain, then finish calls
//   }
#ifndef GNLC_COMMON_SERVER_SERVER_H_
#define GNLC_COMMON_SERVER_SERVER_H_

#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/server.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/server/admin_http.h"
#include "common/server/health_monitor.h"
#include "common/server/https_server.h"
#include "common/server/metrics.h"
#include "common/server/server_options.h"

namespace gnlc {

// Blocks SIGTERM and SIGINT in this thread and every thread it starts later,
// so that WaitForTerminationSignal() receives them synchronously and the
// shutdown runs in a normal thread, not in a signal handler.
void BlockTerminationSignals();
// Returns the signal number once SIGTERM or SIGINT arrives.
int WaitForTerminationSignal();

class GnlcServer final {
 public:
  GnlcServer(ServerOptions options, Metrics* metrics);
  ~GnlcServer();

  // Before Start().
  void AddService(grpc::Service* service, std::string full_name);
  void SetReadiness(std::function<bool()> ready) { ready_ = std::move(ready); }
  // Runs when shutting down, once NOT_SERVING was announced and before
  // in-flight calls get their grace: e.g. to end long-lived streams, which
  // would otherwise hold shutdown for the whole grace.
  void OnShutdown(std::function<void()> fn) { on_shutdown_.push_back(std::move(fn)); }
  // Also listens on options.peer_port with mutual TLS for peer cities, when
  // the config has federation settings (catalog and analytics).
  void AcceptPeers() { accept_peers_ = true; }
  AdminHttpServer& admin() { return *admin_; }
  // Also starts and stops `web`, a listener of pages for people (the
  // analytics dashboard), whose port goes in the port file and the logs.
  void AddWebServer(std::unique_ptr<HttpsServer> web) { web_ = std::move(web); }

  absl::Status Start();
  int port() const { return port_; }
  // 0 when not accepting peers.
  int peer_port() const { return peer_port_; }
  int admin_port() const { return admin_->port(); }
  // 0 without a web server.
  int web_port() const { return web_ ? web_->port() : 0; }
  bool serving() const { return health_->serving(); }

  // Health to NOT_SERVING, waits options.drain so load balancers notice,
  // stops accepting, lets in-flight calls finish within options.grace.
  void Shutdown();

 private:
  ServerOptions options_;
  Metrics* metrics_;
  std::function<bool()> ready_ = [] { return true; };
  std::vector<std::function<void()>> on_shutdown_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<AdminHttpServer> admin_;
  std::unique_ptr<HttpsServer> web_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<grpc::Server> server_;
  // The peer port's own server: the same services, without reflection (a
  // peer city has no business listing our API).
  std::unique_ptr<grpc::Server> peer_server_;
  int port_ = 0;
  bool accept_peers_ = false;
  int peer_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_SERVER_H_
