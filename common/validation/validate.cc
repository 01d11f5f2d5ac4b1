#include "common/validation/validate.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"

namespace gnlc {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view reason, std::string message) {
  return InvalidArgument(reason, message, {{"field", std::string(field)}});
}

// Decodes one code point at s[i]; returns its length or 0 if malformed.
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t n;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t n = DecodeUtf8(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t Utf8Length(absl::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) count += (c & 0xC0) != 0x80;
  return count;
}

absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_chars) {
  if (!IsValidUtf8(value)) {
    return Bad(field, "INVALID_UTF8", absl::StrCat(field, " is not valid UTF-8"));
  }
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
      return Bad(field, "CONTROL_CHARACTER", absl::StrCat(field, " contains a control character"));
    }
  }
  if (Utf8Length(value) > max_chars) {
    return Bad(field, "FIELD_TOO_LONG",
               absl::StrCat(field, " is longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view field, absl::string_view value) {
  bool ok = !value.empty() && value.size() <= 63 && value[0] != '-';
  for (char c : value) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return Bad(field, "INVALID_ID",
               absl::StrCat(field, " must be 1 to 63 characters of a-z, 0-9 and '-'"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view field, absl::string_view value) {
  bool ok = value.size() <= 64;
  for (char c : value) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_');
  }
  if (!ok) {
    return Bad(field, "INVALID_REQUEST_ID",
               absl::StrCat(field, " must be at most 64 characters of A-Z, a-z, 0-9, '-', '_'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view name, const std::vector<absl::string_view>& collections,
    absl::string_view field) {
  std::vector<std::string> pattern;
  for (absl::string_view c : collections) pattern.push_back(absl::StrCat(c, "/{id}"));
  const std::string expected = absl::StrJoin(pattern, "/");
  auto bad = [&] {
    return Bad(field, "INVALID_NAME", absl::StrCat(field, " must look like '", expected, "'"));
  };
  if (name.size() > 512) return bad();
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != collections.size() * 2) return bad();
  std::vector<std::string> ids;
  for (size_t i = 0; i < collections.size(); ++i) {
    if (parts[2 * i] != collections[i]) return bad();
    if (!ValidateId(field, parts[2 * i + 1]).ok()) return bad();
    ids.emplace_back(parts[2 * i + 1]);
  }
  return ids;
}

}  // namespace gnlc
