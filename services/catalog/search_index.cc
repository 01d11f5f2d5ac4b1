#include "services/catalog/search_index.h"

#include <algorithm>

#include "common/names/resource_names.h"
#include "services/catalog/geo.h"
#include "services/catalog/search_index_internal.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {

using namespace index_detail;  // NOLINT: this class's own helpers

SearchIndex::SearchIndex(bool removals_final) : removals_final_(removals_final) {
  interned_names_.push_back("");
}
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
      slot_kinds_.emplace_back();
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
  slot_kinds_[slot] = s.kind;
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
  if (removals_final_) removed_programs_.insert(std::string(program_id));
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

void SearchIndex::RemoveOffering(absl::string_view offering_id) {
  absl::MutexLock lock(&mu_);
  auto it = slot_by_offering_.find(offering_id);
  if (it == slot_by_offering_.end()) return;
  const uint32_t slot = it->second;
  auto& offerings = docs_[slot]->offerings;
  offerings.erase(std::remove_if(offerings.begin(), offerings.end(),
                                 [&](const OfferingDoc& o) { return o.id == offering_id; }),
                  offerings.end());
  slot_by_offering_.erase(it);
  --live_offerings_;
  ++generation_;
  Refresh(slot);
}

TermStats SearchIndex::Stats(const std::vector<std::string>& terms) const {
  absl::ReaderMutexLock lock(&mu_);
  TermStats stats;
  stats.programs = static_cast<double>(live_programs_);
  for (const std::string& t : terms) {
    const auto* list = Postings(t);
    stats.containing.push_back(list == nullptr ? 0.0 : static_cast<double>(list->size()));
  }
  return stats;
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

uint64_t SearchIndex::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

size_t SearchIndex::program_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return live_programs_;
}

std::vector<std::string> SearchIndex::ProgramIds() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> ids;
  ids.reserve(slot_by_program_.size());
  for (const auto& [id, slot] : slot_by_program_) ids.push_back(id);
  return ids;
}

size_t SearchIndex::offering_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return live_offerings_;
}

}  // namespace gnlc::catalog
