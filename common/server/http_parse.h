// The parts of HTTP/1.1 that the dashboard port reads from the network
// (https_server.h), apart so that a fuzzer drives them directly.
#ifndef GNLC_COMMON_SERVER_HTTP_PARSE_H_
#define GNLC_COMMON_SERVER_HTTP_PARSE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/server/http_message.h"

namespace gnlc {

// Parses a request head (request line and header fields, without the empty
// line that ends it) into `request` and the body's `content_length`. On a
// head we do not serve, the response to send instead: 400 malformed, 413 a
// body over 16 KiB, 431 over 64 fields, 501 a chunked body.
std::optional<HttpResponse> ParseHttpHead(absl::string_view head, HttpRequest& request,
                                          size_t& content_length);

// RFC 9110 token characters only (a method, a header name).
bool IsHttpToken(absl::string_view s);
// Control characters other than tab (never in a header value we write).
bool HasControlCharacters(absl::string_view s);
// A plain-text response.
HttpResponse PlainResponse(int status, std::string text);

// The value of `name` in a query string or an x-www-form-urlencoded body,
// decoded ('+' and %XX); "" when absent or not valid percent-encoding.
std::string FormValue(absl::string_view form, absl::string_view name);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_HTTP_PARSE_H_
