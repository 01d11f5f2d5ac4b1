#include "services/catalog/network_search.h"

#include <algorithm>

#include "common/names/resource_names.h"
#include "services/catalog/search_index_internal.h"

namespace gnlc::catalog {
namespace {

void AddCounts(const std::map<std::string, int32_t>& from, std::map<std::string, int32_t>& to) {
  for (const auto& [value, count] : from) to[value] += count;
}

// The order SearchIndex::Search sorts by: key, the id's order key, name.
bool Before(const SearchHit& a, const SearchHit& b) {
  if (a.cursor.key != b.cursor.key) return a.cursor.key < b.cursor.key;
  const uint64_t ka = index_detail::OrderKeyOf(LastSegment(a.cursor.name));
  const uint64_t kb = index_detail::OrderKeyOf(LastSegment(b.cursor.name));
  if (ka != kb) return ka < kb;
  return a.cursor.name < b.cursor.name;
}

// A mirror's page depends on the request and on the term statistics it was
// weighed with, which move with every other index searched.
std::string PageKey(absl::string_view request_key, const SearchQuery& query) {
  std::string key(request_key);
  auto append = [&key](double v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  append(query.corpus_programs);
  for (double n : query.term_programs) append(n);
  return key;
}

SearchPage SearchOrigin(const OriginIndex& origin, const SearchQuery& query, int64_t now,
                        const std::string& page_key) {
  MirrorPageCache* cache = page_key.empty() || origin.mirror == nullptr ? nullptr : origin.pages;
  if (cache != nullptr && cache->enabled()) {
    if (std::optional<SearchPage> page = cache->Get(origin.mirror, page_key, now)) {
      return *std::move(page);
    }
  }
  SearchPage page = origin.index->Search(query, now);
  if (cache != nullptr && cache->enabled()) cache->Put(origin.mirror, page_key, page);
  return page;
}

}  // namespace

NetworkPage SearchOrigins(const std::vector<OriginIndex>& origins, SearchQuery query, int64_t now,
                          absl::string_view request_key) {
  NetworkPage out;
  if (origins.size() > 1 && !query.terms.empty()) {
    query.corpus_programs = 0;
    query.term_programs.assign(query.terms.size(), 0);
    for (const OriginIndex& o : origins) {
      const TermStats stats = o.index->Stats(query.terms);
      query.corpus_programs += stats.programs;
      for (size_t k = 0; k < stats.containing.size(); ++k) {
        query.term_programs[k] += stats.containing[k];
      }
    }
  }
  const std::string page_key = request_key.empty() ? std::string() : PageKey(request_key, query);
  SearchPage& merged = out.page;
  for (size_t i = 0; i < origins.size(); ++i) {
    SearchPage page = SearchOrigin(origins[i], query, now, page_key);
    if (page.timed_out) {
      merged.timed_out = true;
      return out;
    }
    merged.total += page.total;
    merged.more = merged.more || page.more;
    merged.generation += page.generation;
    merged.valid_until = std::min(merged.valid_until, page.valid_until);
    AddCounts(page.kind_facets, merged.kind_facets);
    AddCounts(page.modality_facets, merged.modality_facets);
    AddCounts(page.district_facets, merged.district_facets);
    AddCounts(page.availability_facets, merged.availability_facets);
    if (page.total > 0) out.origin_facets[origins[i].city] += page.total;
    for (SearchHit& hit : page.hits) out.hits.push_back({std::move(hit), i});
  }
  std::stable_sort(
      out.hits.begin(), out.hits.end(),
      [](const NetworkPage::Hit& a, const NetworkPage::Hit& b) { return Before(a.hit, b.hit); });
  const size_t limit = static_cast<size_t>(query.page_size);
  if (out.hits.size() > limit) {
    out.hits.resize(limit);
    merged.more = true;
  }
  return out;
}

}  // namespace gnlc::catalog
