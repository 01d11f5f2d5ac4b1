#include "services/catalog/search_index.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/names/resource_names.h"
#include "services/catalog/geo.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

constexpr uint32_t kTitleWeight = 3, kTopicWeight = 2, kDescriptionWeight = 1, kFilterWeight = 0;
constexpr double kNoStart = std::numeric_limits<double>::max();
constexpr uint32_t kNoBit = 0xff;

// Postings and per-document term lists pack an id and a 2-bit weight.
constexpr uint32_t Pack(uint32_t id, uint32_t weight) { return id << 2 | weight; }
constexpr uint32_t IdOf(uint32_t packed) { return packed >> 2; }
constexpr uint32_t WeightOf(uint32_t packed) { return packed & 3; }

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

// The first 8 bytes of a program id, big-endian: orders like the names do
// (every name of a city shares its prefix), as one integer compare.
uint64_t OrderKeyOf(absl::string_view id) {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = key << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0);
  }
  return key;
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

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

uint32_t SearchIndex::DistrictBit(uint32_t district) {
  if (district >= district_bits_.size()) district_bits_.resize(district + 1, kNoBit);
  uint8_t& bit = district_bits_[district];
  if (bit == kNoBit && districts_by_bit_.size() < 64) {
    bit = static_cast<uint8_t>(districts_by_bit_.size());
    districts_by_bit_.push_back(district);
  }
  return bit;
}

uint32_t SearchIndex::TermId(absl::string_view term) {
  auto [it, inserted] = term_ids_.try_emplace(term, static_cast<uint32_t>(postings_.size()));
  if (inserted) postings_.emplace_back();
  return it->second;
}

const std::vector<uint32_t>* SearchIndex::Postings(absl::string_view term) const {
  auto it = term_ids_.find(term);
  return it == term_ids_.end() ? nullptr : &postings_[it->second];
}

std::vector<uint32_t> SearchIndex::TextTerms(const Program& p) {
  std::vector<uint32_t> terms;
  auto add = [&](absl::string_view text, uint32_t weight) {
    for (const std::string& t : IndexTerms(text)) terms.push_back(Pack(TermId(t), weight));
  };
  add(p.title().zh(), kTitleWeight);
  add(p.title().en(), kTitleWeight);
  for (const auto& t : p.topics()) add(t, kTopicWeight);
  add(p.description().zh(), kDescriptionWeight);
  add(p.description().en(), kDescriptionWeight);
  // One entry per term, with its highest weight.
  std::sort(terms.begin(), terms.end(), [](uint32_t a, uint32_t b) {
    return IdOf(a) != IdOf(b) ? IdOf(a) < IdOf(b) : WeightOf(a) > WeightOf(b);
  });
  terms.erase(std::unique(terms.begin(), terms.end(),
                          [](uint32_t a, uint32_t b) { return IdOf(a) == IdOf(b); }),
              terms.end());
  return terms;
}

void SearchIndex::DiffPostings(uint32_t slot, const std::vector<uint32_t>& before,
                               const std::vector<uint32_t>& after) {
  auto by_slot = [](uint32_t posting, uint32_t s) { return IdOf(posting) < s; };
  auto remove = [&](uint32_t term) {
    auto& list = postings_[term];
    auto at = std::lower_bound(list.begin(), list.end(), slot, by_slot);
    if (at != list.end() && IdOf(*at) == slot) list.erase(at);
  };
  auto upsert = [&](uint32_t term, uint32_t weight) {
    auto& list = postings_[term];
    const uint32_t posting = Pack(slot, weight);
    if (list.empty() || IdOf(list.back()) < slot) {  // the common case at load
      list.push_back(posting);
      return;
    }
    auto at = std::lower_bound(list.begin(), list.end(), slot, by_slot);
    if (at != list.end() && IdOf(*at) == slot) {
      *at = posting;
    } else {
      list.insert(at, posting);
    }
  };
  size_t i = 0, j = 0;
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && IdOf(before[i]) < IdOf(after[j]))) {
      remove(IdOf(before[i++]));
    } else if (i == before.size() || IdOf(after[j]) < IdOf(before[i])) {
      upsert(IdOf(after[j]), WeightOf(after[j]));
      ++j;
    } else {
      if (before[i] != after[j]) upsert(IdOf(after[j]), WeightOf(after[j]));
      ++i, ++j;
    }
  }
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
      summaries_.emplace_back();
      compact_spans_.emplace_back();
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
  d.topics.clear();
  for (const auto& t : program.topics()) d.topics.push_back(Intern(t));
  d.languages.clear();
  for (const auto& l : program.languages()) d.languages.push_back(Intern(l));
  d.district = Intern(program.district());
  d.create_time = program.create_time().seconds();
  std::vector<uint32_t> text = TextTerms(program);
  DiffPostings(slot, d.text_terms, text);
  d.text_terms = std::move(text);
  ++generation_;
  Summary& s = summaries_[slot];
  s.order_key = OrderKeyOf(id);
  s.audience_mask = 0;
  for (int a : program.audiences()) s.audience_mask |= static_cast<uint8_t>(1u << a);
  s.kind = static_cast<uint8_t>(d.kind);
  s.state = static_cast<uint8_t>(d.state);
  s.live = true;
  Refresh(slot);
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
  ++generation_;
  o.modality = offering.modality();
  o.has_geo = offering.has_venue() && offering.venue().has_location() &&
              offering.modality() != gnlc::type::v1::MODALITY_ONLINE;
  o.lat = offering.venue().location().latitude();
  o.lng = offering.venue().location().longitude();
  o.district = Intern(offering.venue().district());
  o.free = offering.price().units() == 0 && offering.price().nanos() == 0;
  Refresh(pit->second);
  return true;
}

void SearchIndex::SetSeatsTaken(absl::string_view offering_id, int32_t taken) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  seats_taken_[offering_id] = taken;
  auto it = slot_by_offering_.find(offering_id);
  if (it == slot_by_offering_.end()) return;
  for (OfferingDoc& o : docs_[it->second]->offerings) {
    if (o.id == offering_id) o.times.taken = taken;
  }
  summaries_[it->second].availability_cache = 0;
}

void SearchIndex::RemoveProgram(absl::string_view program_id) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  removed_programs_.insert(std::string(program_id));
  auto it = slot_by_program_.find(program_id);
  if (it == slot_by_program_.end()) return;
  const uint32_t slot = it->second;
  ProgramDoc& d = *docs_[slot];
  DiffPostings(slot, d.text_terms, {});
  Refresh(slot, /*remove_all=*/true);
  for (const OfferingDoc& o : d.offerings) {
    slot_by_offering_.erase(o.id);
    --live_offerings_;
  }
  docs_[slot].reset();
  summaries_[slot] = Summary();
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

void SearchIndex::CompactArena() {
  std::vector<CompactOffering> packed;
  packed.reserve(compact_.size() - compact_garbage_);
  for (Span& span : compact_spans_) {
    const uint32_t offset = static_cast<uint32_t>(packed.size());
    packed.insert(packed.end(), compact_.begin() + span.offset,
                  compact_.begin() + span.offset + span.count);
    span.offset = offset;
  }
  compact_ = std::move(packed);
  compact_garbage_ = 0;
}

void SearchIndex::Refresh(uint32_t slot, bool remove_all) {
  ProgramDoc& d = *docs_[slot];
  Summary& s = summaries_[slot];
  std::vector<uint32_t> filters;
  std::vector<uint64_t> cells;
  s.availability_cache = 0;
  s.live_offering_count = 0;
  s.live_modality_mask = 0;
  s.district_mask = 0;
  s.districts_overflow = false;
  auto add_district = [&](uint32_t district) {
    const uint32_t bit = DistrictBit(district);
    if (bit == kNoBit) {
      s.districts_overflow = true;
    } else {
      s.district_mask |= uint64_t{1} << bit;
    }
  };
  if (!remove_all) {
    filters.push_back(Pack(TermId(KindTerm(d.kind)), kFilterWeight));
    if (d.district != 0) {
      filters.push_back(Pack(TermId(DistrictTerm(interned_names_[d.district])), kFilterWeight));
    }
    for (const OfferingDoc& o : d.offerings) {
      if (o.district != 0) {
        filters.push_back(Pack(TermId(DistrictTerm(interned_names_[o.district])), kFilterWeight));
      }
      if (o.has_geo) cells.push_back(CellOf(o.lat, o.lng));
      if (o.times.cancelled) continue;
      if (s.live_offering_count < UINT16_MAX) ++s.live_offering_count;
      s.live_modality_mask |= 1u << o.modality;
      const uint32_t district = o.district != 0 ? o.district : d.district;
      if (district != 0) add_district(district);
    }
    if (s.live_offering_count == 0 && d.district != 0) add_district(d.district);
  }
  std::sort(filters.begin(), filters.end());
  filters.erase(std::unique(filters.begin(), filters.end()), filters.end());
  DiffPostings(slot, d.filter_terms, filters);
  d.filter_terms = std::move(filters);

  // Compact offerings: in place when they fit, else at the end of the arena.
  Span& span = compact_spans_[slot];
  const size_t count = remove_all ? 0 : d.offerings.size();
  if (count > span.count) {
    compact_garbage_ += span.count;
    span.offset = static_cast<uint32_t>(compact_.size());
    compact_.resize(compact_.size() + count);
  } else {
    compact_garbage_ += span.count - count;
  }
  span.count = static_cast<uint16_t>(count);
  span.home_district = remove_all ? 0 : d.district;
  for (size_t i = 0; i < count; ++i) {
    compact_[span.offset + i] = CompactOf(d.offerings[i], d.district);
  }
  if (compact_garbage_ > 4096 && compact_garbage_ > compact_.size() / 2) CompactArena();

  // Geo points: drop this program's old ones, add the current ones.
  for (uint64_t c : d.cells) {
    auto cit = cells_.find(c);
    auto& points = cit->second;
    points.erase(std::remove_if(points.begin(), points.end(),
                                [slot](const GeoPoint& p) { return p.slot == slot; }),
                 points.end());
    if (points.empty()) cells_.erase(cit);
  }
  if (!remove_all) {
    for (const OfferingDoc& o : d.offerings) {
      if (!o.has_geo) continue;
      cells_[CellOf(o.lat, o.lng)].push_back(
          GeoPoint{static_cast<float>(o.lat), static_cast<float>(o.lng), slot,
                   o.district != 0 ? o.district : d.district, o.modality, o.times.cancelled});
    }
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  d.cells = std::move(cells);
}

ProgramView SearchIndex::ViewOf(uint32_t slot, int64_t now) const {
  const ProgramDoc& d = *docs_[slot];
  ProgramView v;
  v.program = d.bytes;
  v.create_time = d.create_time;
  v.offering_count = summaries_[slot].live_offering_count;
  v.availability = CachedAvailability(slot, now);
  return v;
}

std::optional<ProgramView> SearchIndex::GetProgram(absl::string_view program_id,
                                                   int64_t now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = slot_by_program_.find(program_id);
  if (it == slot_by_program_.end()) return std::nullopt;
  return ViewOf(it->second, now);
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
  std::vector<uint32_t> rows;
  for (uint32_t slot = 0; slot < docs_.size(); ++slot) {
    const ProgramDoc* doc = docs_[slot].get();
    if (doc == nullptr) continue;
    if (state != v1::PROGRAM_STATE_UNSPECIFIED && doc->state != state) continue;
    if (kind != 0 && doc->kind != kind) continue;
    if (after.has_value()) {
      const double key = -static_cast<double>(doc->create_time);
      if (key < after->key || (key == after->key && doc->name <= after->name)) continue;
    }
    rows.push_back(slot);
  }
  auto less = [this](uint32_t x, uint32_t y) {
    const ProgramDoc& a = *docs_[x];
    const ProgramDoc& b = *docs_[y];
    return a.create_time != b.create_time ? a.create_time > b.create_time : a.name < b.name;
  };
  more = static_cast<int>(rows.size()) > limit;
  if (more) {
    std::partial_sort(rows.begin(), rows.begin() + limit, rows.end(), less);
    rows.resize(limit);
  } else {
    std::sort(rows.begin(), rows.end(), less);
  }
  std::vector<ProgramView> out;
  for (uint32_t slot : rows) out.push_back(ViewOf(slot, now));
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
    std::vector<const std::vector<uint32_t>*> lists;
    for (const std::string& t : q.terms) {
      const auto* list = Postings(t);
      if (list == nullptr || list->empty()) return {};
      lists.push_back(list);
    }
    std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return a->size() < b->size(); });
    auto by_slot = [](uint32_t posting, uint32_t s) { return IdOf(posting) < s; };
    const double n = static_cast<double>(std::max<size_t>(live_programs_, 1));
    std::vector<double> idf;
    for (const auto* list : lists) idf.push_back(std::log(1 + n / list->size()));
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
  std::vector<const std::vector<uint32_t>*> kind_lists, district_lists;
  for (int k : q.kinds) {
    if (const auto* list = Postings(KindTerm(k))) kind_lists.push_back(list);
  }
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
    for (uint32_t s = 0; s < summaries_.size(); ++s) {
      if (summaries_[s].live) slots.push_back(s);
    }
  }
  relevance.assign(slots.size(), 0);
  return slots;
}

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
          __builtin_prefetch(&compact_[compact_spans_[slots[i + kPrefetchDistance / 2]].offset]);
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

uint64_t SearchIndex::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
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
