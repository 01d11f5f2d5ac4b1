// What a valid program and offering look like, and how update masks apply.
// Every failure is INVALID_ARGUMENT naming the field and the rule.
//
//   RETURN_IF_ERROR(ValidateProgram(program, config));
//   RETURN_IF_ERROR(ApplyProgramMask(request.program(), request.update_mask(), stored));
#ifndef GNLC_SERVICES_CATALOG_CATALOG_VALIDATION_H_
#define GNLC_SERVICES_CATALOG_CATALOG_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/offering.pb.h"
#include "gnlc/catalog/v1/program.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace gnlc::catalog {

using gnlc::catalog::v1::Offering;
using gnlc::catalog::v1::Program;

// Limits, also documented in the protos.
inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxDescriptionChars = 4000;
inline constexpr int kMaxTopics = 20;
inline constexpr size_t kMaxTopicChars = 40;
inline constexpr int kMaxLanguages = 5;
inline constexpr int kMaxProviders = 10;
inline constexpr size_t kMaxProviderChars = 200;
inline constexpr int32_t kMaxSeats = 1000000;
inline constexpr int32_t kMaxWaitlist = 100000;
inline constexpr absl::Duration kMaxOfferingLength = absl::Hours(24 * 400);
// Enrollment may open at most this long before the offering starts.
inline constexpr absl::Duration kMaxEnrollmentLead = absl::Hours(24 * 366);

// Checks the client-settable fields of a program; lower-cases topics.
absl::Status ValidateProgram(Program& program, const CityConfig& config);

// Checks an offering and fills the enrollment window defaults (open: now,
// close: start_time).
absl::Status ValidateOffering(Offering& offering, const CityConfig& config, absl::Time now);

// Copies the fields named in `mask` from `update` into `stored`.
absl::Status ApplyProgramMask(const Program& update, const google::protobuf::FieldMask& mask,
                              Program& stored);
absl::Status ApplyOfferingMask(const Offering& update, const google::protobuf::FieldMask& mask,
                               Offering& stored);

// Clear the output-only fields a client may have sent back: never trusted.
void ClearProgramOutputs(Program& p);
void ClearOfferingOutputs(Offering& o);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_VALIDATION_H_
