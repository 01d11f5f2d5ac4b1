#include "services/catalog/search_query.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/paging/page_token.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

namespace pb = gnlc::catalog::v1;

// The bounds of one search's work (documented in catalog_service.proto).
constexpr size_t kMaxQueryChars = 200;
constexpr size_t kMaxQueryTerms = 32;
constexpr int kMaxFilterValues = 20;
constexpr double kMaxRadiusM = 50000;

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

}  // namespace

absl::StatusOr<SearchQuery> ParseSearchRequest(const pb::SearchProgramsRequest& req) {
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

}  // namespace gnlc::catalog
