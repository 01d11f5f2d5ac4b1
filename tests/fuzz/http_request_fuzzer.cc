// The dashboard port's request heads and form bodies come from anyone who
// reaches it: any bytes through the head parser and the form decoder.
// Oracle: an accepted head names a path that starts with '/', header names
// in lower-case token characters and values without control characters, and
// a body of at most 16 KiB; a decoded form value never holds more bytes
// than its encoding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "common/server/http_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  gnlc::HttpRequest request;
  size_t length = 0;
  if (!gnlc::ParseHttpHead(input, request, length)) {
    if (request.path.empty() || request.path[0] != '/') std::abort();
    if (length > 16 << 10) std::abort();
    for (const auto& [name, value] : request.headers) {
      if (!gnlc::IsHttpToken(name) || name != absl::AsciiStrToLower(name)) std::abort();
      if (gnlc::HasControlCharacters(value)) std::abort();
    }
  }
  for (const char* name : {"token", "next", "lang"}) {
    if (gnlc::FormValue(input, name).size() > input.size()) std::abort();
  }
  return 0;
}
