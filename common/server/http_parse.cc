#include "common/server/http_parse.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace gnlc {
namespace {

constexpr size_t kMaxBodyBytes = 16 << 10;
constexpr int kMaxHeaders = 64;

}  // namespace

HttpResponse PlainResponse(int status, std::string text) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(text) + "\n"};
}

bool IsHttpToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("!#$%&'*+-.^_`|~", c)) return false;
  }
  return true;
}

bool HasControlCharacters(absl::string_view s) {
  for (char c : s) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

std::optional<HttpResponse> ParseHttpHead(absl::string_view head, HttpRequest& request,
                                          size_t& content_length) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  const std::vector<absl::string_view> start = absl::StrSplit(lines[0], ' ');
  if (start.size() != 3 || !IsHttpToken(start[0]) || start[1].empty() || start[1][0] != '/' ||
      HasControlCharacters(start[1]) || (start[2] != "HTTP/1.1" && start[2] != "HTTP/1.0")) {
    return PlainResponse(400, "malformed request line");
  }
  request.method = std::string(start[0]);
  const size_t q = start[1].find('?');
  request.path = std::string(start[1].substr(0, q));
  request.query = q == absl::string_view::npos ? "" : std::string(start[1].substr(q + 1));
  if (lines.size() - 1 > kMaxHeaders) return PlainResponse(431, "too many header fields");
  bool have_length = false;
  content_length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || !IsHttpToken(lines[i].substr(0, colon))) {
      return PlainResponse(400, "malformed header field");
    }
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (HasControlCharacters(value))
      return PlainResponse(400, "control characters in a header field");
    if (name == "transfer-encoding")
      return PlainResponse(501, "send the body with a Content-Length");
    if (name == "content-length") {
      if (have_length || !absl::SimpleAtoi(value, &content_length)) {
        return PlainResponse(400, "one numeric Content-Length");
      }
      have_length = true;
    }
    request.headers.emplace_back(std::move(name), std::string(value));
  }
  if (content_length > kMaxBodyBytes) return PlainResponse(413, "the body is over 16 KiB");
  return std::nullopt;
}

std::string FormValue(absl::string_view form, absl::string_view name) {
  for (absl::string_view kv : absl::StrSplit(form, '&')) {
    const size_t eq = kv.find('=');
    if (eq == absl::string_view::npos || kv.substr(0, eq) != name) continue;
    std::string out;
    const absl::string_view v = kv.substr(eq + 1);
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '+') {
        out.push_back(' ');
      } else if (v[i] == '%') {
        int byte = 0;
        if (i + 2 >= v.size() || !absl::ascii_isxdigit(v[i + 1]) ||
            !absl::ascii_isxdigit(v[i + 2]) || !absl::SimpleHexAtoi(v.substr(i + 1, 2), &byte)) {
          return "";
        }
        out.push_back(static_cast<char>(byte));
        i += 2;
      } else {
        out.push_back(v[i]);
      }
    }
    return out;
  }
  return "";
}

}  // namespace gnlc
