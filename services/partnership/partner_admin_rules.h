// What a partner admin may change in a partnership, decided on the stored
// record the change applies to. The rule behind every case: a partner admin
// never widens anyone's reach into residents' data. Reach (rosters,
// completions, job outcomes) comes from ACTIVE partnerships only, and only
// the city admin activates one, so activation is the city's approval of its
// programs and members as they stand; afterwards only the city changes them.
//
//   lead (MEMBER_ROLE_LEAD)
//     - while PROPOSED: edits every field (programs too), adds members (not
//       a second lead), removes members other than itself;
//     - while ACTIVE: edits title, objectives, sdg_goals, start and end
//       time, not programs; adds nobody; removes members other than itself;
//     - transitions to WITHDRAWN or CONCLUDED, never to ACTIVE;
//     - records funding.
//   funder (MEMBER_ROLE_FUNDER): records funding; leaves (removes itself).
//   any other member: leaves (removes itself).
//   a partner admin of no member: nothing (PERMISSION_DENIED).
// City admins are not partner admins and are not limited here.
//
//   RETURN_IF_ERROR(PartnerAdminMay(stored, "cities/nanjing/partners/p3",
//                                   PartnerAction::Edit({"programs"})));
#ifndef GNLC_SERVICES_PARTNERSHIP_PARTNER_ADMIN_RULES_H_
#define GNLC_SERVICES_PARTNERSHIP_PARTNER_ADMIN_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gnlc/partnership/v1/partnership.pb.h"

namespace gnlc::partnership {

struct PartnerAction {
  enum Kind { kEdit, kAddMember, kRemoveMember, kTransition, kFund };
  static PartnerAction Edit(std::vector<std::string> fields);
  static PartnerAction AddMember();
  static PartnerAction RemoveMember(std::string partner);
  static PartnerAction Transition(gnlc::partnership::v1::PartnershipState to_state);
  static PartnerAction Fund();

  Kind kind = kEdit;
  // kEdit: the update mask's paths.
  std::vector<std::string> fields;
  // kRemoveMember: the partner removed.
  std::string partner;
  // kTransition: the state asked for.
  gnlc::partnership::v1::PartnershipState to_state =
      gnlc::partnership::v1::PARTNERSHIP_STATE_UNSPECIFIED;
};

// OK when the admin of `caller_partner` (the partner's full resource name)
// may do `action` to `p`; PERMISSION_DENIED with a reason that says who may.
absl::Status PartnerAdminMay(const gnlc::partnership::v1::Partnership& p,
                             absl::string_view caller_partner, const PartnerAction& action);

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_PARTNER_ADMIN_RULES_H_
