// What each indicator means, for people, in both languages: the definitions
// printed on the dashboard and its A4 report. (analytics.proto holds the
// precise ones for developers; these say the same in fewer words.)
//
//   IndicatorDefinition(pb::INDICATOR_JOB_PLACEMENT_RATE, /*zh=*/false, 6)
#ifndef GNLC_SERVICES_ANALYTICS_DEFINITIONS_H_
#define GNLC_SERVICES_ANALYTICS_DEFINITIONS_H_

#include <string>

#include "gnlc/analytics/v1/analytics.pb.h"

namespace gnlc::analytics {

// `follow_up_months`: job placement's follow-up window (CountingRules).
std::string IndicatorDefinition(gnlc::analytics::v1::Indicator indicator, bool zh,
                                int follow_up_months);

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_DEFINITIONS_H_
