// A minimal HTTP/1.1 GET over loopback for tests of the admin port.
//
//   auto r = HttpGet(admin_port, "/metrics");   // r->status, r->body
#ifndef GNLC_TESTS_SUPPORT_HTTP_GET_H_
#define GNLC_TESTS_SUPPORT_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace gnlc::testing {

struct HttpResult {
  int status = 0;
  std::string body;
};

absl::StatusOr<HttpResult> HttpGet(int port, const std::string& path);

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_HTTP_GET_H_
