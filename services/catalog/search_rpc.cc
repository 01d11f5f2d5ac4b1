// SearchPrograms: validating the request into a SearchQuery, and the page
// back into a response.
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_views.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

// The bounds of one search's work (documented in catalog_service.proto).
constexpr size_t kMaxQueryChars = 200;
constexpr size_t kMaxQueryTerms = 32;
constexpr int kMaxFilterValues = 20;
constexpr double kMaxRadiusM = 50000;
// However long the caller would wait.
constexpr absl::Duration kMaxSearchTime = absl::Seconds(2);

absl::Status Bad(absl::string_view field, absl::string_view message) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(field, ": ", message),
                         {{"field", std::string(field)}});
}

template <typename Repeated, typename IsValid>
absl::Status CopyEnums(absl::string_view field, const Repeated& values, IsValid is_valid,
                       std::vector<int>& out) {
  if (values.size() > kMaxFilterValues) return Bad(field, "at most 20 values");
  for (int v : values) {
    if (v == 0 || !is_valid(v)) return Bad(field, absl::StrCat(v, " is not a known value"));
    out.push_back(v);
  }
  return absl::OkStatus();
}

absl::Status CopyStrings(absl::string_view field,
                         const google::protobuf::RepeatedPtrField<std::string>& values,
                         size_t max_chars, bool lower, std::vector<std::string>& out) {
  if (values.size() > kMaxFilterValues) return Bad(field, "at most 20 values");
  for (const std::string& v : values) {
    RETURN_IF_ERROR(ValidateText(field, v, max_chars));
    out.push_back(lower ? absl::AsciiStrToLower(v) : v);
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchQuery> ParseQuery(const pb::SearchProgramsRequest& req) {
  SearchQuery q;
  RETURN_IF_ERROR(ValidateText("query", req.query(), kMaxQueryChars));
  q.terms = QueryTerms(req.query());
  if (q.terms.size() > kMaxQueryTerms) {
    return Bad("query",
               absl::StrCat("has ", q.terms.size(), " search terms; at most ", kMaxQueryTerms,
                            " (a Chinese phrase counts one per pair "
                            "of characters)"));
  }
  RETURN_IF_ERROR(CopyEnums("kinds", req.kinds(), gnlc::type::v1::ProgramKind_IsValid, q.kinds));
  RETURN_IF_ERROR(
      CopyEnums("age_bands", req.age_bands(), gnlc::type::v1::AgeBand_IsValid, q.age_bands));
  RETURN_IF_ERROR(
      CopyEnums("modalities", req.modalities(), gnlc::type::v1::Modality_IsValid, q.modalities));
  RETURN_IF_ERROR(
      CopyEnums("availability", req.availability(), pb::Availability_IsValid, q.availability));
  RETURN_IF_ERROR(CopyStrings("topics", req.topics(), 40, true, q.topics));
  RETURN_IF_ERROR(CopyStrings("languages", req.languages(), 35, false, q.languages));
  RETURN_IF_ERROR(CopyStrings("districts", req.districts(), 63, false, q.districts));
  if (!pb::PriceFilter_IsValid(req.price())) return Bad("price", "is not a PriceFilter value");
  q.price = req.price();
  if (req.has_start_after()) q.start_after = req.start_after().seconds();
  if (req.has_start_before()) q.start_before = req.start_before().seconds();
  if (q.start_after && q.start_before && *q.start_before <= *q.start_after) {
    return Bad("start_before", "must be after start_after");
  }
  if (req.has_near()) {
    const auto& c = req.near().center();
    if (!std::isfinite(c.latitude()) || c.latitude() < -90 || c.latitude() > 90) {
      return Bad("near.center.latitude", "must be between -90 and 90");
    }
    if (!std::isfinite(c.longitude()) || c.longitude() < -180 || c.longitude() > 180) {
      return Bad("near.center.longitude", "must be between -180 and 180");
    }
    const double r = req.near().radius_meters();
    if (!std::isfinite(r) || r < 1 || r > kMaxRadiusM) {
      return Bad("near.radius_meters", "must be between 1 and 50000 (50 km)");
    }
    q.has_geo = true;
    q.lat = c.latitude();
    q.lng = c.longitude();
    q.radius_m = r;
  }
  if (!pb::SearchOrder_IsValid(req.order_by()))
    return Bad("order_by", "is not a SearchOrder value");
  q.order = req.order_by();
  if (q.order == pb::SEARCH_ORDER_UNSPECIFIED) {
    q.order = q.terms.empty() ? pb::SEARCH_ORDER_START_TIME : pb::SEARCH_ORDER_RELEVANCE;
  }
  if (q.order == pb::SEARCH_ORDER_DISTANCE && !q.has_geo) {
    return Bad("order_by", "DISTANCE needs `near` (the point to measure from)");
  }
  ASSIGN_OR_RETURN(q.page_size, EffectivePageSize(req.page_size()));
  return q;
}

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
  ASSIGN_OR_RETURN(SearchQuery query, ParseQuery(req));
  RETURN_IF_ERROR(CheckReady());
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  ASSIGN_OR_RETURN(query.after, DecodeCursor(position));
  query.deadline = std::min(deadline, absl::Now() + kMaxSearchTime);
  const int64_t now = NowSeconds();
  std::string key;
  if (search_cache_.enabled()) {
    key = DeterministicBytes(req);
    if (auto hit = search_cache_.Get(key, index_.generation(), now)) {
      if (catalog_metrics_.cache_hits != nullptr) catalog_metrics_.cache_hits->Increment();
      resp = *std::move(hit);
      return absl::OkStatus();
    }
    if (catalog_metrics_.cache_misses != nullptr) catalog_metrics_.cache_misses->Increment();
  }
  SearchPage page = index_.Search(query, now);
  if (page.timed_out) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, "SEARCH_TOO_SLOW",
                     "the search took longer than allowed: narrow it with fewer terms or filters");
  }
  PageBytes budget;
  for (size_t i = 0; i < page.hits.size(); ++i) {
    if (!budget.Take(page.hits[i].program.size() + 64)) {
      page.hits.resize(i);
      page.more = true;
      break;
    }
  }
  for (SearchHit& hit : page.hits) {
    pb::SearchResult* r = resp.add_results();
    r->mutable_program()->ParseFromString(hit.program);
    r->mutable_program()->set_availability(hit.availability);
    r->mutable_program()->set_offering_count(hit.offering_count);
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
  if (page.more && !page.hits.empty()) {
    resp.set_next_page_token(tokens_.Encode(fingerprint, EncodeCursor(page.hits.back().cursor)));
  }
  if (search_cache_.enabled()) {
    search_cache_.Put(std::move(key), page.generation, page.valid_until, resp);
  }
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
