// Enrolling, cancelling, reading and listing enrollments, and seats.
#include "absl/strings/str_cat.h"
#include "common/paging/encoded_page.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/enrollment_validation.h"

namespace gnlc::enrollment {
namespace {

// Who cancels, for notifications: a resident (or the backend acting for
// them) knows already; staff's cancellations are told to the learner.
const char* CancelActor(const auth::Caller& caller) {
  return caller.role == auth::Role::kResident ? "learner" : "city";
}

// The record as stored on creation in `state`, with its first history entry.
pb::Enrollment NewRecord(const std::string& name, const pb::CreateEnrollmentRequest& req,
                         pb::EnrollmentState state, const google::protobuf::Timestamp& now) {
  pb::Enrollment e;
  e.set_name(name);
  e.set_learner(req.learner());
  e.set_offering(req.offering());
  e.set_state(state);
  pb::EnrollmentTransition* first = e.add_history();
  first->set_to_state(state);
  *first->mutable_time() = now;
  first->set_reason(state == pb::ENROLLMENT_STATE_CONFIRMED ? "enrolled" : "waitlisted");
  *e.mutable_create_time() = now;
  *e.mutable_update_time() = now;
  return e;
}

}  // namespace

absl::Status EnrollmentService::DoCreateEnrollment(const CallAuth& call,
                                                   const pb::CreateEnrollmentRequest& req,
                                                   pb::CreateEnrollmentResponse& resp,
                                                   absl::Time deadline) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(std::string learner_id, ParseLearnerName(req.learner(), city_, "learner"));
  ASSIGN_OR_RETURN(OfferingRef offering, ParseOfferingName(req.offering(), city_, "offering"));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  RETURN_IF_ERROR(CheckLearnerAccess(call, learner_id));
  const std::string fingerprint = std::to_string(RequestFingerprint(req));
  const std::string id = NewId('e');
  const std::string name = EnrollmentName(city_, id);
  const google::protobuf::Timestamp now = TimestampFromTime(clock_());
  const pb::Enrollment confirmed = NewRecord(name, req, pb::ENROLLMENT_STATE_CONFIRMED, now);
  const pb::Enrollment waitlisted = NewRecord(name, req, pb::ENROLLMENT_STATE_WAITLISTED, now);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<pb::Enrollment> enrolled,
                     store_.Enroll(learner_id, offering.offering_id, req.offering(), id,
                                   req.request_id(), fingerprint, confirmed, waitlisted));
    if (enrolled.has_value()) {
      *resp.mutable_enrollment() = std::move(*enrolled);
      return absl::OkStatus();
    }
    // First time this offering is seen: ask the catalog, then try again.
    RETURN_IF_ERROR(LearnOffering(offering, deadline));
  }
  return Unavailable("OFFERING_FACTS_PENDING", "the offering is being looked up: retry shortly");
}

absl::Status EnrollmentService::DoGetEnrollment(const CallAuth& call,
                                                const pb::GetEnrollmentRequest& req,
                                                pb::GetEnrollmentResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseEnrollmentName(req.name(), city_, "name"));
  ASSIGN_OR_RETURN(StoredEnrollment stored, ReadEnrollmentFor(call, id));
  *resp.mutable_enrollment() = std::move(stored.enrollment);
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoCancelEnrollment(const CallAuth& call,
                                                   const pb::CancelEnrollmentRequest& req,
                                                   pb::CancelEnrollmentResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseEnrollmentName(req.name(), city_, "name"));
  RETURN_IF_ERROR(ValidateCancelReason(req.reason()));
  RETURN_IF_ERROR(CheckEnrollmentAccess(call, "name", req.name()));
  ASSIGN_OR_RETURN(pb::Enrollment cancelled,
                   store_.Cancel(id, req.reason(), CancelActor(call.caller)));
  *resp.mutable_enrollment() = std::move(cancelled);
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoListEnrollments(const CallAuth& call,
                                                  const pb::ListEnrollmentsRequest& req,
                                                  pb::ListEnrollmentsResponse& resp) {
  if (req.learner().empty() == req.offering().empty()) {
    return InvalidArgument("INVALID_FIELD",
                           "set exactly one of learner (a learner's enrollments) and offering "
                           "(an offering's roster)",
                           {{"field", "learner"}});
  }
  if (!pb::EnrollmentState_IsValid(req.state())) {
    return InvalidArgument("INVALID_FIELD", "state is not a known EnrollmentState",
                           {{"field", "state"}});
  }
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size()));
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string after, tokens_.Decode(req.page_token(), fingerprint));
  if (after.empty()) after = "0";
  // A partner admin's roster is filtered by each learner's consent, which
  // needs the parsed records; everyone else's page goes out as the stored
  // bytes (common/paging/encoded_page.h).
  const bool filtered = call.own_only && call.caller.role == auth::Role::kPartnerAdmin;
  EnrollmentStore::Page page;
  if (!req.learner().empty()) {
    ASSIGN_OR_RETURN(std::string learner_id, ParseLearnerName(req.learner(), city_, "learner"));
    if (call.caller.role == auth::Role::kPartnerAdmin) {
      return Denied(MakeError(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                              "partner admins read rosters by offering, not by learner"));
    }
    RETURN_IF_ERROR(CheckLearnerAccess(call, learner_id));
    // NOT_FOUND once erased: the page's script checks, in the same round trip.
    ASSIGN_OR_RETURN(page, store_.ListByLearner(learner_id, after, req.state(), page_size,
                                                /*encoded=*/!filtered));
  } else {
    ASSIGN_OR_RETURN(OfferingRef offering, ParseOfferingName(req.offering(), city_, "offering"));
    RETURN_IF_ERROR(CheckRosterAccess(call, offering));
    ASSIGN_OR_RETURN(page, store_.ListByOffering(offering.offering_id, after, req.state(),
                                                 page_size, /*encoded=*/!filtered));
  }
  if (filtered) {
    // Only learners who consented to share progress with the provider.
    std::vector<std::string> learner_ids;
    for (const pb::Enrollment& e : page.enrollments) {
      auto id = ParseLearnerName(e.learner(), city_, "learner");
      learner_ids.push_back(id.ok() ? *id : "");
    }
    ASSIGN_OR_RETURN(auto learners, store_.ReadLearners(learner_ids));
    int omitted = 0;
    for (size_t i = 0; i < page.enrollments.size(); ++i) {
      if (learners[i].has_value() && PartnerMaySee(call, req.offering(), *learners[i])) {
        *resp.add_enrollments() = std::move(page.enrollments[i]);
      } else {
        ++omitted;
      }
    }
    resp.set_omitted_without_consent(omitted);
    page.enrollments.clear();
  }
  for (pb::Enrollment& e : page.enrollments) *resp.add_enrollments() = std::move(e);
  AddEncodedRecords(resp, pb::ListEnrollmentsResponse::kEnrollmentsFieldNumber, page.encoded);
  if (page.more) resp.set_next_page_token(tokens_.Encode(fingerprint, page.last_position));
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoGetOfferingSeats(const pb::GetOfferingSeatsRequest& req,
                                                   pb::GetOfferingSeatsResponse& resp,
                                                   absl::Time deadline) {
  ASSIGN_OR_RETURN(OfferingRef offering, ParseOfferingName(req.offering(), city_, "offering"));
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(auto seats, store_.ReadSeats(offering.offering_id, req.offering()));
    if (seats.has_value()) {
      *resp.mutable_seats() = std::move(*seats);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(LearnOffering(offering, deadline));
  }
  return Unavailable("OFFERING_FACTS_PENDING", "the offering is being looked up: retry shortly");
}

}  // namespace gnlc::enrollment
