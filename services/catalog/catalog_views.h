// Turning index views into API messages, and keyset cursors into page-token
// positions.
#ifndef GNLC_SERVICES_CATALOG_CATALOG_VIEWS_H_
#define GNLC_SERVICES_CATALOG_CATALOG_VIEWS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/time/proto_time.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

// The stored program with its computed, output-only fields set.
Program ProgramFromView(const ProgramView& view);
Offering OfferingFromView(const OfferingView& view);

// Page-token positions for keyset paging.
std::string EncodeCursor(const SearchCursor& cursor);
// nullopt for "" (first page); INVALID_ARGUMENT for garbage.
absl::StatusOr<std::optional<SearchCursor>> DecodeCursor(const std::string& position);

google::protobuf::Timestamp TimestampFromSeconds(int64_t seconds);

// The version inside an etag; 0 for one that is not ours.
uint64_t EtagVersion(absl::string_view etag);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_VIEWS_H_
