// A TCP proxy on 127.0.0.1 between a client and a server, for tests of
// network failures: it forwards, black-holes (accepts and holds every byte,
// answering nothing: a peer that hangs) or is down (drops connections and
// refuses new ones). Each connection is pumped by a thread of its own.
//
//   TcpProxy proxy(server_port);
//   connect to proxy.port() ...
//   proxy.SetMode(TcpProxy::kBlackHole);
#ifndef GNLC_TESTS_SUPPORT_TCP_PROXY_H_
#define GNLC_TESTS_SUPPORT_TCP_PROXY_H_

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace gnlc::testing {

class TcpProxy final {
 public:
  enum Mode { kForward, kBlackHole, kDown };

  explicit TcpProxy(int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  void SetMode(Mode mode);

 private:
  void Accept();
  void Pump(int client);
  void CloseConnections();

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{kForward};
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_TCP_PROXY_H_
