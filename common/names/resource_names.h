// Resource names of the suite and the ids inside them. Every service serves
// only its own city: a name of another city is NOT_FOUND.
//
//   cities/{city}
//   cities/{city}/programs/{program}                      catalog
//   cities/{city}/programs/{program}/offerings/{offering} catalog
//   cities/{city}/learners/{learner}                      enrollment
//   cities/{city}/enrollments/{enrollment}                enrollment
//   cities/{city}/partners/{partner}                      partnership
//   cities/{city}/partnerships/{partnership}              partnership
//   //gnlc/cities/{city}/partners/{partner}  a partner of any member city
#ifndef GNLC_COMMON_NAMES_RESOURCE_NAMES_H_
#define GNLC_COMMON_NAMES_RESOURCE_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc {

struct OfferingRef {
  std::string program_id;
  std::string offering_id;
};

std::string CityName(absl::string_view city);
std::string ProgramName(absl::string_view city, absl::string_view program_id);
std::string OfferingName(absl::string_view city, absl::string_view program_id,
                         absl::string_view offering_id);
std::string LearnerName(absl::string_view city, absl::string_view learner_id);
std::string EnrollmentName(absl::string_view city, absl::string_view enrollment_id);
std::string PartnerName(absl::string_view city, absl::string_view partner_id);
std::string PartnershipName(absl::string_view city, absl::string_view partnership_id);

// `parent` must be "cities/{city}" for our city.
absl::Status CheckCityParent(absl::string_view parent, absl::string_view city);
absl::StatusOr<std::string> ParseProgramName(absl::string_view name, absl::string_view city,
                                             absl::string_view field);
absl::StatusOr<OfferingRef> ParseOfferingName(absl::string_view name, absl::string_view city,
                                              absl::string_view field);
absl::StatusOr<std::string> ParseLearnerName(absl::string_view name, absl::string_view city,
                                             absl::string_view field);
absl::StatusOr<std::string> ParseEnrollmentName(absl::string_view name, absl::string_view city,
                                                absl::string_view field);

absl::StatusOr<std::string> ParsePartnerName(absl::string_view name, absl::string_view city,
                                             absl::string_view field);
absl::StatusOr<std::string> ParsePartnershipName(absl::string_view name, absl::string_view city,
                                                 absl::string_view field);

// A partner of any network city: "cities/{city}/partners/{p}" (ours) or the
// full name "//gnlc/cities/{city}/partners/{p}".
struct PartnerRef {
  std::string city;
  std::string partner_id;
};
absl::StatusOr<PartnerRef> ParseAnyPartnerName(absl::string_view name, absl::string_view field);

// The city of any resource name "cities/{city}/...", or "" for one that
// is not a city's.
absl::string_view CityOfName(absl::string_view name);

// The last segment of a resource name: its own id ("o7" of
// "cities/nanjing/programs/p1/offerings/o7").
absl::string_view LastSegment(absl::string_view name);

// A fresh random id: `prefix` and 12 characters of [a-z0-9] (62 bits).
std::string NewId(char prefix);

}  // namespace gnlc

#endif  // GNLC_COMMON_NAMES_RESOURCE_NAMES_H_
