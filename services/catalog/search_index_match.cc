// Which programs can match a query: the prepared query, posting lists of
// its terms and filters, and the geo grid.
#include <algorithm>
#include <cmath>

#include "services/catalog/geo.h"
#include "services/catalog/search_index.h"
#include "services/catalog/search_index_internal.h"

namespace gnlc::catalog {

using namespace index_detail;  // NOLINT: this class's own helpers

SearchIndex::PreparedQuery SearchIndex::Prepare(const SearchQuery& q) const {
  PreparedQuery p;
  for (int k : q.kinds) p.kind_mask |= 1u << k;
  for (int a : q.age_bands) p.age_mask |= 1u << a;
  for (int m : q.modalities) p.modality_mask |= 1u << m;
  for (int a : q.availability) p.availability_mask |= 1u << a;
  for (const auto& t : q.topics) p.topics.push_back(Lookup(t));
  for (const auto& l : q.languages) p.languages.push_back(Lookup(l));
  for (const auto& d : q.districts) p.districts.push_back(Lookup(d));
  p.offering_filters = !q.modalities.empty() || q.price != v1::PRICE_FILTER_UNSPECIFIED ||
                       q.start_after.has_value() || q.start_before.has_value() || q.has_geo;
  p.include_cancelled = (p.availability_mask & (1u << v1::AVAILABILITY_CANCELLED)) != 0;
  p.summary_suffices = !p.offering_filters && p.districts.empty() && !p.include_cancelled &&
                       q.order != v1::SEARCH_ORDER_START_TIME;
  p.geo_suffices = q.has_geo && q.modalities.empty() && q.price == v1::PRICE_FILTER_UNSPECIFIED &&
                   !q.start_after && !q.start_before && p.districts.empty() &&
                   !p.include_cancelled && q.order != v1::SEARCH_ORDER_START_TIME;
  return p;
}

namespace {
// Sorted union of the slots of several posting lists.
std::vector<uint32_t> UnionOf(const std::vector<const std::vector<uint32_t>*>& lists) {
  std::vector<uint32_t> out;
  for (const auto* list : lists) {
    const size_t before = out.size();
    for (uint32_t p : *list) out.push_back(IdOf(p));
    // Each list is sorted already: merging costs less than sorting.
    std::inplace_merge(out.begin(), out.begin() + before, out.end());
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}
}  // namespace

std::vector<uint32_t> SearchIndex::Candidates(const SearchQuery& q, const PreparedQuery& pq,
                                              std::vector<double>& relevance,
                                              std::vector<GeoMatch>* geo) const {
  std::vector<uint32_t> slots;
  if (!q.terms.empty()) {
    // Each term's posting list and how many programs of the corpus have it.
    std::vector<std::pair<const std::vector<uint32_t>*, double>> terms;
    const bool corpus = q.term_programs.size() == q.terms.size() && q.corpus_programs > 0;
    for (size_t k = 0; k < q.terms.size(); ++k) {
      const auto* list = Postings(q.terms[k]);
      if (list == nullptr || list->empty()) return {};
      terms.emplace_back(
          list, corpus ? std::max(q.term_programs[k], 1.0) : static_cast<double>(list->size()));
    }
    std::sort(terms.begin(), terms.end(),
              [](const auto& a, const auto& b) { return a.first->size() < b.first->size(); });
    auto by_slot = [](uint32_t posting, uint32_t s) { return IdOf(posting) < s; };
    const double n =
        corpus ? q.corpus_programs : static_cast<double>(std::max<size_t>(live_programs_, 1));
    std::vector<const std::vector<uint32_t>*> lists;
    std::vector<double> idf;
    for (const auto& [list, containing] : terms) {
      lists.push_back(list);
      idf.push_back(std::log(1 + n / containing));
    }
    slots.reserve(lists[0]->size());
    relevance.reserve(lists[0]->size());
    // Walk the shortest list; in each longer one, gallop forward from where
    // the previous match left off (slots only grow), so the lists are read
    // front to back, never searched from the start.
    std::vector<size_t> at(lists.size(), 0);
    for (uint32_t p : *lists[0]) {
      const uint32_t slot = IdOf(p);
      double score = idf[0] * (WeightOf(p) + 0.5);
      bool all = true;
      for (size_t k = 1; k < lists.size() && all; ++k) {
        const std::vector<uint32_t>& list = *lists[k];
        size_t lo = at[k], step = 1;
        while (lo + step < list.size() && IdOf(list[lo + step]) < slot) {
          lo += step;
          step *= 2;
        }
        const auto hi = list.begin() + std::min(list.size(), lo + step + 1);
        at[k] = std::lower_bound(list.begin() + lo, hi, slot, by_slot) - list.begin();
        all = at[k] < list.size() && IdOf(list[at[k]]) == slot;
        if (all) score += idf[k] * (WeightOf(list[at[k]]) + 0.5);
      }
      if (all) {
        slots.push_back(IdOf(p));
        relevance.push_back(score);
      }
    }
    return slots;
  }
  // Without text, narrow by the filters that have postings (kind, district)
  // or by the geo grid; Evaluate checks everything exactly afterwards.
  std::vector<const std::vector<uint32_t>*> district_lists;
  for (const auto& d : q.districts) {
    if (const auto* list = Postings(DistrictTerm(d))) district_lists.push_back(list);
  }
  if (q.has_geo) {
    // Every program with an offering inside the circle, and what those
    // offerings are; a program with none cannot match a near-me search.
    struct Near {
      uint32_t slot;
      const GeoPoint* point;
      double distance_m;
    };
    std::vector<Near> near;
    // A flat-earth distance with 1% slack rules out most points without the
    // trigonometry of the exact (haversine) one.
    constexpr double kMetersPerDegree = 111195.0;
    const double lng_scale = std::cos(q.lat * M_PI / 180.0);
    const double limit2 = (q.radius_m * 1.01) * (q.radius_m * 1.01);
    for (uint64_t c : CellsWithin(q.lat, q.lng, q.radius_m)) {
      auto it = cells_.find(c);
      if (it == cells_.end()) continue;
      for (const GeoPoint& p : it->second) {
        if (p.cancelled && !pq.include_cancelled) continue;
        const double dy = (p.lat - q.lat) * kMetersPerDegree;
        double dlng = std::abs(p.lng - q.lng);
        if (dlng > 180) dlng = 360 - dlng;
        const double dx = dlng * kMetersPerDegree * lng_scale;
        if (dx * dx + dy * dy > limit2) continue;
        const double d = DistanceMeters(q.lat, q.lng, p.lat, p.lng);
        if (d <= q.radius_m) near.push_back({p.slot, &p, d});
      }
    }
    // Group by program: sort (slot, index) packed in one integer.
    std::vector<uint64_t> order(near.size());
    for (size_t i = 0; i < near.size(); ++i) order[i] = uint64_t{near[i].slot} << 32 | i;
    std::sort(order.begin(), order.end());
    for (size_t i = 0; i < order.size();) {
      const uint32_t slot = static_cast<uint32_t>(order[i] >> 32);
      GeoMatch m{std::numeric_limits<double>::max(), 0, {}};
      for (; i < order.size() && (order[i] >> 32) == slot; ++i) {
        const Near& n = near[order[i] & 0xffffffff];
        m.distance_m = std::min(m.distance_m, n.distance_m);
        m.modality_mask |= 1u << n.point->modality;
        const uint32_t district = n.point->district;
        if (district != 0 &&
            std::find(m.districts.begin(), m.districts.end(), district) == m.districts.end()) {
          m.districts.push_back(district);
        }
      }
      slots.push_back(slot);
      if (geo != nullptr) geo->push_back(std::move(m));
    }
  } else if (q.districts.empty() && !q.kinds.empty()) {
    std::vector<const std::vector<uint32_t>*> kind_lists;
    for (int k : q.kinds) {
      if (const auto* list = Postings(KindTerm(k))) kind_lists.push_back(list);
    }
    slots = UnionOf(kind_lists);
  } else if (!q.districts.empty()) {
    // The programs in the districts, of the kinds asked for: each one's kind
    // is a byte in slot_kinds_ (no second posting list read and merged).
    const uint32_t kinds = pq.kind_mask;
    auto add = [&](uint32_t slot) {
      if (kinds == 0 || (kinds & (1u << (slot_kinds_[slot] & 31))) != 0) slots.push_back(slot);
    };
    if (district_lists.size() == 1) {
      for (uint32_t p : *district_lists[0]) add(IdOf(p));
    } else {
      for (uint32_t slot : UnionOf(district_lists)) add(slot);
    }
  } else {
    for (uint32_t s = 0; s < summaries_.size(); ++s) {
      if (summaries_[s].live) slots.push_back(s);
    }
  }
  relevance.assign(slots.size(), 0);
  return slots;
}

}  // namespace gnlc::catalog
