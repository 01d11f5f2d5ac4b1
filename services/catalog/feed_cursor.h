// Cursors of the change feed: base64 of "v2:{epoch}:{sequence}". Plain, not
// signed, because any position is a legitimate place to resume; the epoch
// tells the origin whether the cursor is of its current feed at all.
// (v1 cursors, "v1:{sequence}" from before epochs, are read with no epoch.)
#ifndef GNLC_SERVICES_CATALOG_FEED_CURSOR_H_
#define GNLC_SERVICES_CATALOG_FEED_CURSOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc::catalog {

struct FeedCursor {
  std::string epoch;  // empty: the start, or a v1 cursor
  int64_t sequence = 0;
};

std::string EncodeFeedCursor(const FeedCursor& cursor);
// Empty is the start. INVALID_ARGUMENT (INVALID_CURSOR, naming `field`)
// for anything that is not a cursor we made.
absl::StatusOr<FeedCursor> DecodeFeedCursor(absl::string_view cursor,
                                            absl::string_view field = "cursor");

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_FEED_CURSOR_H_
