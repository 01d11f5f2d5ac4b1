#include "services/enrollment/enrollment_validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"

namespace gnlc::enrollment {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(field, " ", what),
                         {{"field", std::string(field)}});
}

absl::Status ValidateDistrict(const pb::Learner& learner, const CityConfig& city) {
  if (learner.district().empty()) return Bad("learner.district", "is required");
  if (!HasDistrict(city, learner.district())) {
    return Bad(
        "learner.district",
        absl::StrCat("'", learner.district(), "' is not a district of this city's configuration"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAgeBand(const pb::Learner& learner) {
  if (learner.age_band() == gnlc::type::v1::AGE_BAND_UNSPECIFIED ||
      !gnlc::type::v1::AgeBand_IsValid(learner.age_band())) {
    return Bad("learner.age_band", "must be CHILD, TEEN, YOUNG_ADULT, ADULT or SENIOR");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLearner(const pb::Learner& learner, const CityConfig& city) {
  RETURN_IF_ERROR(ValidateText("learner.external_subject", learner.external_subject(), 128));
  RETURN_IF_ERROR(ValidateDistrict(learner, city));
  return ValidateAgeBand(learner);
}

absl::Status ApplyLearnerMask(const pb::UpdateLearnerRequest& request, pb::Learner& stored) {
  if (request.update_mask().paths().empty()) {
    return Bad("update_mask", "is required: name the fields to change, e.g. \"consents\"");
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "district") {
      stored.set_district(request.learner().district());
    } else if (path == "age_band") {
      stored.set_age_band(request.learner().age_band());
    } else if (path == "consents") {
      *stored.mutable_consents() = request.learner().consents();
    } else {
      return Bad("update_mask", absl::StrCat("'", path,
                                             "' cannot be updated; allowed: district, age_band, "
                                             "consents"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCancelReason(const gnlc::type::v1::LocalizedText& reason) {
  RETURN_IF_ERROR(ValidateText("reason.zh", reason.zh(), 500));
  return ValidateText("reason.en", reason.en(), 500);
}

absl::Status ValidateCompletion(const pb::Completion& completion) {
  if (completion.outcome() == pb::COMPLETION_OUTCOME_UNSPECIFIED ||
      !pb::CompletionOutcome_IsValid(completion.outcome())) {
    return Bad("completion.outcome", "must be COMPLETED, PASSED or FAILED");
  }
  if (!std::isfinite(completion.hours()) || completion.hours() < 0 || completion.hours() > 2000) {
    return Bad("completion.hours", "must be between 0 and 2000");
  }
  return ValidateText("completion.credential_ref", completion.credential_ref(), 200);
}

absl::Status ValidateEmployment(const pb::EmploymentOutcome& outcome, absl::Time now) {
  if (!outcome.employed()) {
    if (outcome.has_employed_since()) {
      return Bad("outcome.employed_since", "must be unset when employed is false");
    }
    return absl::OkStatus();
  }
  if (!outcome.has_employed_since()) {
    return Bad("outcome.employed_since", "is required when employed is true");
  }
  const int64_t since = outcome.employed_since().seconds();
  if (since < 0 || since > absl::ToUnixSeconds(now + absl::Hours(24))) {
    return Bad("outcome.employed_since", "must be a date in the past");
  }
  return absl::OkStatus();
}

absl::Status ValidateFeedback(const pb::Feedback& feedback) {
  if (feedback.rating() < 1 || feedback.rating() > 5) {
    return Bad("feedback.rating", "must be from 1 (poor) to 5 (excellent)");
  }
  return ValidateText("feedback.comment", feedback.comment(), 1000);
}

std::string OutcomeReason(pb::CompletionOutcome outcome) {
  switch (outcome) {
    case pb::COMPLETION_OUTCOME_PASSED:
      return "completed: passed";
    case pb::COMPLETION_OUTCOME_FAILED:
      return "completed: failed";
    default:
      return "completed";
  }
}

}  // namespace gnlc::enrollment
