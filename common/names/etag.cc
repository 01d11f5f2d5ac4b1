#include "common/names/etag.h"

#include <string>

#include "absl/strings/numbers.h"
#include "common/status/invariant.h"

namespace gnlc {

absl::StatusOr<uint64_t> StoredEtagVersion(absl::string_view etag, absl::string_view record) {
  uint64_t version = 0;
  if (etag.empty() || absl::SimpleAtoi(etag, &version)) return version;
  return BrokenInvariant("a stored etag is not a number",
                         {{"record", std::string(record)}, {"etag", std::string(etag)}});
}

}  // namespace gnlc
