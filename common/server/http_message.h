// A request and a response of the HTTP servers (admin_http.h, the plaintext
// admin port; https_server.h, the pages people open in a browser).
#ifndef GNLC_COMMON_SERVER_HTTP_MESSAGE_H_
#define GNLC_COMMON_SERVER_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace gnlc {

struct HttpRequest {
  std::string path;
  std::string query;  // raw query string, without '?'
  std::string method = "GET";
  // Header names in lower case; values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's address ("ipv4:1.2.3.4:5678"), for limits and the audit.
  std::string source;

  // The value of the header `name` (lower case), "" when absent.
  absl::string_view Header(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further headers, e.g. {"Location", "/login"}, {"Set-Cookie", "..."}.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HTTP_MESSAGE_H_
