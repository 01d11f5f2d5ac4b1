// The plaintext admin HTTP port of every server: /metrics (Prometheus),
// /healthz (200 when serving, 503 otherwise) and /livez, plus pages a service
// adds (the analytics dashboard).
//
//   AdminHttpServer admin("127.0.0.1", 0, &metrics, [&] { return healthy; });
//   admin.AddHandler("/dashboard", [](const HttpRequest& r) { ... });
//   RETURN_IF_ERROR(admin.Start());
#ifndef GNLC_COMMON_SERVER_ADMIN_HTTP_H_
#define GNLC_COMMON_SERVER_ADMIN_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/server/http_message.h"
#include "common/server/metrics.h"

class CivetServer;
class CivetHandler;

namespace gnlc {

class AdminHttpServer final {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  AdminHttpServer(std::string host, int port, Metrics* metrics, std::function<bool()> healthy);
  ~AdminHttpServer();

  // Before Start().
  void AddHandler(std::string path, Handler handler);
  absl::Status Start();
  void Stop();
  // The bound port (after Start()).
  int port() const { return port_; }

 private:
  std::string host_;
  int port_;
  Metrics* metrics_;
  std::function<bool()> healthy_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  std::vector<std::unique_ptr<CivetHandler>> civet_handlers_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_ADMIN_HTTP_H_
