#include "services/catalog/feed_cursor.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/validation/validate.h"

namespace gnlc::catalog {

std::string EncodeFeedCursor(const FeedCursor& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat("v2:", cursor.epoch, ":", cursor.sequence));
}

absl::StatusOr<FeedCursor> DecodeFeedCursor(absl::string_view cursor, absl::string_view field) {
  FeedCursor out;
  if (cursor.empty()) return out;
  auto bad = [&] {
    return InvalidArgument(
        "INVALID_CURSOR",
        absl::StrCat(field, " must be a next_cursor from an earlier response, or empty"),
        {{"field", std::string(field)}});
  };
  std::string raw;
  if (cursor.size() > 96 || !absl::WebSafeBase64Unescape(cursor, &raw)) return bad();
  const std::vector<absl::string_view> parts = absl::StrSplit(raw, ':');
  absl::string_view sequence;
  if (parts.size() == 2 && parts[0] == "v1") {
    sequence = parts[1];
  } else if (parts.size() == 3 && parts[0] == "v2" && !parts[1].empty() &&
             ValidateId("cursor", parts[1]).ok()) {
    out.epoch = std::string(parts[1]);
    sequence = parts[2];
  } else {
    return bad();
  }
  if (!absl::SimpleAtoi(sequence, &out.sequence) || out.sequence < 0) return bad();
  return out;
}

}  // namespace gnlc::catalog
