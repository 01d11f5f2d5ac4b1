// Loading and checking a city's configuration (gnlc.config.v1.CityConfig).
//
//   ASSIGN_OR_RETURN(CityConfig config, LoadCityConfig("deploy/cities/nanjing.json"));
//
// JSON uses protobuf's JSON mapping; files ending in .textproto or .txtpb are
// text format. Unknown JSON fields are errors, so a typo fails at start-up.
#ifndef GNLC_COMMON_CONFIG_CITY_CONFIG_H_
#define GNLC_COMMON_CONFIG_CITY_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gnlc/config/v1/city_config.pb.h"

namespace gnlc {

using CityConfig = gnlc::config::v1::CityConfig;

absl::StatusOr<CityConfig> LoadCityConfig(const std::string& path);
absl::StatusOr<CityConfig> ParseCityConfig(absl::string_view text, bool json);
// Checks ids, populations and duplicates; the message names the bad entry.
absl::Status ValidateCityConfig(const CityConfig& config);

// True when `district` is configured (or no districts are configured).
bool HasDistrict(const CityConfig& config, absl::string_view district);

}  // namespace gnlc

#endif  // GNLC_COMMON_CONFIG_CITY_CONFIG_H_
