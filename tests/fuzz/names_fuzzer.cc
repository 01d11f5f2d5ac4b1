// Resource names from requests: every parser refuses or accepts without
// crashing, and what it accepts is exactly the name it would build back.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/names/resource_names.h"
#include "common/validation/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name(reinterpret_cast<const char*>(data), size);
  if (auto id = gnlc::ParseProgramName(name, "nanjing", "name"); id.ok()) {
    if (gnlc::ProgramName("nanjing", *id) != name) std::abort();
  }
  if (auto ref = gnlc::ParseOfferingName(name, "nanjing", "name"); ref.ok()) {
    if (gnlc::OfferingName("nanjing", ref->program_id, ref->offering_id) != name) std::abort();
  }
  if (auto id = gnlc::ParseLearnerName(name, "nanjing", "name"); id.ok()) {
    if (gnlc::LearnerName("nanjing", *id) != name) std::abort();
  }
  if (auto id = gnlc::ParseEnrollmentName(name, "nanjing", "name"); id.ok()) {
    if (gnlc::EnrollmentName("nanjing", *id) != name) std::abort();
  }
  if (auto id = gnlc::ParsePartnershipName(name, "nanjing", "name"); id.ok()) {
    if (gnlc::PartnershipName("nanjing", *id) != name) std::abort();
  }
  (void)gnlc::ParsePartnerName(name, "nanjing", "name");
  (void)gnlc::ParseAnyPartnerName(name, "name");
  (void)gnlc::CheckCityParent(name, "nanjing");
  (void)gnlc::ParseName(name, {"cities", "programs", "offerings"}, "name");
  (void)gnlc::ValidateId("id", name);
  (void)gnlc::LastSegment(name);
  return 0;
}
