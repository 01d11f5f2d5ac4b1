// One search over several indexes, this city's and the mirrors of its
// peers, answered as one ranked list: each index is searched with the
// statistics of the whole corpus (so text relevance is comparable across
// them), and their pages are merged in the order every index uses (sort
// key, then name). Totals and facets are sums. Indexes of the network are
// in this replica's memory, so a search never waits for a peer city.
//
//   std::vector<OriginIndex> origins = {{"nanjing", &local}, {"suzhou", &mirror}};
//   NetworkPage page = SearchOrigins(origins, query, now);
#ifndef GNLC_SERVICES_CATALOG_NETWORK_SEARCH_H_
#define GNLC_SERVICES_CATALOG_NETWORK_SEARCH_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/catalog/mirror_page_cache.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

struct OriginIndex {
  std::string city;
  const SearchIndex* index = nullptr;
  // A peer's mirror: the index shared, and the pages it gave recently
  // (searched again only when the mirror or the statistics changed).
  std::shared_ptr<const SearchIndex> mirror;
  MirrorPageCache* pages = nullptr;
};

struct NetworkPage {
  // Totals, facets, `more`, `timed_out`, `valid_until` of the merged
  // search; its `hits` are in `hits` below, with their origin.
  SearchPage page;
  struct Hit {
    SearchHit hit;
    size_t origin = 0;  // index into the origins searched
  };
  std::vector<Hit> hits;
  std::map<std::string, int32_t> origin_facets;
};

// `request_key`: the request's bytes, the same for equal requests (empty:
// no mirror's page is cached or reused).
NetworkPage SearchOrigins(const std::vector<OriginIndex>& origins, SearchQuery query, int64_t now,
                          absl::string_view request_key = {});

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_NETWORK_SEARCH_H_
