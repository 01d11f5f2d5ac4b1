#include "common/server/admin_http.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"

namespace gnlc {
namespace {

class FunctionHandler final : public CivetHandler {
 public:
  explicit FunctionHandler(AdminHttpServer::Handler fn) : fn_(std::move(fn)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.path = info->local_uri != nullptr ? info->local_uri : "";
    request.query = info->query_string != nullptr ? info->query_string : "";
    HttpResponse response = fn_(request);
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
              response.status, mg_get_response_code_text(conn, response.status),
              response.content_type.c_str(), response.body.size());
    mg_write(conn, response.body.data(), response.body.size());
    return true;
  }

 private:
  AdminHttpServer::Handler fn_;
};

}  // namespace

AdminHttpServer::AdminHttpServer(std::string host, int port, Metrics* metrics,
                                 std::function<bool()> healthy)
    : host_(std::move(host)), port_(port), metrics_(metrics), healthy_(std::move(healthy)) {
  AddHandler("/metrics", [this](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_->Serialize()};
  });
  AddHandler("/healthz", [this](const HttpRequest&) {
    const bool ok = healthy_();
    return HttpResponse{ok ? 200 : 503, "text/plain; charset=utf-8",
                        ok ? "SERVING\n" : "NOT_SERVING\n"};
  });
  AddHandler("/livez", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

void AdminHttpServer::AddHandler(std::string path, Handler handler) {
  handlers_.emplace_back(std::move(path), std::move(handler));
}

absl::Status AdminHttpServer::Start() {
  const std::vector<std::string> options = {"listening_ports",    absl::StrCat(host_, ":", port_),
                                            "num_threads",        "2",
                                            "request_timeout_ms", "10000"};
  try {
    server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {  // civetweb reports bind errors by throwing
    return absl::UnavailableError(
        absl::StrCat("admin HTTP cannot listen on ", host_, ":", port_, ": ", e.what()));
  }
  for (auto& [path, fn] : handlers_) {
    civet_handlers_.push_back(std::make_unique<FunctionHandler>(fn));
    server_->addHandler(path, civet_handlers_.back().get());
  }
  const std::vector<int> ports = server_->getListeningPorts();
  if (!ports.empty()) port_ = ports[0];
  return absl::OkStatus();
}

void AdminHttpServer::Stop() {
  if (server_ == nullptr) return;
  // civetweb's listener polls in 2 s quanta and close() waits for it; a
  // connection to our own port wakes it at once. Poke until close() is done.
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    server_->close();
    closed = true;
  });
  const std::string host = host_ == "0.0.0.0" ? "127.0.0.1" : host_;
  while (!closed) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    (void)connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    close(fd);
    for (int i = 0; i < 20 && !closed; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  closer.join();
  server_.reset();
}

}  // namespace gnlc
