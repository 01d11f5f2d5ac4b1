// A SearchProgramsRequest validated into the index's SearchQuery, with the
// bounds on one search's work (documented in catalog_service.proto): query
// length and terms, filter values, the geo radius, the page size. Each
// refusal is INVALID_ARGUMENT naming the field.
//
//   ASSIGN_OR_RETURN(SearchQuery query, ParseSearchRequest(req));
#ifndef GNLC_SERVICES_CATALOG_SEARCH_QUERY_H_
#define GNLC_SERVICES_CATALOG_SEARCH_QUERY_H_

#include "absl/status/statusor.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

absl::StatusOr<SearchQuery> ParseSearchRequest(const v1::SearchProgramsRequest& req);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_SEARCH_QUERY_H_
