#include "services/partnership/partnership_validation.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/names/resource_names.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/partnership/directory.h"

namespace gnlc::partnership {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(field, " ", what),
                         {{"field", std::string(field)}});
}

absl::Status ValidateLocalized(absl::string_view field, const gnlc::type::v1::LocalizedText& t,
                               size_t max, bool required) {
  RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".zh"), t.zh(), max));
  RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".en"), t.en(), max));
  if (required && t.zh().empty() && t.en().empty()) {
    return Bad(field, "is required in Chinese or English (or both)");
  }
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view email) {
  if (email.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(ValidateText("partner.contact_email", email, 254));
  const size_t at = email.find('@');
  if (at == 0 || at == absl::string_view::npos || email.find('.', at) == absl::string_view::npos ||
      absl::StrContains(email, " ")) {
    return Bad("partner.contact_email", "must be an address like partnerships@example.org");
  }
  return absl::OkStatus();
}

int Leads(const pb::Partnership& p) {
  int leads = 0;
  for (const auto& m : p.members()) leads += m.role() == pb::MEMBER_ROLE_LEAD;
  return leads;
}

}  // namespace

absl::Status ValidatePartner(const pb::Partner& p) {
  if (p.type() == pb::ORGANISATION_TYPE_UNSPECIFIED || !pb::OrganisationType_IsValid(p.type())) {
    return Bad("partner.type", "must be one of the OrganisationType values");
  }
  RETURN_IF_ERROR(ValidateLocalized("partner.display_name", p.display_name(), 200, true));
  if (p.home_city().empty()) return Bad("partner.home_city", "is required, e.g. \"nanjing\"");
  RETURN_IF_ERROR(ValidateId("partner.home_city", p.home_city()));
  RETURN_IF_ERROR(ValidateText("partner.website", p.website(), 500));
  if (!p.website().empty() && !absl::StartsWith(p.website(), "https://")) {
    return Bad("partner.website", "must be an https:// URL");
  }
  return ValidateEmail(p.contact_email());
}

absl::Status ApplyPartnerMask(const pb::UpdatePartnerRequest& req, pb::Partner& stored) {
  if (req.update_mask().paths().empty()) {
    return Bad("update_mask", "is required: name the fields to change, e.g. \"verified\"");
  }
  const pb::Partner& u = req.partner();
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "type")
      stored.set_type(u.type());
    else if (path == "display_name")
      *stored.mutable_display_name() = u.display_name();
    else if (path == "home_city")
      stored.set_home_city(u.home_city());
    else if (path == "website")
      stored.set_website(u.website());
    else if (path == "contact_email")
      stored.set_contact_email(u.contact_email());
    else if (path == "verified")
      stored.set_verified(u.verified());
    else {
      return Bad("update_mask", absl::StrCat("'", path,
                                             "' cannot be updated; allowed: type, display_name, "
                                             "home_city, website, contact_email, verified"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePartnershipFields(const pb::Partnership& p, absl::string_view city) {
  if (p.model() == pb::PARTNERSHIP_MODEL_UNSPECIFIED || !pb::PartnershipModel_IsValid(p.model())) {
    return Bad("partnership.model", "must be one of the PartnershipModel values");
  }
  RETURN_IF_ERROR(ValidateLocalized("partnership.title", p.title(), 200, true));
  RETURN_IF_ERROR(ValidateLocalized("partnership.objectives", p.objectives(), 2000, false));
  std::set<int> goals;
  for (int g : p.sdg_goals()) {
    if (g < 1 || g > 17) return Bad("partnership.sdg_goals", "holds SDG numbers from 1 to 17");
    if (!goals.insert(g).second) return Bad("partnership.sdg_goals", "must not repeat a goal");
  }
  if (!p.has_start_time()) return Bad("partnership.start_time", "is required");
  if (p.has_end_time() && p.end_time().seconds() <= p.start_time().seconds()) {
    return Bad("partnership.end_time", "must be after start_time");
  }
  if (p.programs_size() > 100) return Bad("partnership.programs", "holds at most 100 programs");
  std::set<std::string> programs;
  for (const std::string& program : p.programs()) {
    RETURN_IF_ERROR(ParseProgramName(program, city, "partnership.programs").status());
    if (!programs.insert(program).second) {
      return Bad("partnership.programs", "must not repeat a program");
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyPartnershipMask(const pb::UpdatePartnershipRequest& req,
                                  pb::Partnership& stored) {
  if (req.update_mask().paths().empty()) {
    return Bad("update_mask", "is required: name the fields to change, e.g. \"objectives\"");
  }
  const pb::Partnership& u = req.partnership();
  for (const std::string& path : req.update_mask().paths()) {
    if (path == "title")
      *stored.mutable_title() = u.title();
    else if (path == "objectives")
      *stored.mutable_objectives() = u.objectives();
    else if (path == "sdg_goals")
      *stored.mutable_sdg_goals() = u.sdg_goals();
    else if (path == "start_time")
      *stored.mutable_start_time() = u.start_time();
    else if (path == "end_time")
      *stored.mutable_end_time() = u.end_time();
    else if (path == "programs")
      *stored.mutable_programs() = u.programs();
    else {
      return Bad("update_mask",
                 absl::StrCat("'", path,
                              "' cannot be updated; allowed: title, objectives, sdg_goals, "
                              "start_time, end_time, programs (members and state have their "
                              "own methods)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMember(const pb::PartnershipMember& member, const pb::Partnership& into) {
  RETURN_IF_ERROR(ParseAnyPartnerName(member.partner(), "member.partner").status());
  if (member.role() == pb::MEMBER_ROLE_UNSPECIFIED || !pb::MemberRole_IsValid(member.role())) {
    return Bad("member.role", "must be LEAD, MEMBER, FUNDER, HOST or RESEARCH_PARTNER");
  }
  for (const auto& m : into.members()) {
    if (m.partner() == member.partner()) {
      return MakeError(absl::StatusCode::kAlreadyExists, "ALREADY_MEMBER",
                       absl::StrCat(member.partner(), " is already a member"));
    }
  }
  if (member.role() == pb::MEMBER_ROLE_LEAD && Leads(into) > 0) {
    return FailedPrecondition("ONE_LEAD", "a partnership has exactly one lead: it has one");
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(const pb::Partnership& p, pb::PartnershipState to) {
  std::vector<pb::PartnershipState> allowed;
  switch (p.state()) {
    case pb::PARTNERSHIP_STATE_PROPOSED:
      allowed = {pb::PARTNERSHIP_STATE_ACTIVE, pb::PARTNERSHIP_STATE_WITHDRAWN};
      break;
    case pb::PARTNERSHIP_STATE_ACTIVE:
      allowed = {pb::PARTNERSHIP_STATE_CONCLUDED, pb::PARTNERSHIP_STATE_WITHDRAWN};
      break;
    default:
      break;
  }
  if (std::find(allowed.begin(), allowed.end(), to) == allowed.end()) {
    std::vector<std::string> names;
    for (auto s : allowed) names.push_back(pb::PartnershipState_Name(s));
    return FailedPrecondition(
        "INVALID_TRANSITION",
        absl::StrCat(
            pb::PartnershipState_Name(p.state()), " cannot become ",
            pb::PartnershipState_IsValid(to) ? pb::PartnershipState_Name(to) : "that",
            "; allowed: ", names.empty() ? "none (final state)" : absl::StrJoin(names, ", ")),
        {{"allowed", absl::StrJoin(names, ",")}});
  }
  if (to == pb::PARTNERSHIP_STATE_ACTIVE && Leads(p) != 1) {
    return FailedPrecondition("ONE_LEAD", "an active partnership needs exactly one lead member");
  }
  return absl::OkStatus();
}

bool IsInternational(const pb::Partnership& p, absl::string_view city) {
  for (const auto& m : p.members()) {
    if (MemberCity(m.partner()) != city) return true;
  }
  return false;
}

}  // namespace gnlc::partnership
