// Partnerships: create, get, update, list, members, lifecycle, programs.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/paging/encoded_page.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/partnership/partnership_service.h"

namespace gnlc::partnership {
namespace {

absl::Status NotFoundPartnership(absl::string_view name) {
  return NotFound("PARTNERSHIP_NOT_FOUND", absl::StrCat(name, " does not exist"));
}

}  // namespace

absl::Status PartnershipService::CheckMemberExists(const pb::PartnershipMember& member) {
  ASSIGN_OR_RETURN(PartnerRef ref, ParseAnyPartnerName(member.partner(), "member.partner"));
  if (ref.city != city_) return absl::OkStatus();  // another city's partner, named in full
  if (directory_.GetPartner(ref.partner_id).has_value()) return absl::OkStatus();
  return NotFound("PARTNER_NOT_FOUND", absl::StrCat(member.partner(), " does not exist"),
                  {{"field", "member.partner"}});
}

absl::Status PartnershipService::CheckNewPrograms(const pb::Partnership& before,
                                                  const pb::Partnership& now, absl::Time deadline) {
  const std::set<std::string> known(before.programs().begin(), before.programs().end());
  for (const std::string& program : now.programs()) {
    if (known.contains(program)) continue;
    auto found = catalog_.GetProgram(program, deadline);
    if (absl::IsNotFound(found.status())) {
      return NotFound("PROGRAM_NOT_FOUND",
                      absl::StrCat(program, " is not in the catalog: link existing programs"),
                      {{"field", "partnership.programs"}});
    }
    RETURN_IF_ERROR(found.status());
  }
  return absl::OkStatus();
}

absl::Status PartnershipService::DoCreatePartnership(const pb::CreatePartnershipRequest& req,
                                                     pb::CreatePartnershipResponse& resp,
                                                     absl::Time deadline) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  RETURN_IF_ERROR(ValidatePartnershipFields(req.partnership(), city_));
  const auto now = TimestampFromTime(clock_());
  pb::Partnership p = req.partnership();
  p.clear_members();
  for (pb::PartnershipMember member : req.partnership().members()) {
    RETURN_IF_ERROR(ValidateMember(member, p));
    RETURN_IF_ERROR(CheckMemberExists(member));
    *member.mutable_join_time() = now;
    *p.add_members() = std::move(member);
  }
  RETURN_IF_ERROR(CheckNewPrograms(pb::Partnership(), p, deadline));
  const std::string fingerprint = std::to_string(RequestFingerprint(req));
  p.set_state(pb::PARTNERSHIP_STATE_PROPOSED);
  p.set_international(IsInternational(p, city_));
  p.clear_history();
  pb::PartnershipTransition* first = p.add_history();
  first->set_to_state(pb::PARTNERSHIP_STATE_PROPOSED);
  *first->mutable_time() = now;
  first->set_reason("proposed");
  *p.mutable_create_time() = now;
  *p.mutable_update_time() = now;
  p.set_etag("1");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string id = NewId('s');
    p.set_name(PartnershipName(city_, id));
    Event event = NewEvent(city_, p.name(), clock_());
    *event.mutable_partnership_changed()->mutable_partnership() = p;
    event.mutable_partnership_changed()->set_change("created");
    auto created = store_.PutPartnership(p, id, 0, req.request_id(), fingerprint, event);
    if (absl::IsAlreadyExists(created.status())) continue;  // our random id collided
    RETURN_IF_ERROR(created.status());
    if (created->has_value()) {
      ASSIGN_OR_RETURN(std::string prior, ParsePartnershipName(**created, city_, "name"));
      ASSIGN_OR_RETURN(*resp.mutable_partnership(), store_.ReadPartnership(prior));
      return absl::OkStatus();
    }
    directory_.Upsert(p);
    *resp.mutable_partnership() = std::move(p);
    return absl::OkStatus();
  }
  return absl::InternalError("could not draw a free partnership id");
}

absl::Status PartnershipService::DoGetPartnership(const pb::GetPartnershipRequest& req,
                                                  pb::GetPartnershipResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnershipName(req.name(), city_, "name"));
  auto p = directory_.GetPartnership(id);
  if (!p.has_value()) return NotFoundPartnership(req.name());
  *resp.mutable_partnership() = std::move(*p);
  return absl::OkStatus();
}

absl::Status PartnershipService::DoUpdatePartnership(const CallAuth& call,
                                                     const pb::UpdatePartnershipRequest& req,
                                                     pb::UpdatePartnershipResponse& resp,
                                                     absl::Time deadline) {
  const PartnerAction action =
      PartnerAction::Edit({req.update_mask().paths().begin(), req.update_mask().paths().end()});
  return ChangePartnership(
      call, action, req.partnership().name(), "partnership.name", req.etag(), "updated",
      [&](pb::Partnership& p) -> absl::Status {
        const pb::Partnership before = p;
        RETURN_IF_ERROR(ApplyPartnershipMask(req, p));
        RETURN_IF_ERROR(ValidatePartnershipFields(p, city_));
        return CheckNewPrograms(before, p, deadline);
      },
      *resp.mutable_partnership());
}

absl::Status PartnershipService::DoListPartnerships(const pb::ListPartnershipsRequest& req,
                                                    pb::ListPartnershipsResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (!pb::PartnershipModel_IsValid(req.model()) || !pb::PartnershipState_IsValid(req.state())) {
    return InvalidArgument(
        "INVALID_FIELD", "model or state is not a known value",
        {{"field", pb::PartnershipModel_IsValid(req.model()) ? "state" : "model"}});
  }
  if (!req.member_city().empty()) RETURN_IF_ERROR(ValidateId("member_city", req.member_city()));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size()));
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string after, tokens_.Decode(req.page_token(), fingerprint));
  PartnershipFilter filter{
      .model = req.model(), .state = req.state(), .member_city = req.member_city()};
  auto page = directory_.ListEncodedPartnerships(filter, after, page_size);
  // The records go out as the bytes the directory keeps.
  AddEncodedRecords(resp, pb::ListPartnershipsResponse::kPartnershipsFieldNumber, page.records);
  if (!page.next.empty()) resp.set_next_page_token(tokens_.Encode(fingerprint, page.next));
  return absl::OkStatus();
}

namespace {
absl::Status CheckOpen(const pb::Partnership& p) {
  if (p.state() == pb::PARTNERSHIP_STATE_CONCLUDED ||
      p.state() == pb::PARTNERSHIP_STATE_WITHDRAWN) {
    return FailedPrecondition("PARTNERSHIP_CLOSED",
                              "the partnership has ended: its members no longer change");
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status PartnershipService::DoAddPartnershipMember(const CallAuth& call,
                                                        const pb::AddPartnershipMemberRequest& req,
                                                        pb::AddPartnershipMemberResponse& resp) {
  RETURN_IF_ERROR(CheckMemberExists(req.member()));
  return ChangePartnership(
      call, PartnerAction::AddMember(), req.partnership(), "partnership", "", "member_added",
      [&](pb::Partnership& p) -> absl::Status {
        RETURN_IF_ERROR(CheckOpen(p));
        RETURN_IF_ERROR(ValidateMember(req.member(), p));
        pb::PartnershipMember* m = p.add_members();
        *m = req.member();
        *m->mutable_join_time() = TimestampFromTime(clock_());
        return absl::OkStatus();
      },
      *resp.mutable_partnership());
}

absl::Status PartnershipService::DoRemovePartnershipMember(
    const CallAuth& call, const pb::RemovePartnershipMemberRequest& req,
    pb::RemovePartnershipMemberResponse& resp) {
  return ChangePartnership(
      call, PartnerAction::RemoveMember(req.partner()), req.partnership(), "partnership", "",
      "member_removed",
      [&](pb::Partnership& p) -> absl::Status {
        RETURN_IF_ERROR(CheckOpen(p));
        auto* members = p.mutable_members();
        for (int i = 0; i < members->size(); ++i) {
          if (members->Get(i).partner() != req.partner()) continue;
          if (members->Get(i).role() == pb::MEMBER_ROLE_LEAD &&
              p.state() == pb::PARTNERSHIP_STATE_ACTIVE) {
            return FailedPrecondition("ONE_LEAD",
                                      "an active partnership keeps its lead: add another "
                                      "partnership or conclude this one first");
          }
          members->DeleteSubrange(i, 1);
          return absl::OkStatus();
        }
        return NotFound("MEMBER_NOT_FOUND", absl::StrCat(req.partner(), " is not a member"),
                        {{"field", "partner"}});
      },
      *resp.mutable_partnership());
}

absl::Status PartnershipService::DoTransitionPartnership(
    const CallAuth& call, const pb::TransitionPartnershipRequest& req,
    pb::TransitionPartnershipResponse& resp) {
  if (req.actor().empty()) {
    return InvalidArgument("INVALID_FIELD", "actor is required: who makes the change",
                           {{"field", "actor"}});
  }
  RETURN_IF_ERROR(ValidateText("actor", req.actor(), 128));
  RETURN_IF_ERROR(ValidateText("reason", req.reason(), 500));
  return ChangePartnership(
      call, PartnerAction::Transition(req.to_state()), req.name(), "name", "", "transitioned",
      [&](pb::Partnership& p) -> absl::Status {
        RETURN_IF_ERROR(CheckTransition(p, req.to_state()));
        pb::PartnershipTransition* t = p.add_history();
        t->set_from_state(p.state());
        t->set_to_state(req.to_state());
        *t->mutable_time() = TimestampFromTime(clock_());
        t->set_actor(req.actor());
        t->set_reason(req.reason());
        p.set_state(req.to_state());
        return absl::OkStatus();
      },
      *resp.mutable_partnership());
}

absl::Status PartnershipService::DoListPartnershipPrograms(
    const pb::ListPartnershipProgramsRequest& req, pb::ListPartnershipProgramsResponse& resp,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnershipName(req.partnership(), city_, "partnership"));
  auto p = directory_.GetPartnership(id);
  if (!p.has_value()) return NotFoundPartnership(req.partnership());
  for (const std::string& program : p->programs()) {
    auto found = catalog_.GetProgram(program, deadline);
    pb::LinkedProgram* linked = resp.add_programs();
    linked->set_program(program);
    if (found.ok()) {
      linked->set_state(gnlc::catalog::v1::ProgramState_Name(found->state()));
    } else if (absl::IsNotFound(found.status())) {
      // It existed when linked (that was checked): the catalog archived it.
      linked->set_state("PROGRAM_STATE_ARCHIVED");
    } else {
      return found.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace gnlc::partnership
