// Answering a query: each candidate program evaluated against it (its
// offerings' filters, availability at `now`, cached per program, and the
// distance from the resident), totals and facets counted as matches stream
// by, the page kept in a bounded heap, then ranked. Evaluation and the loop
// that calls it per candidate share this file so the compiler can inline
// one into the other.
#include <algorithm>
#include <array>
#include <atomic>

#include "common/names/resource_names.h"
#include "services/catalog/geo.h"
#include "services/catalog/search_index.h"
#include "services/catalog/search_index_internal.h"

namespace gnlc::catalog {

using namespace index_detail;  // NOLINT: this class's own helpers

Availability SearchIndex::CachedAvailability(uint32_t slot, int64_t now, int64_t* horizon) const {
  std::atomic_ref<int64_t> cache(const_cast<int64_t&>(summaries_[slot].availability_cache));
  const int64_t cached = cache.load(std::memory_order_relaxed);
  if ((cached >> 8) > now) {
    if (horizon != nullptr) *horizon = std::min(*horizon, cached >> 8);
    return static_cast<Availability>(cached & 0xff);
  }
  const ProgramDoc& d = *docs_[slot];
  Availability best = v1::AVAILABILITY_UNSPECIFIED;
  int64_t valid_until = INT64_MAX >> 8;
  for (const OfferingDoc& o : d.offerings) {
    best = BetterAvailability(best, OfferingAvailability(o.times, now));
    valid_until = std::min(valid_until, NextAvailabilityChange(o.times, now));
  }
  if (d.state == v1::PROGRAM_STATE_CANCELLED) best = v1::AVAILABILITY_CANCELLED;
  cache.store((valid_until << 8) | best, std::memory_order_relaxed);
  if (horizon != nullptr) *horizon = std::min(*horizon, valid_until);
  return best;
}

bool SearchIndex::Evaluate(uint32_t slot, const SearchQuery& q, const PreparedQuery& pq,
                           int64_t now, Depth depth, const GeoMatch* geo, Evaluation& out) const {
  const bool fast = depth == Depth::kSummary;
  const Summary& s = summaries_[slot];
  if (s.state != v1::PROGRAM_STATE_PUBLISHED && s.state != v1::PROGRAM_STATE_CANCELLED) {
    return false;
  }
  if (pq.kind_mask != 0 && (pq.kind_mask & (1u << s.kind)) == 0) return false;
  if (pq.age_mask != 0 && s.audience_mask != 0 && (s.audience_mask & pq.age_mask) == 0) {
    return false;
  }
  const ProgramDoc* doc = nullptr;  // touched only when needed: it is far away in memory
  if (!pq.topics.empty() || !pq.languages.empty()) {
    doc = docs_[slot].get();
    bool topic = pq.topics.empty(), language = pq.languages.empty();
    for (uint32_t t : pq.topics) topic = topic || Contains(doc->topics, t);
    for (uint32_t l : pq.languages) language = language || Contains(doc->languages, l);
    if (!topic || !language) return false;
  }
  if (fast && geo != nullptr) {
    out.offering_count = s.live_offering_count;
    out.modality_mask = geo->modality_mask;
    out.districts = absl::MakeConstSpan(geo->districts);
    out.distance_m = geo->distance_m;
    out.availability = CachedAvailability(slot, now, &out.horizon);
    return pq.availability_mask == 0 || (pq.availability_mask & (1u << out.availability)) != 0;
  }
  if (fast && !q.has_geo && !s.districts_overflow) {
    out.offering_count = s.live_offering_count;
    out.modality_mask = s.live_modality_mask;
    out.district_mask = s.district_mask;
    out.availability = CachedAvailability(slot, now, &out.horizon);
    return pq.availability_mask == 0 || (pq.availability_mask & (1u << out.availability)) != 0;
  }
  if (depth == Depth::kCompact) return EvaluateCompact(slot, q, pq, now, out);
  if (doc == nullptr) doc = docs_[slot].get();
  const ProgramDoc& d = *doc;
  Availability best = v1::AVAILABILITY_UNSPECIFIED;
  bool matched = false;
  double best_distance = std::numeric_limits<double>::max();
  int32_t seats = 0;
  bool unlimited = false;
  for (const OfferingDoc& o : d.offerings) {
    const Availability a = OfferingAvailability(o.times, now);
    best = BetterAvailability(best, a);
    out.horizon = std::min(out.horizon, NextAvailabilityChange(o.times, now));
    if (!o.times.cancelled) ++out.offering_count;
    const CompactOffering c = CompactOf(o, d.district);
    double distance = 0;
    if (!OfferingPasses(q, pq, c, distance)) continue;
    matched = true;
    CountMatch(c, distance, now, out, best_distance);
    if (a == v1::AVAILABILITY_OPEN) {
      if (o.times.capacity < 0) {
        unlimited = true;
      } else {
        seats += std::max(0, o.times.capacity - o.times.taken);
      }
    }
  }
  if (!matched) {
    // Without offering-level filters a program matches on its own (e.g. one
    // whose offerings are not scheduled yet); a district filter then looks
    // at its home district.
    if (pq.offering_filters) return false;
    if (!pq.districts.empty() && !Contains(pq.districts, d.district)) return false;
    if (d.district != 0) out.own_districts.push_back(d.district);
  }
  out.districts = absl::MakeConstSpan(out.own_districts);
  out.availability = d.state == v1::PROGRAM_STATE_CANCELLED ? v1::AVAILABILITY_CANCELLED : best;
  if (pq.availability_mask != 0 && (pq.availability_mask & (1u << out.availability)) == 0) {
    return false;
  }
  out.distance_m = q.has_geo ? best_distance : 0;
  out.seats_left = unlimited ? -1 : seats;
  return true;
}

SearchIndex::CompactOffering SearchIndex::CompactOf(const OfferingDoc& o, uint32_t home_district) {
  return CompactOffering{o.times.start,
                         o.times.end,
                         static_cast<float>(o.lat),
                         static_cast<float>(o.lng),
                         o.district != 0 ? o.district : home_district,
                         o.modality,
                         o.free,
                         o.times.cancelled,
                         o.has_geo};
}

bool SearchIndex::OfferingPasses(const SearchQuery& q, const PreparedQuery& pq,
                                 const CompactOffering& o, double& distance) {
  if (o.cancelled && !pq.include_cancelled) return false;
  if (pq.modality_mask != 0 && (pq.modality_mask & (1u << o.modality)) == 0) return false;
  if (!pq.districts.empty() && !Contains(pq.districts, o.district)) return false;
  if (q.price == v1::PRICE_FILTER_FREE && !o.free) return false;
  if (q.price == v1::PRICE_FILTER_PAID && o.free) return false;
  if (q.start_after && o.start < *q.start_after) return false;
  if (q.start_before && o.start >= *q.start_before) return false;
  distance = 0;
  if (q.has_geo) {
    if (!o.has_geo) return false;
    distance = DistanceMeters(q.lat, q.lng, o.lat, o.lng);
    if (distance > q.radius_m) return false;
  }
  return true;
}

void SearchIndex::CountMatch(const CompactOffering& o, double distance, int64_t now,
                             Evaluation& out, double& best_distance) {
  best_distance = std::min(best_distance, distance);
  out.modality_mask |= 1u << o.modality;
  auto& own = out.own_districts;
  if (o.district != 0 && std::find(own.begin(), own.end(), o.district) == own.end()) {
    own.push_back(o.district);
  }
  if (o.end > now && !o.cancelled && (!out.next_start || o.start < *out.next_start)) {
    out.next_start = o.start;
  }
}

bool SearchIndex::EvaluateCompact(uint32_t slot, const SearchQuery& q, const PreparedQuery& pq,
                                  int64_t now, Evaluation& out) const {
  // The detailed evaluation's rules over the compact offerings; seats are
  // left out (only the page needs them, and it is evaluated in detail).
  const Span& span = compact_spans_[slot];
  bool matched = false;
  double best_distance = std::numeric_limits<double>::max();
  auto& own = out.own_districts;
  for (uint32_t k = 0; k < span.count; ++k) {
    const CompactOffering& o = compact_[span.offset + k];
    double distance = 0;
    if (!OfferingPasses(q, pq, o, distance)) continue;
    matched = true;
    CountMatch(o, distance, now, out, best_distance);
  }
  if (!matched) {
    if (pq.offering_filters) return false;
    if (!pq.districts.empty() && !Contains(pq.districts, span.home_district)) return false;
    if (span.home_district != 0) own.push_back(span.home_district);
  }
  out.districts = absl::MakeConstSpan(own);
  out.offering_count = summaries_[slot].live_offering_count;
  out.availability = CachedAvailability(slot, now, &out.horizon);
  if (pq.availability_mask != 0 && (pq.availability_mask & (1u << out.availability)) == 0) {
    return false;
  }
  out.distance_m = q.has_geo ? best_distance : 0;
  return true;
}

SearchPage SearchIndex::Search(const SearchQuery& q, int64_t now) const {
  SearchPage page;
  // Only the page is kept (a bounded heap); totals and facets are counted in
  // arrays as matches stream by. Ties in the sort key are broken by name,
  // compared as the integer order key first.
  struct Row {
    double key;
    uint64_t order_key;
    uint32_t slot;
    double relevance;
  };
  std::array<int32_t, 16> kinds{}, modalities{}, availability{};
  absl::ReaderMutexLock lock(&mu_);
  const PreparedQuery pq = Prepare(q);
  page.generation = generation_;
  std::vector<int32_t> districts(interned_names_.size(), 0);
  std::array<int32_t, 64> district_bits{};
  auto less = [this](const Row& a, const Row& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.order_key != b.order_key) return a.order_key < b.order_key;
    return docs_[a.slot]->name < docs_[b.slot]->name;
  };
  std::optional<Row> cursor;
  if (q.after) cursor = Row{q.after->key, OrderKeyOf(LastSegment(q.after->name)), 0, 0};
  auto after_cursor = [&](const Row& r) {
    if (r.key != cursor->key) return r.key > cursor->key;
    if (r.order_key != cursor->order_key) return r.order_key > cursor->order_key;
    return docs_[r.slot]->name > q.after->name;
  };
  const size_t limit = static_cast<size_t>(q.page_size);
  std::vector<Row> heap;  // max-heap by `less`: the worst kept row on top
  heap.reserve(limit + 1);
  size_t past_cursor = 0;
  std::vector<double> relevance;
  std::vector<GeoMatch> geo;
  const std::vector<uint32_t> slots =
      Candidates(q, pq, relevance, pq.geo_suffices ? &geo : nullptr);
  const Depth depth = pq.summary_suffices || pq.geo_suffices ? Depth::kSummary : Depth::kCompact;
  // Summaries are read in slot order but far apart: ask for the ones a few
  // matches ahead now, so the memory latency overlaps with the work.
  constexpr size_t kPrefetchDistance = 8;
  for (size_t i = 0; i < slots.size(); ++i) {
    // A search never runs on after its caller gave up (checked every few
    // thousand candidates: a clock read costs about as much as one).
    if ((i & 4095) == 4095 && absl::Now() > q.deadline) {
      page.timed_out = true;
      return page;
    }
    if (i + kPrefetchDistance < slots.size()) {
      __builtin_prefetch(&summaries_[slots[i + kPrefetchDistance]]);
      if (depth == Depth::kCompact) {
        __builtin_prefetch(&compact_spans_[slots[i + kPrefetchDistance]]);
        if (i + kPrefetchDistance / 2 < slots.size()) {
          // Pointer arithmetic, not operator[]: an empty span's offset may
          // be the arena's end, and the arena may be empty (a mirror of
          // programs without offerings).
          __builtin_prefetch(compact_.data() +
                             compact_spans_[slots[i + kPrefetchDistance / 2]].offset);
        }
      }
    }
    const uint32_t slot = slots[i];
    Evaluation e;
    const bool match = Evaluate(slot, q, pq, now, depth, geo.empty() ? nullptr : &geo[i], e);
    page.valid_until = std::min(page.valid_until, e.horizon);
    if (!match) continue;
    ++page.total;
    ++kinds[summaries_[slot].kind & 15];
    for (uint32_t m = e.modality_mask & 0xffff; m != 0; m &= m - 1) ++modalities[__builtin_ctz(m)];
    for (uint32_t di : e.districts) ++districts[di];
    for (uint64_t m = e.district_mask; m != 0; m &= m - 1) ++district_bits[__builtin_ctzll(m)];
    ++availability[e.availability & 15];
    double key = 0;
    switch (q.order) {
      case v1::SEARCH_ORDER_DISTANCE:
        key = e.distance_m;
        break;
      case v1::SEARCH_ORDER_START_TIME:
        key = e.next_start ? static_cast<double>(*e.next_start) : kNoStart;
        break;
      default:
        key = -relevance[i];
        break;
    }
    const Row row{key, summaries_[slot].order_key, slot, relevance[i]};
    if (cursor && !after_cursor(row)) continue;
    ++past_cursor;
    if (heap.size() < limit) {
      heap.push_back(row);
      std::push_heap(heap.begin(), heap.end(), less);
    } else if (!heap.empty() && less(row, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = row;
      std::push_heap(heap.begin(), heap.end(), less);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), less);
  page.more = past_cursor > limit;
  for (int k = 0; k < 16; ++k) {
    if (kinds[k] > 0) page.kind_facets[gnlc::type::v1::ProgramKind_Name(k)] = kinds[k];
    if (modalities[k] > 0) page.modality_facets[gnlc::type::v1::Modality_Name(k)] = modalities[k];
    if (availability[k] > 0) page.availability_facets[v1::Availability_Name(k)] = availability[k];
  }
  for (size_t bit = 0; bit < districts_by_bit_.size(); ++bit) {
    districts[districts_by_bit_[bit]] += district_bits[bit];
  }
  for (size_t di = 1; di < districts.size(); ++di) {
    if (districts[di] > 0) page.district_facets[interned_names_[di]] = districts[di];
  }
  for (const Row& r : heap) {
    Evaluation e;
    Evaluate(r.slot, q, pq, now, Depth::kDetailed, nullptr, e);  // with details, for the page only
    const ProgramDoc& d = *docs_[r.slot];
    SearchHit hit;
    hit.program = d.bytes;
    hit.availability = e.availability;
    hit.offering_count = e.offering_count;
    hit.distance_m = e.distance_m;
    hit.next_start = e.next_start;
    hit.relevance = r.relevance;
    hit.seats_left = e.seats_left;
    hit.cursor = {r.key, d.name};
    page.hits.push_back(std::move(hit));
  }
  return page;
}

}  // namespace gnlc::catalog
