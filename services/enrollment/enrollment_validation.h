// Checks of the enrollment service's untrusted inputs. Each returns
// INVALID_ARGUMENT naming the field and what to send instead.
#ifndef GNLC_SERVICES_ENROLLMENT_ENROLLMENT_VALIDATION_H_
#define GNLC_SERVICES_ENROLLMENT_ENROLLMENT_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/enrollment/v1/enrollment.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"

namespace gnlc::enrollment {

namespace pb = gnlc::enrollment::v1;

// District of the city, age band, external subject of at most 128 chars.
absl::Status ValidateLearner(const pb::Learner& learner, const CityConfig& city);
// Applies `update_mask` (district, age_band, consents) to `stored`.
absl::Status ApplyLearnerMask(const pb::UpdateLearnerRequest& request, pb::Learner& stored);

absl::Status ValidateCancelReason(const gnlc::type::v1::LocalizedText& reason);
absl::Status ValidateCompletion(const pb::Completion& completion);
absl::Status ValidateEmployment(const pb::EmploymentOutcome& outcome, absl::Time now);
absl::Status ValidateFeedback(const pb::Feedback& feedback);

// The history's reason for a completion: "completed: passed", ...
std::string OutcomeReason(pb::CompletionOutcome outcome);

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_ENROLLMENT_VALIDATION_H_
