// What came of an enrollment: completion, employment, feedback.
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "gnlc/events/v1/events.pb.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/enrollment_validation.h"

namespace gnlc::enrollment {
namespace {

using gnlc::events::v1::EnrollmentChange;

}  // namespace

absl::Status EnrollmentService::DoCompleteEnrollment(const CallAuth& call,
                                                     const pb::CompleteEnrollmentRequest& req,
                                                     pb::CompleteEnrollmentResponse& resp) {
  RETURN_IF_ERROR(ValidateCompletion(req.completion()));
  RETURN_IF_ERROR(CheckEnrollmentAccess(call, "name", req.name()));
  const auto now = TimestampFromTime(clock_());
  return ChangeEnrollment(
      "name", req.name(), gnlc::events::v1::ENROLLMENT_CHANGE_COMPLETED, /*completing=*/true,
      [&](pb::Enrollment& e) {
        if (e.state() != pb::ENROLLMENT_STATE_CONFIRMED) {
          return FailedPrecondition("ENROLLMENT_NOT_CONFIRMED",
                                    "only a confirmed enrollment can be completed");
        }
        *e.mutable_completion() = req.completion();
        *e.mutable_completion()->mutable_complete_time() = now;
        pb::EnrollmentTransition* t = e.add_history();
        t->set_from_state(e.state());
        t->set_to_state(pb::ENROLLMENT_STATE_COMPLETED);
        *t->mutable_time() = now;
        t->set_reason(OutcomeReason(req.completion().outcome()));
        e.set_state(pb::ENROLLMENT_STATE_COMPLETED);
        return absl::OkStatus();
      },
      *resp.mutable_enrollment());
}

absl::Status EnrollmentService::DoRecordEmploymentOutcome(
    const CallAuth& call, const pb::RecordEmploymentOutcomeRequest& req,
    pb::RecordEmploymentOutcomeResponse& resp) {
  RETURN_IF_ERROR(ValidateEmployment(req.outcome(), clock_()));
  RETURN_IF_ERROR(CheckEnrollmentAccess(call, "enrollment", req.enrollment()));
  const auto now = TimestampFromTime(clock_());
  return ChangeEnrollment(
      "enrollment", req.enrollment(), gnlc::events::v1::ENROLLMENT_CHANGE_EMPLOYMENT_RECORDED,
      /*completing=*/false,
      [&](pb::Enrollment& e) -> absl::Status {
        if (e.state() != pb::ENROLLMENT_STATE_COMPLETED) {
          return FailedPrecondition("ENROLLMENT_NOT_COMPLETED",
                                    "employment is recorded for a completed enrollment");
        }
        ASSIGN_OR_RETURN(OfferingRef ref, ParseOfferingName(e.offering(), city_, "offering"));
        ASSIGN_OR_RETURN(auto program, store_.ReadProgramFacts(ref.program_id));
        if (!program.has_value() || program->kind != gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING) {
          return FailedPrecondition("NOT_SKILLS_PROGRAM",
                                    "employment outcomes are recorded for skills-training "
                                    "programs only");
        }
        *e.mutable_employment() = req.outcome();
        *e.mutable_employment()->mutable_record_time() = now;
        return absl::OkStatus();
      },
      *resp.mutable_enrollment());
}

absl::Status EnrollmentService::DoSubmitFeedback(const CallAuth& call,
                                                 const pb::SubmitFeedbackRequest& req,
                                                 pb::SubmitFeedbackResponse& resp) {
  RETURN_IF_ERROR(ValidateFeedback(req.feedback()));
  RETURN_IF_ERROR(CheckEnrollmentAccess(call, "enrollment", req.enrollment()));
  const absl::Time now = clock_();
  return ChangeEnrollment(
      "enrollment", req.enrollment(), gnlc::events::v1::ENROLLMENT_CHANGE_FEEDBACK_GIVEN,
      /*completing=*/false,
      [&](pb::Enrollment& e) -> absl::Status {
        bool ended = false;
        if (e.state() == pb::ENROLLMENT_STATE_CONFIRMED) {
          ASSIGN_OR_RETURN(OfferingRef ref, ParseOfferingName(e.offering(), city_, "offering"));
          ASSIGN_OR_RETURN(auto facts, store_.ReadOfferingFacts(ref.offering_id));
          ended = facts.has_value() && facts->end <= absl::ToUnixSeconds(now);
        }
        if (e.state() != pb::ENROLLMENT_STATE_COMPLETED && !ended) {
          return FailedPrecondition("FEEDBACK_NOT_YET",
                                    "feedback is for a completed enrollment or an offering that "
                                    "has ended");
        }
        // A change keeps when the feedback was first given.
        const google::protobuf::Timestamp given =
            e.has_feedback() ? e.feedback().submit_time() : TimestampFromTime(now);
        *e.mutable_feedback() = req.feedback();
        *e.mutable_feedback()->mutable_submit_time() = given;
        return absl::OkStatus();
      },
      *resp.mutable_enrollment());
}

}  // namespace gnlc::enrollment
