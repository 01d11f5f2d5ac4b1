#include "tests/integration/city_harness.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace gnlc::testing {

std::unique_ptr<WholeCity> WholeCity::Start() {
  auto city = std::make_unique<WholeCity>();
  auto redis = RedisServerProcess::Start();
  if (!redis.ok()) {
    ADD_FAILURE() << redis.status();
    return nullptr;
  }
  city->redis = std::move(*redis);
  CityConfig config = catalog::testing::TestCity();
  config.add_peers()->set_city_id("suzhou");
  const std::string redis_address = city->redis->address();
  city->catalog =
      catalog::testing::CatalogReplica::Start(redis_address, config, [] { return absl::Now(); });
  const std::string catalog_address = absl::StrCat("127.0.0.1:", city->catalog->server->port());
  city->enrollment = enrollment::testing::EnrollmentServer::Start(redis_address, catalog_address);
  city->partnership =
      partnership::testing::PartnershipServer::Start(redis_address, catalog_address);
  city->analytics = analytics::testing::AnalyticsServer::Start(
      redis_address, config, absl::StrCat("127.0.0.1:", city->enrollment->server->port()),
      catalog_address);
  city->ports = {{"catalog", city->catalog->server->port()},
                 {"enrollment", city->enrollment->server->port()},
                 {"partnership", city->partnership->server->port()},
                 {"analytics", city->analytics->server->port()}};
  city->peer_ports = {{"catalog", city->catalog->server->peer_port()},
                      {"analytics", city->analytics->server->peer_port()}};
  return city;
}

}  // namespace gnlc::testing
