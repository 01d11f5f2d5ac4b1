// Etags are a record's version as a decimal number: "1" when created, one
// more at each change. A caller's etag is input (INVALID_ARGUMENT if it is
// not a number); a stored record's etag that is not a number is our own
// broken invariant (invariant.h).
//
//   ASSIGN_OR_RETURN(uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
//   updated.set_etag(std::to_string(version + 1));
#ifndef GNLC_COMMON_NAMES_ETAG_H_
#define GNLC_COMMON_NAMES_ETAG_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc {

// The version in a stored record's etag (`record`: its name, for the log).
// An empty etag is version 0 (a record written before it had one).
absl::StatusOr<uint64_t> StoredEtagVersion(absl::string_view etag, absl::string_view record);

}  // namespace gnlc

#endif  // GNLC_COMMON_NAMES_ETAG_H_
