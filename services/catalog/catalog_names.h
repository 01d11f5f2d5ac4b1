// Resource names of the catalog and the ids inside them.
//
//   cities/{city}
//   cities/{city}/programs/{program}
//   cities/{city}/programs/{program}/offerings/{offering}
//
// A name of another city is NOT_FOUND here (each city serves only its own).
#ifndef GNLC_SERVICES_CATALOG_CATALOG_NAMES_H_
#define GNLC_SERVICES_CATALOG_CATALOG_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc::catalog {

struct OfferingRef {
  std::string program_id;
  std::string offering_id;
};

std::string CityName(absl::string_view city);
std::string ProgramName(absl::string_view city, absl::string_view program_id);
std::string OfferingName(absl::string_view city, absl::string_view program_id,
                         absl::string_view offering_id);

// `parent` must be "cities/{city}" for our city.
absl::Status CheckCityParent(absl::string_view parent, absl::string_view city);
absl::StatusOr<std::string> ParseProgramName(absl::string_view name, absl::string_view city,
                                             absl::string_view field);
absl::StatusOr<OfferingRef> ParseOfferingName(absl::string_view name, absl::string_view city,
                                              absl::string_view field);

// A fresh random id: `prefix` and 12 characters of [a-z0-9].
std::string NewId(char prefix);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_NAMES_H_
