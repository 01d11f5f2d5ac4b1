// Get and List of programs and offerings, straight from the index.
#include <algorithm>

#include "services/catalog/search_index.h"
#include "services/catalog/search_index_internal.h"

namespace gnlc::catalog {

using namespace index_detail;  // NOLINT: this class's own helpers

ProgramView SearchIndex::ViewOf(uint32_t slot, int64_t now) const {
  const ProgramDoc& d = *docs_[slot];
  ProgramView v;
  v.program = d.bytes;
  v.state = static_cast<v1::ProgramState>(d.state);
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
                                                   bool include_drafts,
                                                   const std::optional<SearchCursor>& after,
                                                   int limit, int64_t now, bool& more) const {
  absl::ReaderMutexLock lock(&mu_);
  // Newest first: order by (-create_time, name).
  std::vector<uint32_t> rows;
  for (uint32_t slot = 0; slot < docs_.size(); ++slot) {
    const ProgramDoc* doc = docs_[slot].get();
    if (doc == nullptr) continue;
    if (state != v1::PROGRAM_STATE_UNSPECIFIED && doc->state != state) continue;
    if (!include_drafts && doc->state == v1::PROGRAM_STATE_DRAFT) continue;
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

}  // namespace gnlc::catalog
