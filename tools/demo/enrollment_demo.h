// Demo residents for a city's enrollment service: learners across the
// city's districts, enrolled through the real EnrollmentService API in the
// demo catalog's open offerings, with a waitlist (and a promotion from it),
// completions, job outcomes of the skills course, and feedback.
#ifndef GNLC_TOOLS_DEMO_ENROLLMENT_DEMO_H_
#define GNLC_TOOLS_DEMO_ENROLLMENT_DEMO_H_

#include <string>
#include <vector>

#include "common/config/city_config.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"

namespace gnlc::demo {

// An offering of the demo catalog, as created.
struct DemoOffering {
  std::string name;
  std::string program;
  int seats = -1;  // -1 unlimited
  int kind = 0;    // gnlc.type.v1.ProgramKind
  bool open_now = false;
};

// Returns 0 on success; prints what it did.
int LoadEnrollmentDemo(gnlc::enrollment::v1::EnrollmentService::Stub& stub,
                       const CityConfig& config, const std::vector<DemoOffering>& offerings);

}  // namespace gnlc::demo

#endif  // GNLC_TOOLS_DEMO_ENROLLMENT_DEMO_H_
