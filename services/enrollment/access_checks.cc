// Object-level authorization (the "own" cells of common/auth/permissions):
// a resident acts only on the learner whose external_subject is their
// token's sub and on that learner's enrollments; a partner admin only on
// enrollments of programs their partner delivers, of learners who consented
// to share progress with the provider. Anyone else's record is NOT_FOUND,
// word for word what a name that does not exist gets.
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/enrollment/enrollment_service.h"

namespace gnlc::enrollment {

using auth::Role;

absl::StatusOr<StoredLearner> EnrollmentService::ReadLearnerFor(const CallAuth& call,
                                                                absl::string_view learner_id) {
  ASSIGN_OR_RETURN(StoredLearner stored, store_.ReadLearner(learner_id));
  if (!call.own_only || (call.caller.role == Role::kResident &&
                         stored.learner.external_subject() == call.caller.subject)) {
    return stored;
  }
  return Denied(store_.LearnerNotFound(learner_id));
}

absl::Status EnrollmentService::CheckLearnerAccess(const CallAuth& call,
                                                   absl::string_view learner_id) {
  if (!call.own_only) return absl::OkStatus();
  return ReadLearnerFor(call, learner_id).status();
}

bool EnrollmentService::PartnerMaySee(const CallAuth& call, absl::string_view offering_name,
                                      const pb::Learner& learner) const {
  if (call.caller.role != Role::kPartnerAdmin) return false;
  if (!learner.consents().share_progress_with_provider()) return false;
  auto ref = ParseOfferingName(offering_name, city_, "offering");
  return ref.ok() && partner_programs_.Delivers(call.caller.partner, ref->program_id);
}

absl::StatusOr<StoredEnrollment> EnrollmentService::ReadEnrollmentFor(
    const CallAuth& call, absl::string_view enrollment_id) {
  ASSIGN_OR_RETURN(StoredEnrollment stored, store_.ReadEnrollment(enrollment_id));
  if (!call.own_only) return stored;
  auto learner_id = ParseLearnerName(stored.enrollment.learner(), city_, "learner");
  if (learner_id.ok()) {
    auto learner = store_.ReadLearner(*learner_id);
    if (learner.ok()) {
      if (call.caller.role == Role::kResident &&
          learner->learner.external_subject() == call.caller.subject) {
        return stored;
      }
      if (PartnerMaySee(call, stored.enrollment.offering(), learner->learner)) return stored;
    } else if (!absl::IsNotFound(learner.status())) {
      return learner.status();
    }
  }
  return Denied(store_.EnrollmentNotFound(enrollment_id));
}

absl::Status EnrollmentService::CheckEnrollmentAccess(const CallAuth& call, absl::string_view field,
                                                      absl::string_view name) {
  if (!call.own_only) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string id, ParseEnrollmentName(name, city_, field));
  return ReadEnrollmentFor(call, id).status();
}

absl::Status EnrollmentService::CheckRosterAccess(const CallAuth& call,
                                                  const OfferingRef& offering) {
  if (!call.own_only) return absl::OkStatus();
  if (call.caller.role == Role::kPartnerAdmin &&
      partner_programs_.Delivers(call.caller.partner, offering.program_id)) {
    return absl::OkStatus();
  }
  return Denied(MakeError(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                          "an offering's roster is for city admins and the partners that "
                          "deliver its program"));
}

}  // namespace gnlc::enrollment
