// Base64url without padding (RFC 4648 §5), as JWS uses it.
//
//   std::string text = Base64UrlEncode("hi");          // "aGk"
//   std::optional<std::string> raw = Base64UrlDecode("aGk");
#ifndef GNLC_COMMON_AUTH_BASE64URL_H_
#define GNLC_COMMON_AUTH_BASE64URL_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace gnlc::auth {

std::string Base64UrlEncode(absl::string_view raw);
// nullopt for any character outside the alphabet, padding, or a length that
// no encoding produces.
std::optional<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_BASE64URL_H_
