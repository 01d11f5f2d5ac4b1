#include "services/enrollment/history_records.h"

#include "absl/strings/str_cat.h"
#include "common/importing/import_rows.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/enrollment/enrollment_validation.h"

namespace gnlc::enrollment {
namespace {

using google::protobuf::Timestamp;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(field, " ", what),
                         {{"field", std::string(field)}});
}

// A time of the source system: set, after 2000 and not in the future.
absl::Status ValidatePast(absl::string_view field, const Timestamp& t, absl::Time now) {
  const absl::Time when = TimeFromTimestamp(t);
  if (t.seconds() < 946684800 || t.nanos() < 0 || t.nanos() > 999999999) {
    return Bad(field, "must be a time after 2000-01-01");
  }
  if (when > now) return Bad(field, "must not be in the future");
  return absl::OkStatus();
}

absl::Status NotBefore(absl::string_view field, const Timestamp& t, absl::string_view other,
                       const Timestamp& earlier) {
  if (TimeFromTimestamp(t) < TimeFromTimestamp(earlier)) {
    return Bad(field, absl::StrCat("must not be before ", other));
  }
  return absl::OkStatus();
}

void AddTransition(pb::Enrollment& e, pb::EnrollmentState from, pb::EnrollmentState to,
                   const Timestamp& when, absl::string_view reason) {
  pb::EnrollmentTransition* t = e.add_history();
  t->set_from_state(from);
  t->set_to_state(to);
  *t->mutable_time() = when;
  t->set_reason(std::string(reason));
}

// The history up to the learner's seat (or their wait for one).
absl::Status AddArrival(const pb::EnrollmentImport& row, pb::Enrollment& e) {
  const bool waits = row.state() == pb::ENROLLMENT_STATE_WAITLISTED || row.never_seated();
  if (row.never_seated() && row.state() != pb::ENROLLMENT_STATE_CANCELLED) {
    return Bad("enrollment.never_seated", "is for a learner cancelled while waitlisted");
  }
  if (waits) {
    if (row.has_seat_time()) return Bad("enrollment.seat_time", "must be unset: never seated");
    AddTransition(e, pb::ENROLLMENT_STATE_UNSPECIFIED, pb::ENROLLMENT_STATE_WAITLISTED,
                  row.enroll_time(), "waitlisted");
    return absl::OkStatus();
  }
  if (row.has_seat_time() &&
      TimeFromTimestamp(row.seat_time()) > TimeFromTimestamp(row.enroll_time())) {
    AddTransition(e, pb::ENROLLMENT_STATE_UNSPECIFIED, pb::ENROLLMENT_STATE_WAITLISTED,
                  row.enroll_time(), "waitlisted");
    AddTransition(e, pb::ENROLLMENT_STATE_WAITLISTED, pb::ENROLLMENT_STATE_CONFIRMED,
                  row.seat_time(), "promoted from waitlist");
    return absl::OkStatus();
  }
  AddTransition(e, pb::ENROLLMENT_STATE_UNSPECIFIED, pb::ENROLLMENT_STATE_CONFIRMED,
                row.enroll_time(), "enrolled");
  return absl::OkStatus();
}

absl::Status CheckTimes(const pb::EnrollmentImport& row, absl::Time now) {
  if (!row.has_enroll_time()) return Bad("enrollment.enroll_time", "is required");
  RETURN_IF_ERROR(ValidatePast("enrollment.enroll_time", row.enroll_time(), now));
  if (row.has_seat_time()) {
    RETURN_IF_ERROR(ValidatePast("enrollment.seat_time", row.seat_time(), now));
    RETURN_IF_ERROR(
        NotBefore("enrollment.seat_time", row.seat_time(), "enroll_time", row.enroll_time()));
  }
  const bool cancelled = row.state() == pb::ENROLLMENT_STATE_CANCELLED;
  if (cancelled != row.has_cancel_time()) {
    return Bad("enrollment.cancel_time", "is required for CANCELLED and only then");
  }
  if (!cancelled && (row.cancel_reason().zh().size() + row.cancel_reason().en().size()) > 0) {
    return Bad("enrollment.cancel_reason", "is for CANCELLED only");
  }
  if (cancelled) {
    RETURN_IF_ERROR(ValidatePast("enrollment.cancel_time", row.cancel_time(), now));
    const Timestamp& after = row.has_seat_time() ? row.seat_time() : row.enroll_time();
    RETURN_IF_ERROR(NotBefore("enrollment.cancel_time", row.cancel_time(),
                              row.has_seat_time() ? "seat_time" : "enroll_time", after));
    RETURN_IF_ERROR(ValidateCancelReason(row.cancel_reason()));
  }
  return absl::OkStatus();
}

absl::Status AddCompletion(const pb::EnrollmentImport& row, absl::Time now, pb::Enrollment& e) {
  const bool completed = row.state() == pb::ENROLLMENT_STATE_COMPLETED;
  if (completed != row.has_completion()) {
    return Bad("enrollment.completion", "is required for COMPLETED and only then");
  }
  if (!completed) return absl::OkStatus();
  const pb::Completion& c = row.completion();
  {
    absl::Status s = ValidateCompletion(c);
    if (!s.ok())
      return Bad(absl::StrCat("enrollment.", ErrorMetadataOf(s)["field"]),
                 s.message().substr(s.message().find(' ') + 1));
  }
  if (!c.has_complete_time()) return Bad("enrollment.completion.complete_time", "is required");
  RETURN_IF_ERROR(ValidatePast("enrollment.completion.complete_time", c.complete_time(), now));
  const Timestamp& seat = row.has_seat_time() ? row.seat_time() : row.enroll_time();
  RETURN_IF_ERROR(NotBefore("enrollment.completion.complete_time", c.complete_time(),
                            row.has_seat_time() ? "seat_time" : "enroll_time", seat));
  *e.mutable_completion() = c;
  AddTransition(e, pb::ENROLLMENT_STATE_CONFIRMED, pb::ENROLLMENT_STATE_COMPLETED,
                c.complete_time(), OutcomeReason(c.outcome()));
  return absl::OkStatus();
}

absl::Status AddEmployment(const pb::EnrollmentImport& row, absl::Time now, pb::Enrollment& e) {
  if (!row.has_employment()) return absl::OkStatus();
  if (row.state() != pb::ENROLLMENT_STATE_COMPLETED) {
    return Bad("enrollment.employment", "is recorded for a completed enrollment only");
  }
  pb::EmploymentOutcome outcome = row.employment();
  {
    absl::Status s = ValidateEmployment(outcome, now);
    if (!s.ok()) {
      return Bad(absl::StrCat("enrollment.employment.", "employed_since"),
                 s.message().substr(s.message().find(' ') + 1));
    }
  }
  if (!outcome.has_record_time()) *outcome.mutable_record_time() = row.completion().complete_time();
  RETURN_IF_ERROR(ValidatePast("enrollment.employment.record_time", outcome.record_time(), now));
  RETURN_IF_ERROR(NotBefore("enrollment.employment.record_time", outcome.record_time(),
                            "completion.complete_time", row.completion().complete_time()));
  *e.mutable_employment() = outcome;
  return absl::OkStatus();
}

absl::Status AddFeedback(const pb::EnrollmentImport& row, absl::Time now, pb::Enrollment& e) {
  if (!row.has_feedback()) return absl::OkStatus();
  if (row.state() != pb::ENROLLMENT_STATE_COMPLETED &&
      row.state() != pb::ENROLLMENT_STATE_CONFIRMED) {
    return Bad("enrollment.feedback", "is given for a completed or confirmed enrollment only");
  }
  const pb::Feedback& f = row.feedback();
  if (f.rating() < 1 || f.rating() > 5) {
    return Bad("enrollment.feedback.rating", "must be from 1 (poor) to 5 (excellent)");
  }
  RETURN_IF_ERROR(ValidateText("enrollment.feedback.comment", f.comment(), 1000));
  if (!f.has_submit_time()) return Bad("enrollment.feedback.submit_time", "is required");
  RETURN_IF_ERROR(ValidatePast("enrollment.feedback.submit_time", f.submit_time(), now));
  RETURN_IF_ERROR(NotBefore("enrollment.feedback.submit_time", f.submit_time(), "enroll_time",
                            row.enroll_time()));
  *e.mutable_feedback() = f;
  return absl::OkStatus();
}

const Timestamp& Latest(const Timestamp& a, const Timestamp& b) {
  return TimeFromTimestamp(a) < TimeFromTimestamp(b) ? b : a;
}

}  // namespace

absl::StatusOr<pb::Learner> BuildImportedLearner(const pb::LearnerImport& row,
                                                 const CityConfig& city, absl::Time now) {
  RETURN_IF_ERROR(ValidateSourceId("source_id", row.source_id()));
  RETURN_IF_ERROR(ValidateLearner(row.learner(), city));
  if (!row.learner().backend().empty()) {
    RETURN_IF_ERROR(ValidateId("learner.backend", row.learner().backend()));
  }
  pb::Learner l;
  l.set_external_subject(row.learner().external_subject());
  l.set_district(row.learner().district());
  l.set_age_band(row.learner().age_band());
  l.set_backend(row.learner().backend());
  *l.mutable_consents() = row.learner().consents();
  if (row.has_create_time()) {
    RETURN_IF_ERROR(ValidatePast("create_time", row.create_time(), now));
    *l.mutable_create_time() = row.create_time();
  } else {
    *l.mutable_create_time() = TimestampFromTime(now);
  }
  // As the source last knew it (an enrollment's is its last change there):
  // an import is not the learner's own activity (gnlcctl archive goes by it).
  *l.mutable_update_time() = l.create_time();
  return l;
}

absl::StatusOr<pb::Enrollment> BuildImportedEnrollment(const pb::EnrollmentImport& row,
                                                       absl::Time now) {
  RETURN_IF_ERROR(ValidateSourceId("source_id", row.source_id()));
  RETURN_IF_ERROR(ValidateSourceId("learner_source_id", row.learner_source_id()));
  switch (row.state()) {
    case pb::ENROLLMENT_STATE_CONFIRMED:
    case pb::ENROLLMENT_STATE_WAITLISTED:
    case pb::ENROLLMENT_STATE_CANCELLED:
    case pb::ENROLLMENT_STATE_COMPLETED:
      break;
    default:
      return Bad("enrollment.state", "must be CONFIRMED, WAITLISTED, CANCELLED or COMPLETED");
  }
  RETURN_IF_ERROR(CheckTimes(row, now));
  pb::Enrollment e;
  e.set_offering(row.offering());
  e.set_state(row.state());
  RETURN_IF_ERROR(AddArrival(row, e));
  if (row.state() == pb::ENROLLMENT_STATE_CANCELLED) {
    AddTransition(e, e.history(e.history_size() - 1).to_state(), pb::ENROLLMENT_STATE_CANCELLED,
                  row.cancel_time(), "cancelled");
    if (row.cancel_reason().zh().size() + row.cancel_reason().en().size() > 0) {
      *e.mutable_cancel_reason() = row.cancel_reason();
    }
  }
  RETURN_IF_ERROR(AddCompletion(row, now, e));
  RETURN_IF_ERROR(AddEmployment(row, now, e));
  RETURN_IF_ERROR(AddFeedback(row, now, e));
  *e.mutable_create_time() = row.enroll_time();
  Timestamp last = e.history(e.history_size() - 1).time();
  if (e.has_employment()) last = Latest(last, e.employment().record_time());
  if (e.has_feedback()) last = Latest(last, e.feedback().submit_time());
  *e.mutable_update_time() = last;
  return e;
}

}  // namespace gnlc::enrollment
