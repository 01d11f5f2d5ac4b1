// Which partners deliver which programs, as the partnership service says
// through its events (partnership_changed carries the whole partnership).
// Enrollment uses it for the partner_admin rule: a partner admin sees the
// rosters of programs that an ACTIVE partnership delivers in which their
// partner is the lead, a member or a host. Only the city admin activates a
// partnership or changes an active one's programs and members
// (services/partnership/partner_admin_rules.h), so a partner's reach is
// exactly what the city approved. Each replica follows the partnership stream from its
// start (versions are not needed: an event carries the whole record, and
// the stream is in order).
//
//   PartnerPrograms map("nanjing");
//   map.Apply(event);
//   if (map.Delivers("p3", "prog17")) ...
#ifndef GNLC_SERVICES_ENROLLMENT_PARTNER_PROGRAMS_H_
#define GNLC_SERVICES_ENROLLMENT_PARTNER_PROGRAMS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/events/event_codec.h"

namespace gnlc::enrollment {

class PartnerPrograms final {
 public:
  explicit PartnerPrograms(std::string city) : city_(std::move(city)) {}

  void Apply(const Event& event);
  // True when an active partnership with `partner_id` (of this city) as
  // lead, member or host delivers `program_id` (of this city).
  bool Delivers(absl::string_view partner_id, absl::string_view program_id) const;

 private:
  struct Delivery {
    absl::flat_hash_set<std::string> partners;
    absl::flat_hash_set<std::string> programs;
  };
  const std::string city_;
  mutable absl::Mutex mu_;
  // By partnership name; only running partnerships are kept.
  absl::flat_hash_map<std::string, Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_PARTNER_PROGRAMS_H_
