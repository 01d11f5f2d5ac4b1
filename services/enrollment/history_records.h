// Turns the rows of an import of history (EnrollmentService.ImportHistory)
// into the records the live service would have written: a learner, or an
// enrollment with its whole history at its original times. Pure functions,
// so every rule a row must obey is tested without Redis. A rule broken
// gives INVALID_ARGUMENT naming the field, as a live request would get.
//
//   ASSIGN_OR_RETURN(pb::Enrollment e, BuildImportedEnrollment(row, now));
#ifndef GNLC_SERVICES_ENROLLMENT_HISTORY_RECORDS_H_
#define GNLC_SERVICES_ENROLLMENT_HISTORY_RECORDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"

namespace gnlc::enrollment {

namespace pb = gnlc::enrollment::v1;

// The learner to store (without name and etag), from a validated row.
absl::StatusOr<pb::Learner> BuildImportedLearner(const pb::LearnerImport& row,
                                                 const CityConfig& city, absl::Time now);

// The enrollment to store (without name and learner): state, history,
// completion, employment, feedback and times from the row. Whether the
// offering exists, has room and is a skills program is checked in Redis.
absl::StatusOr<pb::Enrollment> BuildImportedEnrollment(const pb::EnrollmentImport& row,
                                                       absl::Time now);

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_HISTORY_RECORDS_H_
