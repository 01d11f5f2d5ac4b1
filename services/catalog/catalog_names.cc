#include "services/catalog/catalog_names.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"

namespace gnlc::catalog {
namespace {
absl::Status OtherCity(absl::string_view field, absl::string_view name) {
  return NotFound("OTHER_CITY",
                  absl::StrCat(field, " '", name, "' belongs to another city's catalog"),
                  {{"field", std::string(field)}});
}
}  // namespace

std::string CityName(absl::string_view city) { return absl::StrCat("cities/", city); }

std::string ProgramName(absl::string_view city, absl::string_view program_id) {
  return absl::StrCat("cities/", city, "/programs/", program_id);
}

std::string OfferingName(absl::string_view city, absl::string_view program_id,
                         absl::string_view offering_id) {
  return absl::StrCat("cities/", city, "/programs/", program_id, "/offerings/", offering_id);
}

absl::Status CheckCityParent(absl::string_view parent, absl::string_view city) {
  ASSIGN_OR_RETURN(auto ids, ParseName(parent, {"cities"}, "parent"));
  if (ids[0] != city) return OtherCity("parent", parent);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseProgramName(absl::string_view name, absl::string_view city,
                                             absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseName(name, {"cities", "programs"}, field));
  if (ids[0] != city) return OtherCity(field, name);
  return ids[1];
}

absl::StatusOr<OfferingRef> ParseOfferingName(absl::string_view name, absl::string_view city,
                                              absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseName(name, {"cities", "programs", "offerings"}, field));
  if (ids[0] != city) return OtherCity(field, name);
  return OfferingRef{ids[1], ids[2]};
}

std::string NewId(char prefix) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local absl::BitGen gen;
  std::string id(1, prefix);
  for (int i = 0; i < 12; ++i) id += kAlphabet[absl::Uniform(gen, 0u, 36u)];
  return id;
}

}  // namespace gnlc::catalog
