// A small HTTPS/1.1 server for the pages people open in a browser (the
// analytics dashboard and its CSV export), apart from the plaintext admin
// port that monitoring scrapes.
//
// It does little and bounds all of it: GET and POST only, one request per
// connection (Connection: close), a head of at most 16 KiB and a body of at
// most 16 KiB with a Content-Length (no chunked bodies), a whole request
// within `io_timeout`, a few requests at once and at most two per client
// address, further connections closed at once. TLS 1.2 or newer with the
// service's certificate, which is read again when its files change (as the
// gRPC ports do), so a rotation needs no restart.
//
// Why not civetweb, which serves the admin port: Debian 12's civetweb loads
// OpenSSL at run time and looks up SSL_get_peer_certificate, which OpenSSL 3
// no longer exports; its first TLS request calls a null pointer.
//
//   HttpsServer web({.host = "127.0.0.1", .port = 0, .cert_file = c, .key_file = k});
//   web.AddHandler("/dashboard", [](const HttpRequest& r) { return HttpResponse{...}; });
//   RETURN_IF_ERROR(web.Start());
#ifndef GNLC_COMMON_SERVER_HTTPS_SERVER_H_
#define GNLC_COMMON_SERVER_HTTPS_SERVER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/http_message.h"

namespace gnlc {

class HttpsServer final {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0 picks a free one
    // PEM files of the certificate chain and its key. Both empty: plain
    // HTTP, for a developer's loopback only (tls.insecure_plaintext).
    std::string cert_file;
    std::string key_file;
    int threads = 4;                                // requests served at once
    int max_waiting = 64;                           // connections waiting for a thread
    int max_per_source = 2;                         // connections of one address at once
    absl::Duration io_timeout = absl::Seconds(10);  // to read a request, and to answer it
  };

  explicit HttpsServer(Options options);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Before Start(): `path` is matched exactly.
  void AddHandler(std::string path, Handler handler);
  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  bool tls() const { return !options_.cert_file.empty(); }

 private:
  class TlsContext;
  struct Waiting {
    int fd = -1;
    std::string source;
  };

  void AcceptLoop();
  void WorkLoop();
  void Serve(int fd, const std::string& source);
  HttpResponse Dispatch(const HttpRequest& request) const;
  void Release(const std::string& source);

  Options options_;
  absl::flat_hash_map<std::string, Handler> handlers_;
  std::unique_ptr<TlsContext> tls_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd that ends the accept loop
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;

  absl::Mutex mu_;
  std::deque<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> per_source_ ABSL_GUARDED_BY(mu_);
  // Connections being served, shut down by Stop() so no thread waits out
  // its timeout.
  absl::flat_hash_set<int> serving_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HTTPS_SERVER_H_
