#include "services/catalog/search_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/catalog/geo.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

constexpr uint16_t kTitleWeight = 3, kTopicWeight = 2, kDescriptionWeight = 1, kFilterWeight = 0;
constexpr double kNoStart = std::numeric_limits<double>::max();

uint64_t VersionOf(const std::string& etag) {
  uint64_t v = 0;
  return absl::SimpleAtoi(etag, &v) ? v : 0;
}

std::string KindTerm(int kind) { return absl::StrCat("\x01k", kind); }
std::string DistrictTerm(absl::string_view d) { return absl::StrCat("\x01d", d); }

// Program id from ".../programs/{id}" or ".../programs/{id}/offerings/{o}".
absl::string_view ProgramIdOf(absl::string_view name) {
  const size_t p = name.find("/programs/");
  if (p == absl::string_view::npos) return {};
  absl::string_view rest = name.substr(p + 10);
  return rest.substr(0, rest.find('/'));
}

absl::string_view LastSegment(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == absl::string_view::npos ? name : name.substr(slash + 1);
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The text terms of a program with their weight (title > topic > description).
std::vector<std::pair<std::string, uint16_t>> TextTerms(const Program& p) {
  absl::flat_hash_map<std::string, uint16_t> weights;
  auto add = [&](absl::string_view text, uint16_t w) {
    for (std::string& t : IndexTerms(text)) {
      uint16_t& cur = weights[t];
      cur = std::max(cur, w);
    }
  };
  add(p.title().zh(), kTitleWeight);
  add(p.title().en(), kTitleWeight);
  for (const auto& t : p.topics()) add(t, kTopicWeight);
  add(p.description().zh(), kDescriptionWeight);
  add(p.description().en(), kDescriptionWeight);
  return {weights.begin(), weights.end()};
}

}  // namespace

struct SearchIndex::OfferingDoc {
  std::string id;
  std::string bytes;
  uint64_t version = 0;
  OfferingTimes times;
  bool has_geo = false;
  double lat = 0, lng = 0;
  int modality = 0;
  uint32_t district = 0;  // interned; 0: none
  bool free = true;
};

struct SearchIndex::ProgramDoc {
  std::string id, name, bytes;
  uint64_t version = 0;
  int kind = 0, state = 0;
  uint32_t audience_mask = 0;
  std::vector<uint32_t> topics, languages;
  uint32_t district = 0;
  int64_t create_time = 0;
  std::vector<OfferingDoc> offerings;
  // Derived from the live (not cancelled) offerings whenever they change, so
  // that a search without offering-level filters need not walk them.
  int32_t live_offering_count = 0;
  uint32_t live_modality_mask = 0;
  absl::InlinedVector<uint32_t, 8> live_districts;
  // Availability as computed at some moment, good until `valid_until`
  // (unix seconds, packed above the availability in the low 8 bits).
  // Searches run concurrently under a shared lock, hence the atomic; writes
  // reset it under the exclusive lock. Assumes the clock does not go back.
  mutable std::atomic<int64_t> availability_cache{0};
  std::vector<std::pair<std::string, uint16_t>> text_terms;  // from the program's text
  std::vector<std::pair<std::string, uint16_t>> terms;       // all indexed, sorted
  std::vector<uint64_t> cells;                               // sorted
};

// What Evaluate learns about a matching program. No heap allocation in the
// common case: this runs once per match, thousands of times per search.
struct SearchIndex::Evaluation {
  Availability availability = v1::AVAILABILITY_UNSPECIFIED;
  int32_t offering_count = 0;
  double distance_m = 0;
  std::optional<int64_t> next_start;
  int32_t seats_left = 0;
  uint32_t modality_mask = 0;                  // bit per Modality
  absl::InlinedVector<uint32_t, 8> districts;  // interned ids, distinct
};

// A query with its strings resolved to interned ids and its sets to masks,
// once per search instead of once per document.
struct SearchIndex::PreparedQuery {
  uint32_t kind_mask = 0, age_mask = 0, modality_mask = 0, availability_mask = 0;
  std::vector<uint32_t> topics, languages, districts;
  bool offering_filters = false;
  bool include_cancelled = false;
  bool summary_suffices = false;
};

SearchIndex::SearchIndex() { interned_names_.push_back(""); }
SearchIndex::~SearchIndex() = default;

uint32_t SearchIndex::Intern(absl::string_view s) {
  if (s.empty()) return 0;
  auto [it, inserted] = interned_.try_emplace(s, static_cast<uint32_t>(interned_names_.size()));
  if (inserted) interned_names_.emplace_back(s);
  return it->second;
}

uint32_t SearchIndex::Lookup(absl::string_view s) const {
  auto it = interned_.find(s);
  return it == interned_.end() ? std::numeric_limits<uint32_t>::max() : it->second;
}

bool SearchIndex::UpsertProgram(const Program& program) {
  const std::string id(LastSegment(program.name()));
  const uint64_t version = VersionOf(program.etag());
  absl::MutexLock lock(&mu_);
  if (removed_programs_.contains(id)) return false;
  uint32_t slot;
  if (auto it = slot_by_program_.find(id); it != slot_by_program_.end()) {
    slot = it->second;
    if (docs_[slot]->version >= version) return false;
  } else {
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(docs_.size());
      docs_.emplace_back();
    }
    docs_[slot] = std::make_unique<ProgramDoc>();
    docs_[slot]->id = id;
    slot_by_program_[id] = slot;
    ++live_programs_;
  }
  ProgramDoc& d = *docs_[slot];
  d.name = program.name();
  d.bytes = program.SerializeAsString();
  d.version = version;
  d.kind = program.kind();
  d.state = program.state();
  d.audience_mask = 0;
  for (int a : program.audiences()) d.audience_mask |= 1u << a;
  d.topics.clear();
  for (const auto& t : program.topics()) d.topics.push_back(Intern(t));
  d.languages.clear();
  for (const auto& l : program.languages()) d.languages.push_back(Intern(l));
  d.district = Intern(program.district());
  d.create_time = program.create_time().seconds();
  d.text_terms = TextTerms(program);
  Reindex(slot);
  return true;
}

bool SearchIndex::UpsertOffering(const Offering& offering) {
  const std::string program_id(ProgramIdOf(offering.name()));
  const std::string id(LastSegment(offering.name()));
  const uint64_t version = VersionOf(offering.etag());
  absl::MutexLock lock(&mu_);
  auto pit = slot_by_program_.find(program_id);
  if (pit == slot_by_program_.end()) return false;  // program deleted (or unknown)
  ProgramDoc& d = *docs_[pit->second];
  auto it = std::find_if(d.offerings.begin(), d.offerings.end(),
                         [&](const OfferingDoc& o) { return o.id == id; });
  if (it == d.offerings.end()) {
    d.offerings.emplace_back();
    it = d.offerings.end() - 1;
    it->id = id;
    slot_by_offering_[id] = pit->second;
    ++live_offerings_;
  } else if (it->version >= version) {
    return false;
  }
  OfferingDoc& o = *it;
  o.bytes = offering.SerializeAsString();
  o.version = version;
  o.times.start = offering.start_time().seconds();
  o.times.end = offering.end_time().seconds();
  o.times.open = offering.enrollment_open_time().seconds();
  o.times.close = offering.enrollment_close_time().seconds();
  o.times.capacity = offering.capacity().has_unlimited() ? -1 : offering.capacity().seats();
  o.times.cancelled = offering.state() == v1::OFFERING_STATE_CANCELLED;
  if (auto s = seats_taken_.find(id); s != seats_taken_.end()) o.times.taken = s->second;
  o.modality = offering.modality();
  o.has_geo = offering.has_venue() && offering.venue().has_location() &&
              offering.modality() != gnlc::type::v1::MODALITY_ONLINE;
  o.lat = offering.venue().location().latitude();
  o.lng = offering.venue().location().longitude();
  o.district = Intern(offering.venue().district());
  o.free = offering.price().units() == 0 && offering.price().nanos() == 0;
  Reindex(pit->second);
  return true;
}

void SearchIndex::SetSeatsTaken(absl::string_view offering_id, int32_t taken) {
  absl::MutexLock lock(&mu_);
  seats_taken_[offering_id] = taken;
  auto it = slot_by_offering_.find(offering_id);
  if (it == slot_by_offering_.end()) return;
  ProgramDoc& d = *docs_[it->second];
  for (OfferingDoc& o : d.offerings) {
    if (o.id == offering_id) o.times.taken = taken;
  }
  d.availability_cache.store(0, std::memory_order_relaxed);
}

void SearchIndex::RemoveProgram(absl::string_view program_id) {
  absl::MutexLock lock(&mu_);
  removed_programs_.insert(std::string(program_id));
  auto it = slot_by_program_.find(program_id);
  if (it == slot_by_program_.end()) return;
  const uint32_t slot = it->second;
  Reindex(slot, /*remove_all=*/true);
  for (const OfferingDoc& o : docs_[slot]->offerings) {
    slot_by_offering_.erase(o.id);
    --live_offerings_;
  }
  docs_[slot].reset();
  free_slots_.push_back(slot);
  slot_by_program_.erase(it);
  --live_programs_;
}

void SearchIndex::ApplyEvent(const Event& event) {
  switch (event.payload_case()) {
    case Event::kProgramUpserted:
      UpsertProgram(event.program_upserted().program());
      break;
    case Event::kProgramDeleted:
      RemoveProgram(LastSegment(event.program_deleted().program().name()));
      break;
    case Event::kOfferingUpserted:
      UpsertOffering(event.offering_upserted().offering());
      break;
    case Event::kSeatsChanged:
      SetSeatsTaken(LastSegment(event.seats_changed().seats().offering()),
                    event.seats_changed().seats().taken());
      break;
    default:
      break;
  }
}

void SearchIndex::Reindex(uint32_t slot, bool remove_all) {
  ProgramDoc& d = *docs_[slot];
  d.availability_cache.store(0, std::memory_order_relaxed);
  d.live_offering_count = 0;
  d.live_modality_mask = 0;
  d.live_districts.clear();
  for (const OfferingDoc& o : d.offerings) {
    if (o.times.cancelled) continue;
    ++d.live_offering_count;
    d.live_modality_mask |= 1u << o.modality;
    const uint32_t district = o.district != 0 ? o.district : d.district;
    if (district != 0 && std::find(d.live_districts.begin(), d.live_districts.end(), district) ==
                             d.live_districts.end()) {
      d.live_districts.push_back(district);
    }
  }
  if (d.live_offering_count == 0 && d.district != 0) d.live_districts.push_back(d.district);
  std::vector<std::pair<std::string, uint16_t>> terms;
  std::vector<uint64_t> cells;
  if (!remove_all) {
    terms = d.text_terms;
    terms.emplace_back(KindTerm(d.kind), kFilterWeight);
    if (d.district != 0)
      terms.emplace_back(DistrictTerm(interned_names_[d.district]), kFilterWeight);
    for (const OfferingDoc& o : d.offerings) {
      if (o.district != 0)
        terms.emplace_back(DistrictTerm(interned_names_[o.district]), kFilterWeight);
      if (o.has_geo) cells.push_back(CellOf(o.lat, o.lng));
    }
  }
  // Sorted by term, the highest weight first, then one entry per term.
  std::sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  terms.erase(std::unique(terms.begin(), terms.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              terms.end());
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());

  // Apply only the difference: an offering change leaves the text terms alone.
  auto by_slot = [](const Posting& a, uint32_t s) { return a.slot < s; };
  size_t i = 0, j = 0;
  const auto& old_terms = d.terms;
  while (i < old_terms.size() || j < terms.size()) {
    const bool take_old =
        j == terms.size() || (i < old_terms.size() && old_terms[i].first < terms[j].first);
    const bool take_new =
        i == old_terms.size() || (j < terms.size() && terms[j].first < old_terms[i].first);
    if (take_old) {  // term gone
      auto pit = postings_.find(old_terms[i].first);
      auto& list = pit->second;
      auto at = std::lower_bound(list.begin(), list.end(), slot, by_slot);
      if (at != list.end() && at->slot == slot) list.erase(at);
      if (list.empty()) postings_.erase(pit);
      ++i;
    } else if (take_new) {  // term added
      auto& list = postings_[terms[j].first];
      if (list.empty() || list.back().slot < slot) {
        list.push_back({slot, terms[j].second});
      } else {
        auto at = std::lower_bound(list.begin(), list.end(), slot, by_slot);
        list.insert(at, Posting{slot, terms[j].second});
      }
      ++j;
    } else {  // both: maybe a new weight
      if (old_terms[i].second != terms[j].second) {
        auto& list = postings_[terms[j].first];
        auto at = std::lower_bound(list.begin(), list.end(), slot, by_slot);
        if (at != list.end() && at->slot == slot) at->weight = terms[j].second;
      }
      ++i, ++j;
    }
  }
  for (uint64_t c : d.cells) {
    if (std::binary_search(cells.begin(), cells.end(), c)) continue;
    auto cit = cells_.find(c);
    auto& list = cit->second;
    list.erase(std::remove(list.begin(), list.end(), slot), list.end());
    if (list.empty()) cells_.erase(cit);
  }
  for (uint64_t c : cells) {
    if (std::binary_search(d.cells.begin(), d.cells.end(), c)) continue;
    auto& list = cells_[c];
    list.insert(std::lower_bound(list.begin(), list.end(), slot), slot);
  }
  d.terms = std::move(terms);
  d.cells = std::move(cells);
}

ProgramView SearchIndex::ViewOf(const ProgramDoc& d, int64_t now) const {
  ProgramView v;
  v.program = d.bytes;
  v.create_time = d.create_time;
  std::vector<Availability> avail;
  for (const OfferingDoc& o : d.offerings) {
    avail.push_back(OfferingAvailability(o.times, now));
    v.offering_count += o.times.cancelled ? 0 : 1;
  }
  v.availability = CombineAvailability(avail, d.state == v1::PROGRAM_STATE_CANCELLED);
  return v;
}

std::optional<ProgramView> SearchIndex::GetProgram(absl::string_view program_id,
                                                   int64_t now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = slot_by_program_.find(program_id);
  if (it == slot_by_program_.end()) return std::nullopt;
  return ViewOf(*docs_[it->second], now);
}

namespace {
template <typename Doc>
OfferingView OfferingViewOf(const Doc& o, int64_t now) {
  OfferingView v;
  v.offering = o.bytes;
  v.availability = OfferingAvailability(o.times, now);
  v.seats_taken = o.times.taken;
  v.seats_left = o.times.capacity < 0 ? -1 : std::max(0, o.times.capacity - o.times.taken);
  v.start = o.times.start;
  return v;
}
}  // namespace

std::optional<OfferingView> SearchIndex::GetOffering(absl::string_view program_id,
                                                     absl::string_view offering_id,
                                                     int64_t now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = slot_by_program_.find(program_id);
  if (it == slot_by_program_.end()) return std::nullopt;
  for (const OfferingDoc& o : docs_[it->second]->offerings) {
    if (o.id == offering_id) return OfferingViewOf(o, now);
  }
  return std::nullopt;
}

std::vector<OfferingView> SearchIndex::ListOfferings(absl::string_view program_id,
                                                     int64_t now) const {
  std::vector<std::pair<std::pair<int64_t, std::string>, OfferingView>> rows;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = slot_by_program_.find(program_id);
    if (it == slot_by_program_.end()) return {};
    for (const OfferingDoc& o : docs_[it->second]->offerings) {
      rows.push_back({{o.times.start, o.id}, OfferingViewOf(o, now)});
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OfferingView> out;
  for (auto& r : rows) out.push_back(std::move(r.second));
  return out;
}

std::vector<ProgramView> SearchIndex::ListPrograms(v1::ProgramState state, int kind,
                                                   const std::optional<SearchCursor>& after,
                                                   int limit, int64_t now, bool& more) const {
  absl::ReaderMutexLock lock(&mu_);
  // Newest first: order by (-create_time, name).
  std::vector<const ProgramDoc*> rows;
  for (const auto& doc : docs_) {
    if (doc == nullptr) continue;
    if (state != v1::PROGRAM_STATE_UNSPECIFIED && doc->state != state) continue;
    if (kind != 0 && doc->kind != kind) continue;
    if (after.has_value()) {
      const double key = -static_cast<double>(doc->create_time);
      if (key < after->key || (key == after->key && doc->name <= after->name)) continue;
    }
    rows.push_back(doc.get());
  }
  auto less = [](const ProgramDoc* a, const ProgramDoc* b) {
    return a->create_time != b->create_time ? a->create_time > b->create_time : a->name < b->name;
  };
  more = static_cast<int>(rows.size()) > limit;
  if (more) {
    std::partial_sort(rows.begin(), rows.begin() + limit, rows.end(), less);
    rows.resize(limit);
  } else {
    std::sort(rows.begin(), rows.end(), less);
  }
  std::vector<ProgramView> out;
  for (const ProgramDoc* d : rows) out.push_back(ViewOf(*d, now));
  return out;
}

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
  // The per-program summary answers everything unless offerings are
  // filtered one by one or ordered by their start.
  p.summary_suffices = !p.offering_filters && p.districts.empty() && !p.include_cancelled &&
                       q.order != v1::SEARCH_ORDER_START_TIME;
  return p;
}

namespace {
// Sorted union of the slots of several posting lists.
template <typename Lists>
std::vector<uint32_t> UnionOf(const Lists& lists) {
  std::vector<uint32_t> out;
  for (const auto* list : lists) {
    for (const auto& p : *list) out.push_back(p.slot);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}
}  // namespace

std::vector<uint32_t> SearchIndex::Candidates(const SearchQuery& q,
                                              std::vector<double>& relevance) const {
  std::vector<uint32_t> slots;
  if (!q.terms.empty()) {
    std::vector<const std::vector<Posting>*> lists;
    for (const std::string& t : q.terms) {
      auto it = postings_.find(t);
      if (it == postings_.end()) return {};
      lists.push_back(&it->second);
    }
    std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return a->size() < b->size(); });
    auto by_slot = [](const Posting& a, uint32_t s) { return a.slot < s; };
    const double n = static_cast<double>(std::max<size_t>(live_programs_, 1));
    std::vector<double> idf;
    for (const auto* list : lists) idf.push_back(std::log(1 + n / list->size()));
    for (const Posting& p : *lists[0]) {
      double score = idf[0] * (p.weight + 0.5);
      bool all = true;
      for (size_t k = 1; k < lists.size() && all; ++k) {
        auto at = std::lower_bound(lists[k]->begin(), lists[k]->end(), p.slot, by_slot);
        all = at != lists[k]->end() && at->slot == p.slot;
        if (all) score += idf[k] * (at->weight + 0.5);
      }
      if (all) {
        slots.push_back(p.slot);
        relevance.push_back(score);
      }
    }
    return slots;
  }
  // Without text, narrow by the filters that have postings (kind, district)
  // or by the geo grid; Evaluate checks everything exactly afterwards.
  std::vector<const std::vector<Posting>*> kind_lists, district_lists;
  for (int k : q.kinds) {
    if (auto it = postings_.find(KindTerm(k)); it != postings_.end())
      kind_lists.push_back(&it->second);
  }
  for (const auto& d : q.districts) {
    if (auto it = postings_.find(DistrictTerm(d)); it != postings_.end()) {
      district_lists.push_back(&it->second);
    }
  }
  if (q.has_geo) {
    for (uint64_t c : CellsWithin(q.lat, q.lng, q.radius_m)) {
      auto it = cells_.find(c);
      if (it != cells_.end()) slots.insert(slots.end(), it->second.begin(), it->second.end());
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  } else if (!q.kinds.empty() || !q.districts.empty()) {
    if (!q.kinds.empty()) slots = UnionOf(kind_lists);
    if (!q.districts.empty()) {
      std::vector<uint32_t> in_districts = UnionOf(district_lists);
      if (q.kinds.empty()) {
        slots = std::move(in_districts);
      } else {
        std::vector<uint32_t> both;
        std::set_intersection(slots.begin(), slots.end(), in_districts.begin(), in_districts.end(),
                              std::back_inserter(both));
        slots = std::move(both);
      }
    }
  } else {
    for (uint32_t s = 0; s < docs_.size(); ++s) {
      if (docs_[s] != nullptr) slots.push_back(s);
    }
  }
  relevance.assign(slots.size(), 0);
  return slots;
}

Availability SearchIndex::CachedAvailability(const ProgramDoc& d, int64_t now) const {
  const int64_t cached = d.availability_cache.load(std::memory_order_relaxed);
  if ((cached >> 8) > now) return static_cast<Availability>(cached & 0xff);
  Availability best = v1::AVAILABILITY_UNSPECIFIED;
  int64_t valid_until = INT64_MAX >> 8;
  for (const OfferingDoc& o : d.offerings) {
    best = BetterAvailability(best, OfferingAvailability(o.times, now));
    valid_until = std::min(valid_until, NextAvailabilityChange(o.times, now));
  }
  if (d.state == v1::PROGRAM_STATE_CANCELLED) best = v1::AVAILABILITY_CANCELLED;
  d.availability_cache.store((valid_until << 8) | best, std::memory_order_relaxed);
  return best;
}

bool SearchIndex::Evaluate(const ProgramDoc& d, const SearchQuery& q, const PreparedQuery& pq,
                           int64_t now, bool fast, Evaluation& out) const {
  if (d.state != v1::PROGRAM_STATE_PUBLISHED && d.state != v1::PROGRAM_STATE_CANCELLED) {
    return false;
  }
  if (pq.kind_mask != 0 && (pq.kind_mask & (1u << d.kind)) == 0) return false;
  if (!pq.topics.empty()) {
    bool any = false;
    for (uint32_t t : pq.topics) any = any || Contains(d.topics, t);
    if (!any) return false;
  }
  if (pq.age_mask != 0 && d.audience_mask != 0 && (d.audience_mask & pq.age_mask) == 0) {
    return false;
  }
  if (!pq.languages.empty()) {
    bool any = false;
    for (uint32_t l : pq.languages) any = any || Contains(d.languages, l);
    if (!any) return false;
  }
  if (fast) {
    // Nothing here depends on individual offerings: use the summary.
    out.offering_count = d.live_offering_count;
    out.modality_mask = d.live_modality_mask;
    out.districts = d.live_districts;
    out.availability = CachedAvailability(d, now);
    return pq.availability_mask == 0 || (pq.availability_mask & (1u << out.availability)) != 0;
  }
  Availability best = v1::AVAILABILITY_UNSPECIFIED;
  bool matched = false;
  double best_distance = std::numeric_limits<double>::max();
  int32_t seats = 0;
  bool unlimited = false;
  for (const OfferingDoc& o : d.offerings) {
    const Availability a = OfferingAvailability(o.times, now);
    best = BetterAvailability(best, a);
    if (!o.times.cancelled) ++out.offering_count;
    if (o.times.cancelled && !pq.include_cancelled) continue;
    const uint32_t district = o.district != 0 ? o.district : d.district;
    if (pq.modality_mask != 0 && (pq.modality_mask & (1u << o.modality)) == 0) continue;
    if (!pq.districts.empty() && !Contains(pq.districts, district)) continue;
    if (q.price == v1::PRICE_FILTER_FREE && !o.free) continue;
    if (q.price == v1::PRICE_FILTER_PAID && o.free) continue;
    if (q.start_after && o.times.start < *q.start_after) continue;
    if (q.start_before && o.times.start >= *q.start_before) continue;
    double distance = 0;
    if (q.has_geo) {
      if (!o.has_geo) continue;
      distance = DistanceMeters(q.lat, q.lng, o.lat, o.lng);
      if (distance > q.radius_m) continue;
    }
    matched = true;
    best_distance = std::min(best_distance, distance);
    out.modality_mask |= 1u << o.modality;
    if (district != 0 &&
        std::find(out.districts.begin(), out.districts.end(), district) == out.districts.end()) {
      out.districts.push_back(district);
    }
    if (o.times.end > now && !o.times.cancelled &&
        (!out.next_start || o.times.start < *out.next_start)) {
      out.next_start = o.times.start;
    }
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
    if (d.district != 0) out.districts.push_back(d.district);
  }
  out.availability = d.state == v1::PROGRAM_STATE_CANCELLED ? v1::AVAILABILITY_CANCELLED : best;
  if (pq.availability_mask != 0 && (pq.availability_mask & (1u << out.availability)) == 0) {
    return false;
  }
  out.distance_m = q.has_geo ? best_distance : 0;
  out.seats_left = unlimited ? -1 : seats;
  return true;
}

SearchPage SearchIndex::Search(const SearchQuery& q, int64_t now) const {
  SearchPage page;
  // Only the page is kept (a bounded heap); totals and facets are counted in
  // arrays as matches stream by.
  struct Row {
    double key;
    uint32_t slot;
    double relevance;
  };
  std::array<int32_t, 16> kinds{}, modalities{}, availability{};
  absl::ReaderMutexLock lock(&mu_);
  const PreparedQuery pq = Prepare(q);
  std::vector<int32_t> districts(interned_names_.size(), 0);
  auto less = [this](const Row& a, const Row& b) {
    return a.key != b.key ? a.key < b.key : docs_[a.slot]->name < docs_[b.slot]->name;
  };
  const size_t limit = static_cast<size_t>(q.page_size);
  std::vector<Row> heap;  // max-heap by `less`: the worst kept row on top
  heap.reserve(limit + 1);
  size_t after_cursor = 0;
  std::vector<double> relevance;
  const std::vector<uint32_t> slots = Candidates(q, relevance);
  for (size_t i = 0; i < slots.size(); ++i) {
    const ProgramDoc& d = *docs_[slots[i]];
    Evaluation e;
    if (!Evaluate(d, q, pq, now, pq.summary_suffices, e)) continue;
    ++page.total;
    ++kinds[d.kind & 15];
    for (uint32_t m = 0; m < 16; ++m) modalities[m] += (e.modality_mask >> m) & 1;
    for (uint32_t di : e.districts) ++districts[di];
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
    if (q.after && (key < q.after->key || (key == q.after->key && d.name <= q.after->name))) {
      continue;
    }
    ++after_cursor;
    const Row row{key, slots[i], relevance[i]};
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
  page.more = after_cursor > limit;
  for (int k = 0; k < 16; ++k) {
    if (kinds[k] > 0) page.kind_facets[gnlc::type::v1::ProgramKind_Name(k)] = kinds[k];
    if (modalities[k] > 0) page.modality_facets[gnlc::type::v1::Modality_Name(k)] = modalities[k];
    if (availability[k] > 0) page.availability_facets[v1::Availability_Name(k)] = availability[k];
  }
  for (size_t di = 1; di < districts.size(); ++di) {
    if (districts[di] > 0) page.district_facets[interned_names_[di]] = districts[di];
  }
  for (const Row& r : heap) {
    const ProgramDoc& d = *docs_[r.slot];
    Evaluation e;
    Evaluate(d, q, pq, now, /*fast=*/false, e);  // again, with details, for the page only
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

size_t SearchIndex::program_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return live_programs_;
}

size_t SearchIndex::offering_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return live_offerings_;
}

}  // namespace gnlc::catalog
