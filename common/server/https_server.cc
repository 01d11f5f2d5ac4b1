#include "common/server/https_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/file_stamp.h"
#include "common/server/http_parse.h"
#include "common/server/logging.h"

namespace gnlc {
namespace {

constexpr size_t kMaxHeadBytes = 16 << 10;

// Waits until `fd` is ready for `events` or `deadline` passes.
bool WaitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// One accepted connection, TLS or plain, on a non-blocking socket: every
// read and write waits at most until the request's deadline.
class Connection {
 public:
  Connection(int fd, SSL* ssl, absl::Time deadline) : fd_(fd), ssl_(ssl), deadline_(deadline) {}

  bool Handshake() {
    return ssl_ == nullptr || SslRetry([&] { return SSL_accept(ssl_); }) > 0;
  }
  // Bytes read into `buf`; 0 at the end of the stream, -1 on an error or
  // when the deadline passed.
  int Read(char* buf, int n) {
    if (ssl_ != nullptr) return SslRetry([&] { return SSL_read(ssl_, buf, n); });
    for (;;) {
      const ssize_t r = ::recv(fd_, buf, n, 0);
      if (r >= 0) return static_cast<int>(r);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!WaitFor(fd_, POLLIN, deadline_)) return -1;
    }
  }
  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      const int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 20));
      int w;
      if (ssl_ != nullptr) {
        w = SslRetry([&] { return SSL_write(ssl_, data.data(), chunk); });
      } else {
        const ssize_t r = ::send(fd_, data.data(), chunk, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          if (!WaitFor(fd_, POLLOUT, deadline_)) return false;
          continue;
        }
        w = static_cast<int>(r);
      }
      if (w <= 0) return false;
      data.remove_prefix(w);
    }
    return true;
  }
  void Close() {
    if (ssl_ != nullptr) (void)SSL_shutdown(ssl_);  // best effort: our close_notify
  }

 private:
  // Runs an OpenSSL call until it completes, waiting on the socket as it
  // asks. > 0 done, 0 closed by the peer, -1 failed or out of time.
  template <typename Op>
  int SslRetry(Op op) {
    for (;;) {
      ERR_clear_error();
      const int r = op();
      if (r > 0) return r;
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_ZERO_RETURN) return 0;
      short events = 0;
      if (e == SSL_ERROR_WANT_READ) events = POLLIN;
      if (e == SSL_ERROR_WANT_WRITE) events = POLLOUT;
      if (events == 0 || !WaitFor(fd_, events, deadline_)) return -1;
    }
  }

  int fd_;
  SSL* ssl_;
  absl::Time deadline_;
};

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : (status < 500 ? "Bad Request" : "Server Error");
  }
}

std::string Serialize(const HttpResponse& r, bool tls) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", r.status, " ", StatusText(r.status),
                   "\r\nContent-Type: ", r.content_type, "\r\nContent-Length: ", r.body.size(),
                   "\r\nCache-Control: no-store\r\nConnection: close"
                   "\r\nX-Content-Type-Options: nosniff"
                   "\r\nReferrer-Policy: same-origin\r\nX-Frame-Options: DENY\r\n");
  // same-origin, not no-referrer: under no-referrer a browser sends
  // "Origin: null" with our own forms, and the sign-in checks the origin.
  if (tls) absl::StrAppend(&out, "Strict-Transport-Security: max-age=31536000\r\n");
  for (const auto& [name, value] : r.headers) {
    // A handler never splits the response, whatever it was given.
    if (!IsHttpToken(name) || HasControlCharacters(value)) continue;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&out, "\r\n", r.body);
  return out;
}

std::string SourceOf(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    return absl::StrCat("ipv4:", host, ":", ntohs(a->sin_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
  return absl::StrCat("ipv6:[", host, "]:", ntohs(a->sin6_port));
}

// "ipv4:1.2.3.4:5678" -> "ipv4:1.2.3.4": what the per-address cap counts.
std::string AddressOf(const std::string& source) { return source.substr(0, source.rfind(':')); }

}  // namespace

// The certificate and key as an OpenSSL context, built again when their
// files change (looked at no more than once a second).
class HttpsServer::TlsContext {
 public:
  TlsContext(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  absl::Status Load() {
    absl::MutexLock lock(&mu_);
    return LoadLocked();
  }

  std::shared_ptr<SSL_CTX> Current() {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now - checked_ >= absl::Seconds(1)) {
      checked_ = now;
      if (auth::StampOf(cert_file_) != cert_stamp_ || auth::StampOf(key_file_) != key_stamp_) {
        if (absl::Status s = LoadLocked(); !s.ok()) {
          LogJson(LogLevel::kWarn, "https: keeping the previous certificate",
                  {{"error", std::string(s.message())}});
        }
      }
    }
    return ctx_;
  }

 private:
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const auto cert_stamp = auth::StampOf(cert_file_);
    const auto key_stamp = auth::StampOf(key_file_);
    std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (ctx == nullptr) return absl::InternalError("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file_.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), key_file_.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      ERR_clear_error();
      return absl::FailedPreconditionError(
          absl::StrCat("cannot use the certificate ", cert_file_, " with its key ", key_file_));
    }
    ctx_ = std::move(ctx);
    cert_stamp_ = cert_stamp;
    key_stamp_ = key_stamp;
    return absl::OkStatus();
  }

  const std::string cert_file_;
  const std::string key_file_;
  absl::Mutex mu_;
  std::shared_ptr<SSL_CTX> ctx_ ABSL_GUARDED_BY(mu_);
  std::optional<auth::FileStamp> cert_stamp_ ABSL_GUARDED_BY(mu_);
  std::optional<auth::FileStamp> key_stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

HttpsServer::HttpsServer(Options options) : options_(std::move(options)) {}

HttpsServer::~HttpsServer() { Stop(); }

void HttpsServer::AddHandler(std::string path, Handler handler) {
  handlers_[std::move(path)] = std::move(handler);
}

absl::Status HttpsServer::Start() {
  if (options_.cert_file.empty() != options_.key_file.empty()) {
    return absl::InvalidArgumentError("the HTTPS port needs both a certificate and its key");
  }
  if (tls()) {
    tls_ = std::make_unique<TlsContext>(options_.cert_file, options_.key_file);
    if (absl::Status s = tls_->Load(); !s.ok()) return s;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = absl::StrCat(options_.host, ":", options_.port);
  if (getaddrinfo(options_.host.c_str(), std::to_string(options_.port).c_str(), &hints, &found) !=
          0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a numeric address: ", where));
  }
  listen_fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = listen_fd_ >= 0 &&
                     ::bind(listen_fd_, found->ai_addr, found->ai_addrlen) == 0 &&
                     ::listen(listen_fd_, 128) == 0;
  freeaddrinfo(found);
  if (!bound) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&addr)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkLoop(); });
  return absl::OkStatus();
}

void HttpsServer::Stop() {
  if (listen_fd_ < 0 || stopping_.exchange(true)) return;
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof(one));
  acceptor_.join();
  {
    absl::MutexLock lock(&mu_);
    for (int fd : serving_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  absl::MutexLock lock(&mu_);
  for (const Waiting& w : waiting_) ::close(w.fd);
  waiting_.clear();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void HttpsServer::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stopping_) {
    if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    std::string source = SourceOf(addr);
    absl::MutexLock lock(&mu_);
    int& open = per_source_[AddressOf(source)];
    if (static_cast<int>(waiting_.size()) >= options_.max_waiting ||
        open >= options_.max_per_source) {
      // Closed unread: a browser retries, a flood costs one accept.
      if (open == 0) per_source_.erase(AddressOf(source));
      ::close(fd);
      continue;
    }
    ++open;
    waiting_.push_back({fd, std::move(source)});
  }
}

void HttpsServer::WorkLoop() {
  for (;;) {
    Waiting w;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](HttpsServer* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return s->stopping_.load() || !s->waiting_.empty();
          },
          this));
      if (stopping_) return;
      w = waiting_.front();
      waiting_.pop_front();
      serving_.insert(w.fd);
    }
    Serve(w.fd, w.source);
    {
      absl::MutexLock lock(&mu_);
      serving_.erase(w.fd);
    }
    ::close(w.fd);
    Release(w.source);
  }
}

void HttpsServer::Release(const std::string& source) {
  absl::MutexLock lock(&mu_);
  auto it = per_source_.find(AddressOf(source));
  if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
}

void HttpsServer::Serve(int fd, const std::string& source) {
  const absl::Time deadline = absl::Now() + options_.io_timeout;
  std::shared_ptr<SSL_CTX> ctx;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
  if (tls_ != nullptr) {
    ctx = tls_->Current();
    ssl.reset(SSL_new(ctx.get()));
    if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1) return;
  }
  Connection conn(fd, ssl.get(), deadline);
  if (!conn.Handshake()) return;
  std::string data;
  size_t head_end = std::string::npos;
  char buf[4096];
  while (head_end == std::string::npos) {
    if (data.size() > kMaxHeadBytes) {
      (void)conn.WriteAll(Serialize(PlainResponse(431, "the request head is over 16 KiB"), tls()));
      return;
    }
    const int n = conn.Read(buf, sizeof(buf));
    if (n <= 0) return;  // closed, failed or too slow: nobody to answer
    const size_t from = data.size() > 3 ? data.size() - 3 : 0;
    data.append(buf, n);
    head_end = data.find("\r\n\r\n", from);
  }
  HttpRequest request;
  request.source = source;
  size_t content_length = 0;
  if (auto bad =
          ParseHttpHead(absl::string_view(data).substr(0, head_end), request, content_length)) {
    (void)conn.WriteAll(Serialize(*bad, tls()));
    return;
  }
  request.body = data.substr(head_end + 4);
  while (request.body.size() < content_length) {
    const int n = conn.Read(buf, sizeof(buf));
    if (n <= 0) return;
    request.body.append(buf, n);
  }
  request.body.resize(content_length);
  (void)conn.WriteAll(Serialize(Dispatch(request), tls()));
  conn.Close();
}

HttpResponse HttpsServer::Dispatch(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "POST") {
    HttpResponse r = PlainResponse(405, "only GET and POST");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  auto it = handlers_.find(request.path);
  if (it == handlers_.end()) return PlainResponse(404, "not found");
  return it->second(request);
}

}  // namespace gnlc
