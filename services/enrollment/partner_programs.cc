#include "services/enrollment/partner_programs.h"

#include "common/names/resource_names.h"

namespace gnlc::enrollment {

void PartnerPrograms::Apply(const Event& event) {
  if (!event.has_partnership_changed()) return;
  const auto& p = event.partnership_changed().partnership();
  namespace ppb = gnlc::partnership::v1;
  // Only the city admin activates a partnership, and only the city admin
  // changes an active one's programs and members: reach follows approval.
  const bool approved = p.state() == ppb::PARTNERSHIP_STATE_ACTIVE;
  Delivery d;
  if (approved) {
    for (const auto& m : p.members()) {
      // Funders and research partners do not deliver: no roster for them.
      if (m.role() != ppb::MEMBER_ROLE_LEAD && m.role() != ppb::MEMBER_ROLE_MEMBER &&
          m.role() != ppb::MEMBER_ROLE_HOST) {
        continue;
      }
      // Members of other cities are named //gnlc/...: they do not parse here.
      if (auto id = ParsePartnerName(m.partner(), city_, "partner"); id.ok()) {
        d.partners.insert(*id);
      }
    }
    for (const auto& program : p.programs()) {
      if (auto id = ParseProgramName(program, city_, "program"); id.ok()) d.programs.insert(*id);
    }
  }
  absl::MutexLock lock(&mu_);
  if (d.partners.empty() || d.programs.empty()) {
    deliveries_.erase(p.name());
  } else {
    deliveries_[p.name()] = std::move(d);
  }
}

bool PartnerPrograms::Delivers(absl::string_view partner_id, absl::string_view program_id) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, d] : deliveries_) {
    if (d.partners.contains(partner_id) && d.programs.contains(program_id)) return true;
  }
  return false;
}

}  // namespace gnlc::enrollment
