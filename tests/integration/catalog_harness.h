// A catalog replica for tests: real gRPC server on 127.0.0.1:0 over a real
// Redis, with an injectable clock, plus request builders shared by tests.
//
//   auto redis = testing::RedisServerProcess::Start();
//   auto replica = CatalogReplica::Start((*redis)->address());
//   auto program = CreatePublishedProgram(*replica->stub, "书法入门", "Calligraphy");
#ifndef GNLC_TESTS_INTEGRATION_CATALOG_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_CATALOG_HARNESS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/redis/redis_pool.h"
#include "common/server/server.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "services/catalog/catalog_service.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/redis_server.h"

namespace gnlc::catalog::testing {

namespace pb = gnlc::catalog::v1;

// Nanjing (or `city_id`) with a handful of districts, TLS and the test
// token issuer (tests/support/test_security.h).
CityConfig TestCity(const std::string& city_id = "nanjing");

struct CatalogReplica {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<RedisPool> pool;
  std::unique_ptr<CatalogService> service;
  std::unique_ptr<GnlcServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::CatalogService::Stub> stub;

  // Starts and waits until health says SERVING (index built). Also
  // listens for peer cities (server->peer_port()).
  static std::unique_ptr<CatalogReplica> Start(
      const std::string& redis_address, CatalogService::Clock clock = [] { return absl::Now(); });
  static std::unique_ptr<CatalogReplica> Start(const std::string& redis_address,
                                               const CityConfig& city, CatalogService::Clock clock);
  ~CatalogReplica();
};

// A published program with the given titles (kind WORKSHOP unless given).
pb::Program NewProgram(const std::string& zh, const std::string& en,
                       gnlc::type::v1::ProgramKind kind = gnlc::type::v1::PROGRAM_KIND_WORKSHOP);
// An in-person offering at (lat, lng) in `district`, starting `start_in`
// from `now`, enrollment open now.
pb::Offering NewOffering(absl::Time now, absl::Duration start_in, double lat, double lng,
                         const std::string& district, int seats = 20);

// Create helpers that fail the test on error.
pb::Program MustCreateProgram(pb::CatalogService::Stub& stub, const pb::Program& program,
                              const std::string& request_id = "",
                              const std::string& parent = "cities/nanjing");
pb::Offering MustCreateOffering(pb::CatalogService::Stub& stub, const std::string& program_name,
                                const pb::Offering& offering);

pb::SearchProgramsResponse MustSearch(pb::CatalogService::Stub& stub,
                                      pb::SearchProgramsRequest request);

// A fresh Redis and one catalog replica per test.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override;
  pb::CatalogService::Stub& stub() { return *replica_->stub; }

  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<CatalogReplica> replica_;
};

// A context with a 5 s deadline.
std::unique_ptr<grpc::ClientContext> Ctx();

}  // namespace gnlc::catalog::testing

#endif  // GNLC_TESTS_INTEGRATION_CATALOG_HARNESS_H_
