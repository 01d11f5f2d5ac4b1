#include "common/names/resource_names.h"

#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"

namespace gnlc {
namespace {

absl::Status OtherCity(absl::string_view field, absl::string_view name) {
  return NotFound("OTHER_CITY", absl::StrCat(field, " '", name, "' belongs to another city"),
                  {{"field", std::string(field)}});
}

// The ids after "cities/{city}" of a name in our city.
absl::StatusOr<std::vector<std::string>> ParseCityName(
    absl::string_view name, absl::string_view city,
    const std::vector<absl::string_view>& collections, absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseName(name, collections, field));
  if (ids[0] != city) return OtherCity(field, name);
  ids.erase(ids.begin());
  return ids;
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

std::string LearnerName(absl::string_view city, absl::string_view learner_id) {
  return absl::StrCat("cities/", city, "/learners/", learner_id);
}

std::string EnrollmentName(absl::string_view city, absl::string_view enrollment_id) {
  return absl::StrCat("cities/", city, "/enrollments/", enrollment_id);
}

std::string PartnerName(absl::string_view city, absl::string_view partner_id) {
  return absl::StrCat("cities/", city, "/partners/", partner_id);
}

std::string PartnershipName(absl::string_view city, absl::string_view partnership_id) {
  return absl::StrCat("cities/", city, "/partnerships/", partnership_id);
}

absl::Status CheckCityParent(absl::string_view parent, absl::string_view city) {
  return ParseCityName(parent, city, {"cities"}, "parent").status();
}

absl::StatusOr<std::string> ParseProgramName(absl::string_view name, absl::string_view city,
                                             absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "programs"}, field));
  return ids[0];
}

absl::StatusOr<OfferingRef> ParseOfferingName(absl::string_view name, absl::string_view city,
                                              absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "programs", "offerings"}, field));
  return OfferingRef{ids[0], ids[1]};
}

absl::StatusOr<std::string> ParseLearnerName(absl::string_view name, absl::string_view city,
                                             absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "learners"}, field));
  return ids[0];
}

absl::StatusOr<std::string> ParseEnrollmentName(absl::string_view name, absl::string_view city,
                                                absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "enrollments"}, field));
  return ids[0];
}

absl::StatusOr<std::string> ParsePartnerName(absl::string_view name, absl::string_view city,
                                             absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "partners"}, field));
  return ids[0];
}

absl::StatusOr<std::string> ParsePartnershipName(absl::string_view name, absl::string_view city,
                                                 absl::string_view field) {
  ASSIGN_OR_RETURN(auto ids, ParseCityName(name, city, {"cities", "partnerships"}, field));
  return ids[0];
}

absl::StatusOr<PartnerRef> ParseAnyPartnerName(absl::string_view name, absl::string_view field) {
  absl::ConsumePrefix(&name, "//gnlc/");
  ASSIGN_OR_RETURN(auto ids, ParseName(name, {"cities", "partners"}, field));
  return PartnerRef{ids[0], ids[1]};
}

absl::string_view CityOfName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "cities/")) return {};
  return name.substr(0, name.find('/'));
}

absl::string_view LastSegment(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == absl::string_view::npos ? name : name.substr(slash + 1);
}

std::string NewId(char prefix) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local absl::BitGen gen;
  std::string id(1, prefix);
  for (int i = 0; i < 12; ++i) id += kAlphabet[absl::Uniform(gen, 0u, 36u)];
  return id;
}

}  // namespace gnlc
