#include "tests/support/https_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gnlc::testing {

std::string HttpsReply::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

namespace {

// A connection to 127.0.0.1:port, through TLS when the options name a CA.
struct Session {
  int fd = -1;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{nullptr, SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
  ~Session() {
    ssl.reset();
    if (fd >= 0) close(fd);
  }
};

absl::Status Open(int port, const HttpsCallOptions& o, Session& s) {
  s.fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  }
  if (o.ca_file.empty()) return absl::OkStatus();
  s.ctx.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(s.ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_load_verify_locations(s.ctx.get(), o.ca_file.c_str(), nullptr);
  // Old protocol versions need the lowest security level to be offered.
  if (o.max_tls != 0 && o.max_tls < TLS1_2_VERSION) SSL_CTX_set_security_level(s.ctx.get(), 0);
  if (o.min_tls != 0) SSL_CTX_set_min_proto_version(s.ctx.get(), o.min_tls);
  if (o.max_tls != 0) SSL_CTX_set_max_proto_version(s.ctx.get(), o.max_tls);
  s.ssl.reset(SSL_new(s.ctx.get()));
  SSL_set_fd(s.ssl.get(), s.fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl.get()), "127.0.0.1");
  if (SSL_connect(s.ssl.get()) != 1) {
    const std::string why = ERR_error_string(ERR_get_error(), nullptr);
    return absl::UnavailableError(absl::StrCat("TLS handshake failed: ", why));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TlsHandshake(int port, const HttpsCallOptions& options) {
  Session s;
  return Open(port, options, s);
}

absl::StatusOr<HttpsReply> HttpsCall(int port, const HttpsCallOptions& o) {
  Session session;
  if (absl::Status s = Open(port, o, session); !s.ok()) return s;
  const int fd = session.fd;
  SSL* ssl = session.ssl.get();
  std::string request = absl::StrCat(o.method, " ", o.path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  for (const auto& [k, v] : o.headers) absl::StrAppend(&request, k, ": ", v, "\r\n");
  if (!o.body.empty() || o.method == "POST") {
    absl::StrAppend(&request, "Content-Length: ", o.body.size(), "\r\n");
  }
  absl::StrAppend(&request, "\r\n", o.body);
  const auto write = [&](const std::string& data) {
    return ssl ? SSL_write(ssl, data.data(), static_cast<int>(data.size())) ==
                     static_cast<int>(data.size())
               : send(fd, data.data(), data.size(), MSG_NOSIGNAL) ==
                     static_cast<ssize_t>(data.size());
  };
  std::string response;
  if (write(request)) {
    char buf[8192];
    for (;;) {
      const int n =
          ssl ? SSL_read(ssl, buf, sizeof(buf)) : static_cast<int>(recv(fd, buf, sizeof(buf), 0));
      if (n <= 0) break;
      response.append(buf, n);
    }
  }
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) return absl::UnavailableError("no response");
  HttpsReply reply;
  std::vector<std::string> lines = absl::StrSplit(response.substr(0, end), "\r\n");
  const std::vector<std::string> status = absl::StrSplit(lines[0], ' ');
  if (status.size() < 2 || !absl::SimpleAtoi(status[1], &reply.status)) {
    return absl::UnavailableError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    reply.headers.emplace_back(absl::AsciiStrToLower(lines[i].substr(0, colon)),
                               std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  reply.body = response.substr(end + 4);
  return reply;
}

}  // namespace gnlc::testing
