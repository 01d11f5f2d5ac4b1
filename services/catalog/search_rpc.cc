// SearchPrograms: the request validated into a SearchQuery
// (search_query.h), the index searched, and the page back into a response.
#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_views.h"
#include "services/catalog/network_search.h"
#include "services/catalog/search_query.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

// However long the caller would wait.
constexpr absl::Duration kMaxSearchTime = absl::Seconds(2);

// The request's bytes, the same for equal requests: the cache key.
std::string DeterministicBytes(const pb::SearchProgramsRequest& req) {
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  req.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

void AddFacets(const std::map<std::string, int32_t>& counts,
               google::protobuf::RepeatedPtrField<pb::FacetCount>* out) {
  for (const auto& [value, count] : counts) {
    auto* f = out->Add();
    f->set_value(value);
    f->set_count(count);
  }
}

}  // namespace

absl::Status CatalogService::DoSearchPrograms(const pb::SearchProgramsRequest& req,
                                              pb::SearchProgramsResponse& resp,
                                              absl::Time deadline) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(SearchQuery query, ParseSearchRequest(req));
  // The generation before the sources: a page is never cached under a
  // newer generation than the indexes it was searched in. (Taken after
  // them, a search that began before a peer's mirror was loaded cached its
  // page without that peer under the loaded generation, and served it until
  // the next change: federation tests waited for a mirror in vain.)
  const uint64_t generation = SearchGeneration();
  ASSIGN_OR_RETURN(std::vector<ReadSource> sources, SearchSources(req));
  RETURN_IF_ERROR(CheckReady());
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  ASSIGN_OR_RETURN(query.after, DecodeCursor(position));
  query.deadline = std::min(deadline, absl::Now() + kMaxSearchTime);
  const int64_t now = NowSeconds();
  // The request's bytes key the result cache and each mirror's pages.
  const bool mirrors_cached = std::any_of(sources.begin(), sources.end(), [](const ReadSource& s) {
    return s.pages != nullptr && s.pages->enabled();
  });
  std::string key;
  if (search_cache_.enabled() || mirrors_cached) key = DeterministicBytes(req);
  if (search_cache_.enabled()) {
    if (auto hit = search_cache_.Get(key, generation, now)) {
      if (catalog_metrics_.cache_hits != nullptr) catalog_metrics_.cache_hits->Increment();
      resp = *std::move(hit);
      return absl::OkStatus();
    }
    if (catalog_metrics_.cache_misses != nullptr) catalog_metrics_.cache_misses->Increment();
  }
  std::vector<OriginIndex> origins;
  for (const ReadSource& s : sources) {
    origins.push_back({s.city, &s.index(index_), s.mirror, s.pages});
  }
  NetworkPage network = SearchOrigins(origins, std::move(query), now, key);
  SearchPage& page = network.page;
  if (page.timed_out) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, "SEARCH_TOO_SLOW",
                     "the search took longer than allowed: narrow it with fewer terms or filters");
  }
  PageBytes budget;
  for (size_t i = 0; i < network.hits.size(); ++i) {
    if (!budget.Take(network.hits[i].hit.program.size() + 64)) {
      network.hits.resize(i);
      page.more = true;
      break;
    }
  }
  for (const NetworkPage::Hit& h : network.hits) {
    const SearchHit& hit = h.hit;
    pb::SearchResult* r = resp.add_results();
    if (!r->mutable_program()->ParseFromString(hit.program)) {
      ReportBrokenInvariant("an indexed program does not parse");
    }
    r->mutable_program()->set_availability(hit.availability);
    r->mutable_program()->set_offering_count(hit.offering_count);
    sources[h.origin].Mark(*r->mutable_program());
    r->set_distance_meters(hit.distance_m);
    if (hit.next_start) *r->mutable_next_start_time() = TimestampFromSeconds(*hit.next_start);
    r->set_relevance(hit.relevance);
    r->set_seats_left(hit.seats_left);
  }
  resp.set_total_size(page.total);
  AddFacets(page.kind_facets, resp.mutable_kind_facets());
  AddFacets(page.modality_facets, resp.mutable_modality_facets());
  AddFacets(page.district_facets, resp.mutable_district_facets());
  AddFacets(page.availability_facets, resp.mutable_availability_facets());
  if (req.scope() == pb::SEARCH_SCOPE_NETWORK || req.origin_cities_size() > 0) {
    AddFacets(network.origin_facets, resp.mutable_origin_facets());
  }
  if (page.more && !network.hits.empty()) {
    resp.set_next_page_token(
        tokens_.Encode(fingerprint, EncodeCursor(network.hits.back().hit.cursor)));
  }
  if (search_cache_.enabled()) {
    search_cache_.Put(std::move(key), generation, page.valid_until, resp);
  }
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
