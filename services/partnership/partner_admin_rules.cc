#include "services/partnership/partner_admin_rules.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace gnlc::partnership {
namespace {

namespace pb = gnlc::partnership::v1;

absl::Status Refuse(absl::string_view reason, absl::string_view message) {
  return Denied(MakeError(absl::StatusCode::kPermissionDenied, reason, message));
}

// Fields a lead may still edit once the city has activated the partnership:
// none of them changes whose data anyone reads.
bool DescriptiveField(absl::string_view path) {
  return path == "title" || path == "objectives" || path == "sdg_goals" || path == "start_time" ||
         path == "end_time";
}

}  // namespace

PartnerAction PartnerAction::Edit(std::vector<std::string> fields) {
  PartnerAction a;
  a.kind = kEdit;
  a.fields = std::move(fields);
  return a;
}

PartnerAction PartnerAction::AddMember() {
  PartnerAction a;
  a.kind = kAddMember;
  return a;
}

PartnerAction PartnerAction::RemoveMember(std::string partner) {
  PartnerAction a;
  a.kind = kRemoveMember;
  a.partner = std::move(partner);
  return a;
}

PartnerAction PartnerAction::Transition(pb::PartnershipState to_state) {
  PartnerAction a;
  a.kind = kTransition;
  a.to_state = to_state;
  return a;
}

PartnerAction PartnerAction::Fund() {
  PartnerAction a;
  a.kind = kFund;
  return a;
}

absl::Status PartnerAdminMay(const pb::Partnership& p, absl::string_view caller_partner,
                             const PartnerAction& action) {
  const pb::PartnershipMember* me = nullptr;
  for (const auto& m : p.members()) {
    if (m.partner() == caller_partner) me = &m;
  }
  if (me == nullptr) {
    return Refuse("NOT_A_MEMBER",
                  "a partner admin may change only partnerships their partner is a member of");
  }
  const bool lead = me->role() == pb::MEMBER_ROLE_LEAD;
  const bool proposed = p.state() == pb::PARTNERSHIP_STATE_PROPOSED;
  switch (action.kind) {
    case PartnerAction::kEdit:
      if (!lead) return Refuse("NOT_THE_LEAD", "only the lead partner edits a partnership");
      if (proposed) return absl::OkStatus();
      for (const std::string& path : action.fields) {
        if (!DescriptiveField(path)) {
          return Refuse("CITY_APPROVES",
                        absl::StrCat("once the city has activated a partnership, only a city "
                                     "admin changes its ",
                                     path));
        }
      }
      return absl::OkStatus();
    case PartnerAction::kAddMember:
      if (!lead) return Refuse("NOT_THE_LEAD", "only the lead partner adds members");
      if (!proposed) {
        return Refuse("CITY_APPROVES",
                      "once the city has activated a partnership, only a city admin adds "
                      "members");
      }
      return absl::OkStatus();
    case PartnerAction::kRemoveMember:
      if (action.partner == caller_partner) {
        if (lead) {
          return Refuse("CITY_APPROVES",
                        "the lead cannot remove itself: a city admin changes the lead");
        }
        return absl::OkStatus();  // a member leaves
      }
      if (!lead) return Refuse("NOT_THE_LEAD", "only the lead partner removes other members");
      return absl::OkStatus();
    case PartnerAction::kTransition:
      if (!lead) return Refuse("NOT_THE_LEAD", "only the lead partner changes the state");
      if (action.to_state == pb::PARTNERSHIP_STATE_WITHDRAWN ||
          action.to_state == pb::PARTNERSHIP_STATE_CONCLUDED) {
        return absl::OkStatus();
      }
      return Refuse("CITY_APPROVES",
                    "only a city admin activates a partnership (the lead may withdraw or "
                    "conclude it)");
    case PartnerAction::kFund:
      if (lead || me->role() == pb::MEMBER_ROLE_FUNDER) return absl::OkStatus();
      return Refuse("NOT_FUNDER_OR_LEAD",
                    "a partner admin records funding only as the partnership's funder or lead");
  }
  return Refuse("NOT_A_MEMBER", "a partner admin may not do this");
}

}  // namespace gnlc::partnership
