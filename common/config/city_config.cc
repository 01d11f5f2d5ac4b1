#include "common/config/city_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace gnlc {

absl::StatusOr<CityConfig> LoadCityConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read city config '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const bool text = absl::EndsWith(path, ".textproto") || absl::EndsWith(path, ".txtpb");
  auto config = ParseCityConfig(buffer.str(), !text);
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("city config '", path, "': ", config.status().message()));
  }
  return config;
}

absl::StatusOr<CityConfig> ParseCityConfig(absl::string_view text, bool json) {
  CityConfig config;
  if (json) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &config, options);
    if (!status.ok()) return absl::InvalidArgumentError(std::string(status.message()));
  } else if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError("not valid text format");
  }
  RETURN_IF_ERROR(ValidateCityConfig(config));
  return config;
}

absl::Status ValidateCityConfig(const CityConfig& config) {
  RETURN_IF_ERROR(ValidateId("city_id", config.city_id()));
  absl::flat_hash_set<std::string> seen;
  for (const auto& d : config.districts()) {
    RETURN_IF_ERROR(ValidateId("districts.id", d.id()));
    if (!seen.insert(d.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("district '", d.id(), "' appears twice"));
    }
    if (d.population() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("district '", d.id(), "' needs a positive population"));
    }
  }
  std::set<std::string> peers;
  for (const auto& p : config.peers()) {
    RETURN_IF_ERROR(ValidateId("peers.city_id", p.city_id()));
    if (p.city_id() == config.city_id()) {
      return absl::InvalidArgumentError("a city cannot be its own peer");
    }
    if (!peers.insert(p.city_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("peer '", p.city_id(), "' is listed twice"));
    }
    if (!p.catalog_address().empty() && config.federation().network_ca_file().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer '", p.city_id(),
                       "' has a catalog_address but federation has no certificates to call it"));
    }
  }
  const auto& f = config.federation();
  if (f.harvest_poll_ms() < 0 || f.harvest_poll_ms() > 60000) {
    return absl::InvalidArgumentError("federation.harvest_poll_ms must be between 1 and 60000");
  }
  if (f.reconcile_interval_seconds() < 0 || f.peer_call_timeout_ms() < 0 ||
      f.harvest_page_size() < 0 || f.harvest_page_size() > 1000 || f.harvest_lease_ms() < 0) {
    return absl::InvalidArgumentError(
        "federation: reconcile_interval_seconds, peer_call_timeout_ms and harvest_lease_ms must "
        "be positive, harvest_page_size 1 to 1000");
  }
  if (config.redis().pool_size() < 0 || config.redis().pool_size() > 256) {
    return absl::InvalidArgumentError("redis.pool_size must be between 1 and 256");
  }
  if (config.placement_follow_up_months() < 0 || config.placement_follow_up_months() > 24) {
    return absl::InvalidArgumentError("placement_follow_up_months must be between 1 and 24");
  }
  return absl::OkStatus();
}

bool HasDistrict(const CityConfig& config, absl::string_view district) {
  if (config.districts().empty()) return true;
  for (const auto& d : config.districts()) {
    if (d.id() == district) return true;
  }
  return false;
}

}  // namespace gnlc
