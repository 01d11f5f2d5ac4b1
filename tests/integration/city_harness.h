// All four services of one test city on one real Redis, each on its own
// port, for tests that go through every service (the permission matrix, the
// over-the-wire fuzz test).
//
//   auto city = WholeCity::Start();   // fails the test on error
//   int port = city->ports.at("enrollment");
#ifndef GNLC_TESTS_INTEGRATION_CITY_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_CITY_HARNESS_H_

#include <map>
#include <memory>
#include <string>

#include "tests/integration/analytics_harness.h"
#include "tests/integration/partnership_harness.h"
#include "tests/support/redis_server.h"

namespace gnlc::testing {

struct WholeCity {
  std::unique_ptr<RedisServerProcess> redis;
  std::unique_ptr<catalog::testing::CatalogReplica> catalog;
  std::unique_ptr<enrollment::testing::EnrollmentServer> enrollment;
  std::unique_ptr<partnership::testing::PartnershipServer> partnership;
  std::unique_ptr<analytics::testing::AnalyticsServer> analytics;
  // "catalog" -> port; peer_ports only for the services peers reach.
  std::map<std::string, int> ports, peer_ports;

  // Nanjing (TestCity) with Suzhou as a configured peer. nullptr (and a
  // test failure) when something does not start.
  static std::unique_ptr<WholeCity> Start();
};

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_INTEGRATION_CITY_HARNESS_H_
