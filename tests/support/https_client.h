// An HTTPS/1.1 client for tests of the dashboard port: one request per
// connection, verifying the server against a CA file (the test PKI's),
// with headers and a body, and the TLS versions it may speak.
//
//   auto r = HttpsCall(port, {.path = "/export.csv?...", .ca_file = ca,
//                             .headers = {{"Authorization", "Bearer " + token}}});
//   r->status, r->Header("set-cookie"), r->body
#ifndef GNLC_TESTS_SUPPORT_HTTPS_CLIENT_H_
#define GNLC_TESTS_SUPPORT_HTTPS_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc::testing {

struct HttpsCallOptions {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = "";
  // The CA to verify the server with; "" speaks plain HTTP.
  std::string ca_file = "";
  // OpenSSL's TLS1_1_VERSION etc.; 0: the library's defaults.
  int min_tls = 0;
  int max_tls = 0;
};

struct HttpsReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  // The first value of header `name` (lower case), "" when absent.
  std::string Header(absl::string_view name) const;
};

// Only connects and makes the TLS session (options.ca_file, min_tls and
// max_tls): OK when the handshake succeeds.
absl::Status TlsHandshake(int port, const HttpsCallOptions& options);

// UNAVAILABLE when no TLS session (or no connection) could be made.
absl::StatusOr<HttpsReply> HttpsCall(int port, const HttpsCallOptions& options);

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_HTTPS_CLIENT_H_
