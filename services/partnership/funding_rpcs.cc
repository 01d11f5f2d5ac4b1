// Funding: commitments by funder members, disbursements that never exceed
// them, and the summary per currency, funder and program.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/partnership/money.h"
#include "services/partnership/partnership_service.h"

namespace gnlc::partnership {
namespace {

bool HasMember(const pb::Partnership& p, absl::string_view partner, bool funder_only) {
  return std::any_of(p.members().begin(), p.members().end(), [&](const auto& m) {
    return m.partner() == partner && (!funder_only || m.role() == pb::MEMBER_ROLE_FUNDER);
  });
}

}  // namespace

absl::StatusOr<pb::Partnership> PartnershipService::FindPartnership(absl::string_view id) {
  // Members and links come from this replica's directory (a membership
  // change reaches other replicas within milliseconds); the state and the
  // money are checked in the funding script itself.
  if (auto p = directory_.GetPartnership(id); p.has_value()) return *std::move(p);
  return store_.ReadPartnership(id);
}

absl::Status PartnershipService::DoRecordFundingCommitment(
    const pb::RecordFundingCommitmentRequest& req, pb::RecordFundingCommitmentResponse& resp) {
  ASSIGN_OR_RETURN(std::string pid, ParsePartnershipName(req.partnership(), city_, "partnership"));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  RETURN_IF_ERROR(ValidateText("commitment.note", req.commitment().note(), 500));
  ASSIGN_OR_RETURN(int64_t cents, PositiveCents(req.commitment().amount(), "commitment.amount"));
  ASSIGN_OR_RETURN(pb::Partnership p, FindPartnership(pid));
  if (!HasMember(p, req.commitment().funder(), /*funder_only=*/true)) {
    return FailedPrecondition("FUNDER_NOT_MEMBER",
                              "commitment.funder must be a member of the partnership with the "
                              "FUNDER role",
                              {{"field", "commitment.funder"}});
  }
  const std::string id = NewId('c');
  pb::FundingCommitment c = req.commitment();
  c.set_name(absl::StrCat(p.name(), "/commitments/", id));
  *c.mutable_commit_time() = TimestampFromTime(clock_());
  Event event = NewEvent(city_, c.name(), clock_());
  event.mutable_funding_recorded()->set_partnership(p.name());
  event.mutable_funding_recorded()->set_kind("committed");
  *event.mutable_funding_recorded()->mutable_amount() = c.amount();
  PartnershipStore::Funding f{.partnership_id = pid,
                              .record_id = id,
                              .disbursement = false,
                              .currency = c.amount().currency_code(),
                              .cents = cents,
                              .funder = c.funder(),
                              .recipient_partner = "",
                              .recipient_program = ""};
  ASSIGN_OR_RETURN(auto prior,
                   store_.RecordFunding(f, c.SerializeAsString(), req.request_id(),
                                        std::to_string(RequestFingerprint(req)), event));
  if (prior.has_value()) {
    ASSIGN_OR_RETURN(std::string blob, store_.ReadFundingRecord(false, pid, LastSegment(*prior)));
    if (!c.ParseFromString(blob)) return BrokenInvariant("a stored commitment does not parse");
  }
  *resp.mutable_commitment() = std::move(c);
  return absl::OkStatus();
}

absl::Status PartnershipService::DoRecordDisbursement(const pb::RecordDisbursementRequest& req,
                                                      pb::RecordDisbursementResponse& resp) {
  ASSIGN_OR_RETURN(std::string pid, ParsePartnershipName(req.partnership(), city_, "partnership"));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  const pb::Disbursement& d = req.disbursement();
  RETURN_IF_ERROR(ValidateText("disbursement.note", d.note(), 500));
  ASSIGN_OR_RETURN(int64_t cents, PositiveCents(d.amount(), "disbursement.amount"));
  if (d.recipient_partner().empty() == d.recipient_program().empty()) {
    return InvalidArgument("INVALID_FIELD",
                           "set exactly one of disbursement.recipient_partner and "
                           "disbursement.recipient_program",
                           {{"field", "disbursement.recipient_partner"}});
  }
  ASSIGN_OR_RETURN(pb::Partnership p, FindPartnership(pid));
  if (!d.recipient_partner().empty() && !HasMember(p, d.recipient_partner(), false)) {
    return FailedPrecondition("RECIPIENT_NOT_MEMBER",
                              "disbursement.recipient_partner must be a member of the partnership",
                              {{"field", "disbursement.recipient_partner"}});
  }
  if (!d.recipient_program().empty() && std::find(p.programs().begin(), p.programs().end(),
                                                  d.recipient_program()) == p.programs().end()) {
    return FailedPrecondition("PROGRAM_NOT_LINKED",
                              "disbursement.recipient_program must be a program the partnership "
                              "delivers (link it first)",
                              {{"field", "disbursement.recipient_program"}});
  }
  const std::string id = NewId('d');
  pb::Disbursement out = d;
  out.set_name(absl::StrCat(p.name(), "/disbursements/", id));
  *out.mutable_disburse_time() = TimestampFromTime(clock_());
  Event event = NewEvent(city_, out.name(), clock_());
  event.mutable_funding_recorded()->set_partnership(p.name());
  event.mutable_funding_recorded()->set_kind("disbursed");
  *event.mutable_funding_recorded()->mutable_amount() = out.amount();
  PartnershipStore::Funding f{.partnership_id = pid,
                              .record_id = id,
                              .disbursement = true,
                              .currency = out.amount().currency_code(),
                              .cents = cents,
                              .funder = "",
                              .recipient_partner = out.recipient_partner(),
                              .recipient_program = out.recipient_program()};
  ASSIGN_OR_RETURN(auto prior,
                   store_.RecordFunding(f, out.SerializeAsString(), req.request_id(),
                                        std::to_string(RequestFingerprint(req)), event));
  if (prior.has_value()) {
    ASSIGN_OR_RETURN(std::string blob, store_.ReadFundingRecord(true, pid, LastSegment(*prior)));
    if (!out.ParseFromString(blob)) return BrokenInvariant("a stored disbursement does not parse");
  }
  *resp.mutable_disbursement() = std::move(out);
  return absl::OkStatus();
}

absl::Status PartnershipService::DoGetFundingSummary(const pb::GetFundingSummaryRequest& req,
                                                     pb::GetFundingSummaryResponse& resp) {
  ASSIGN_OR_RETURN(std::string pid, ParsePartnershipName(req.partnership(), city_, "partnership"));
  if (!directory_.GetPartnership(pid).has_value()) {
    RETURN_IF_ERROR(store_.ReadPartnership(pid).status());
  }
  ASSIGN_OR_RETURN(auto funding, store_.ReadFunding(pid));
  // Fields: "c:{cur}", "d:{cur}", "f:{funder}:{cur}", "g:{program}:{cur}",
  // "r:{partner}:{cur}"; names hold no ':', so the currency is after the last.
  std::map<std::string, std::pair<int64_t, int64_t>> by_currency;
  for (const auto& [field, cents] : funding) {
    const size_t last = field.rfind(':');
    const std::string currency = field.substr(last + 1);
    const std::string who = last > 2 ? field.substr(2, last - 2) : "";
    switch (field[0]) {
      case 'c':
        by_currency[currency].first = cents;
        break;
      case 'd':
        by_currency[currency].second = cents;
        break;
      case 'f': {
        auto* t = resp.add_by_funder();
        t->set_funder(who);
        *t->mutable_committed() = FromCents(currency, cents);
        break;
      }
      case 'g': {
        auto* t = resp.add_by_program();
        t->set_program(who);
        *t->mutable_disbursed() = FromCents(currency, cents);
        break;
      }
      default:
        break;
    }
  }
  for (const auto& [currency, totals] : by_currency) {
    pb::FundingTotals* t = resp.add_by_currency();
    t->set_currency_code(currency);
    *t->mutable_committed() = FromCents(currency, totals.first);
    *t->mutable_disbursed() = FromCents(currency, totals.second);
    *t->mutable_available() = FromCents(currency, totals.first - totals.second);
  }
  return absl::OkStatus();
}

}  // namespace gnlc::partnership
