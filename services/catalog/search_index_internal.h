// The search index's insides, shared by the files that implement it (and by
// nothing else): the documents and summaries it keeps per program and
// offering, the prepared form of a query, and small helpers.
//
//   search_index.cc           writes: upserts, removals, postings, refresh
//   search_index_views.cc     Get/List of programs and offerings
//   search_index_match.cc     which programs can match: postings, geo grid
//   search_index_search.cc    each candidate against the query (filters,
//                             availability, distance), ranking, facets,
//                             the page
#ifndef GNLC_SERVICES_CATALOG_SEARCH_INDEX_INTERNAL_H_
#define GNLC_SERVICES_CATALOG_SEARCH_INDEX_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {
namespace index_detail {

inline constexpr uint32_t kTitleWeight = 3, kTopicWeight = 2, kDescriptionWeight = 1,
                          kFilterWeight = 0;
inline constexpr double kNoStart = std::numeric_limits<double>::max();
inline constexpr uint32_t kNoBit = 0xff;

// Postings and per-document term lists pack an id and a 2-bit weight.
constexpr uint32_t Pack(uint32_t id, uint32_t weight) { return id << 2 | weight; }
constexpr uint32_t IdOf(uint32_t packed) { return packed >> 2; }
constexpr uint32_t WeightOf(uint32_t packed) { return packed & 3; }

inline uint64_t VersionOf(const std::string& etag) {
  uint64_t v = 0;
  return absl::SimpleAtoi(etag, &v) ? v : 0;
}

inline std::string KindTerm(int kind) { return absl::StrCat("\x01k", kind); }
inline std::string DistrictTerm(absl::string_view d) { return absl::StrCat("\x01d", d); }

// Program id from ".../programs/{id}" or ".../programs/{id}/offerings/{o}".
inline absl::string_view ProgramIdOf(absl::string_view name) {
  const size_t p = name.find("/programs/");
  if (p == absl::string_view::npos) return {};
  absl::string_view rest = name.substr(p + 10);
  return rest.substr(0, rest.find('/'));
}

// The first 8 bytes of a program id, big-endian: orders like the names do
// (every name of a city shares its prefix), as one integer compare.
inline uint64_t OrderKeyOf(absl::string_view id) {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = key << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0);
  }
  return key;
}

template <typename T>
inline bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace index_detail

struct SearchIndex::OfferingDoc {
  // What searches read first, together at the front.
  OfferingTimes times;
  double lat = 0, lng = 0;
  uint32_t district = 0;  // interned; 0: none
  uint8_t modality = 0;
  bool has_geo = false;
  bool free = true;
  uint64_t version = 0;
  std::string id;
  std::string bytes;
};

// An offering's venue in the geo grid, with what a near-me search needs to
// know about it, so that it never has to visit the program.
struct SearchIndex::GeoPoint {
  float lat, lng;
  uint32_t slot;
  uint32_t district;  // the offering's, else the program's
  uint8_t modality;
  bool cancelled;
};

// An offering as searches with offering-level filters see it: 32 bytes in
// one arena, a program's offerings side by side, so those searches need not
// visit programs either.
struct SearchIndex::CompactOffering {
  int64_t start, end;
  float lat, lng;
  uint32_t district;  // the offering's, else the program's (interned)
  uint8_t modality;
  bool free, cancelled, has_geo;
};
static_assert(sizeof(SearchIndex::CompactOffering) == 32, "compact offerings stay 32 bytes");

// What a near-me search learns from the grid about one program: its
// offerings inside the circle.
struct SearchIndex::GeoMatch {
  double distance_m;
  uint32_t modality_mask;
  absl::InlinedVector<uint32_t, 4> districts;
};

struct SearchIndex::ProgramDoc {
  std::string id, name, bytes;
  uint64_t version = 0;
  int kind = 0, state = 0;
  std::vector<uint32_t> topics, languages;  // interned
  uint32_t district = 0;
  int64_t create_time = 0;
  std::vector<OfferingDoc> offerings;
  std::vector<uint32_t> text_terms;    // packed, sorted: from the program's text
  std::vector<uint32_t> filter_terms;  // packed, sorted: kind and districts
  std::vector<uint64_t> cells;         // sorted
};

// Per slot, contiguous, one 32-byte record: a search touches only this for
// most matches, and at 100,000 programs it is memory, not arithmetic, that
// bounds a search.
struct alignas(32) SearchIndex::Summary {
  uint64_t order_key = 0;
  // Availability as computed at some moment, good until `valid_until`
  // (unix seconds, packed above the availability in the low 8 bits).
  // Searches share a reader lock, hence atomic_ref; writes reset it under
  // the exclusive lock. Assumes the clock does not go back.
  int64_t availability_cache = 0;
  uint64_t district_mask = 0;  // districts of live offerings, by district bit
  uint16_t live_offering_count = 0;
  uint8_t audience_mask = 0;
  uint8_t kind = 0, state = 0, live_modality_mask = 0;
  bool districts_overflow = false;  // a district without a bit: use the slow path
  bool live = false;
};
static_assert(sizeof(SearchIndex::Summary) == 32, "a summary must stay one half cache line");

// What Evaluate learns about a matching program. No heap allocation in the
// common case: this runs once per match, thousands of times per search.
struct SearchIndex::Evaluation {
  Availability availability = v1::AVAILABILITY_UNSPECIFIED;
  int32_t offering_count = 0;
  double distance_m = 0;
  std::optional<int64_t> next_start;
  int32_t seats_left = 0;
  uint32_t modality_mask = 0;  // bit per Modality
  // Interned district ids, distinct: a view of the summary's or grid's list
  // on fast paths, of `own_districts` otherwise.
  absl::Span<const uint32_t> districts;
  absl::InlinedVector<uint32_t, 8> own_districts;
  uint64_t district_mask = 0;  // instead of `districts`, from a summary
  // Until when (unix seconds) what was learnt about this program with the
  // clock can hold: its availability's next boundary.
  int64_t horizon = INT64_MAX;
};

// A query with its strings resolved to interned ids and its sets to masks,
// once per search instead of once per document.
struct SearchIndex::PreparedQuery {
  uint32_t kind_mask = 0, age_mask = 0, modality_mask = 0, availability_mask = 0;
  std::vector<uint32_t> topics, languages, districts;
  bool offering_filters = false;
  bool include_cancelled = false;
  // The summary answers everything unless offerings are filtered one by one
  // or ordered by their start.
  bool summary_suffices = false;
  // Near-me search whose only offering-level filter is the circle: the
  // grid's points answer it with the summary.
  bool geo_suffices = false;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_SEARCH_INDEX_INTERNAL_H_
