#include "services/partnership/directory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/names/resource_names.h"

namespace gnlc::partnership {
namespace {

uint64_t Version(absl::string_view etag) {
  uint64_t v = 0;
  return absl::SimpleAtoi(etag, &v) ? v : 0;
}

std::string Position(const google::protobuf::Timestamp& created, absl::string_view id) {
  const int64_t ns = created.seconds() * 1000000000 + created.nanos();
  return absl::StrFormat("%020d%s", ns, id);
}

// Stores `record` unless the stored one is as new. Returns false if it was
// not newer; else its position, and the record it replaced in `replaced`.
template <typename Record, typename Table>
bool UpsertInto(Table& table, const Record& record, std::optional<Record>& replaced,
                std::string& position) {
  const std::string id(LastSegment(record.name()));
  auto it = table.position_by_id.find(id);
  if (it != table.position_by_id.end()) {
    Record& stored = table.by_position[it->second];
    if (Version(stored.etag()) >= Version(record.etag())) return false;
    replaced = stored;
    stored = record;
    position = it->second;
    return true;
  }
  position = Position(record.create_time(), id);
  table.position_by_id[id] = position;
  table.all[position] = &(table.by_position[position] = record);
  return true;
}

// Walks `records` (position -> record) after `after`, keeping the matches
// as `project` makes them.
template <typename Out, typename Record, typename Match, typename Project>
Page<Out> Walk(const std::map<std::string, const Record*>& records, absl::string_view after,
               int limit, int budget, const Match& match, const Project& project) {
  Page<Out> page;
  auto it = after.empty() ? records.begin() : records.upper_bound(std::string(after));
  int seen = 0;
  for (; it != records.end(); ++it) {
    if (static_cast<int>(page.records.size()) == limit || seen == budget) {
      page.next = std::prev(it)->first;
      return page;
    }
    ++seen;
    if (match(*it->second)) page.records.push_back(project(*it->second));
  }
  return page;
}

bool Contains(const std::string& text, const std::string& lowered_query) {
  return absl::StrContains(absl::AsciiStrToLower(text), lowered_query);
}

}  // namespace

std::string MemberCity(absl::string_view partner_name) {
  absl::ConsumePrefix(&partner_name, "//gnlc/");
  if (!absl::ConsumePrefix(&partner_name, "cities/")) return "";
  return std::string(partner_name.substr(0, partner_name.find('/')));
}

void Directory::Upsert(const pb::Partner& partner) {
  absl::MutexLock lock(&mu_);
  std::optional<pb::Partner> replaced;
  std::string position;
  UpsertInto(partners_, partner, replaced, position);
}

void Directory::Upsert(const pb::Partnership& partnership) {
  std::string encoded = partnership.SerializeAsString();  // outside the lock
  absl::MutexLock lock(&mu_);
  std::optional<pb::Partnership> replaced;
  std::string position;
  if (!UpsertInto(partnerships_, partnership, replaced, position)) return;
  if (replaced.has_value()) Index(*replaced, position, /*add=*/false);
  Index(partnership, position, /*add=*/true);
  encoded_[partnerships_.all.at(position)] = std::move(encoded);
}

void Directory::Index(const pb::Partnership& p, const std::string& position, bool add) {
  std::set<std::string> cities;
  for (const auto& m : p.members()) cities.insert(MemberCity(m.partner()));
  const pb::Partnership* stored = partnerships_.all.at(position);
  auto change = [&](Ordered<pb::Partnership>& index) {
    if (add) {
      index[position] = stored;
    } else {
      index.erase(position);
    }
  };
  change(by_model_[p.model()]);
  for (const std::string& city : cities) change(by_city_[city]);
}

void Directory::Apply(const Event& event) {
  if (event.has_partner_changed()) Upsert(event.partner_changed().partner());
  if (event.has_partnership_changed()) Upsert(event.partnership_changed().partnership());
}

std::optional<pb::Partner> Directory::GetPartner(absl::string_view id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = partners_.position_by_id.find(id);
  if (it == partners_.position_by_id.end()) return std::nullopt;
  return partners_.by_position.at(it->second);
}

std::optional<pb::Partnership> Directory::GetPartnership(absl::string_view id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = partnerships_.position_by_id.find(id);
  if (it == partnerships_.position_by_id.end()) return std::nullopt;
  return partnerships_.by_position.at(it->second);
}

Page<pb::Partner> Directory::ListPartners(const PartnerFilter& f, absl::string_view after,
                                          int limit, int budget) const {
  absl::ReaderMutexLock lock(&mu_);
  return Walk<pb::Partner>(
      partners_.all, after, limit, budget,
      [&](const pb::Partner& p) {
        if (f.type != 0 && p.type() != f.type) return false;
        if (!f.home_city.empty() && p.home_city() != f.home_city) return false;
        if (f.verified_only && !p.verified()) return false;
        return f.query.empty() || Contains(p.display_name().zh(), f.query) ||
               Contains(p.display_name().en(), f.query);
      },
      [](const pb::Partner& p) { return p; });
}

Page<pb::Partnership> Directory::ListPartnerships(const PartnershipFilter& f,
                                                  absl::string_view after, int limit,
                                                  int budget) const {
  absl::ReaderMutexLock lock(&mu_);
  return WalkPartnerships<pb::Partnership>(f, after, limit, budget,
                                           [](const pb::Partnership& p) { return p; });
}

Page<std::string> Directory::ListEncodedPartnerships(const PartnershipFilter& f,
                                                     absl::string_view after, int limit,
                                                     int budget) const {
  absl::ReaderMutexLock lock(&mu_);
  return WalkPartnerships<std::string>(
      f, after, limit, budget,
      [this](const pb::Partnership& p) ABSL_NO_THREAD_SAFETY_ANALYSIS { return encoded_.at(&p); });
}

template <typename Out, typename Project>
Page<Out> Directory::WalkPartnerships(const PartnershipFilter& f, absl::string_view after,
                                      int limit, int budget, const Project& project) const {
  // Walk the smallest candidate set the filters allow.
  static const Ordered<pb::Partnership> kNone;
  const Ordered<pb::Partnership>* candidates = &partnerships_.all;
  auto consider = [&](const Ordered<pb::Partnership>* index) {
    if (index->size() < candidates->size()) candidates = index;
  };
  if (f.model != 0) {
    auto it = by_model_.find(f.model);
    consider(it == by_model_.end() ? &kNone : &it->second);
  }
  if (!f.member_city.empty()) {
    auto it = by_city_.find(f.member_city);
    consider(it == by_city_.end() ? &kNone : &it->second);
  }
  return Walk<Out>(
      *candidates, after, limit, budget,
      [&](const pb::Partnership& p) {
        if (f.model != 0 && p.model() != f.model) return false;
        if (f.state != 0 && p.state() != f.state) return false;
        if (f.member_city.empty()) return true;
        for (const auto& m : p.members()) {
          if (MemberCity(m.partner()) == f.member_city) return true;
        }
        return false;
      },
      project);
}

size_t Directory::partner_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return partners_.by_position.size();
}

size_t Directory::partnership_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return partnerships_.by_position.size();
}

}  // namespace gnlc::partnership
