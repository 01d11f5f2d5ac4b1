// Two cities for federation tests: Suzhou (the origin) and Nanjing (which
// mirrors it), each with its own real Redis and catalog over real gRPC,
// Nanjing harvesting Suzhou's peer port with mutual TLS.
//
//   FederationTest: SetUp starts Suzhou; StartNanjing() points Nanjing's
//   harvester at Suzhou (or at a proxy in front of it).
#ifndef GNLC_TESTS_INTEGRATION_FEDERATION_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_FEDERATION_HARNESS_H_

#include <map>
#include <memory>
#include <string>

#include "services/catalog/mirror_store.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/redis_server.h"

namespace gnlc::catalog::testing {

// Nanjing's config with Suzhou as a harvested peer at `suzhou_address`.
CityConfig NanjingMirroringSuzhou(const std::string& suzhou_address, int poll_ms = 100,
                                  int reconcile_seconds = 3600, int page_size = 0);
// Suzhou's config: it knows Nanjing as a peer (accepts its certificate).
CityConfig SuzhouConfig();

// name -> record (serialized Program or Offering) of every live record in
// an origin's feed, read through ListProgramChanges from the start.
std::map<std::string, std::string> FeedRecords(pb::CatalogService::Stub& origin);
// The same from a mirror in Redis (the generation served).
std::map<std::string, std::string> MirrorRecords(const RedisOptions& redis,
                                                 const std::string& peer);
// Whether two such maps hold the same records (compared as messages).
::testing::AssertionResult SameRecords(const std::map<std::string, std::string>& origin,
                                       const std::map<std::string, std::string>& mirror);

pb::SearchProgramsResponse NetworkSearch(pb::CatalogService::Stub& stub, const std::string& query,
                                         pb::SearchScope scope = pb::SEARCH_SCOPE_NETWORK);
pb::PeerStatus PeerStatusOf(pb::CatalogService::Stub& stub, const std::string& peer);

class FederationTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void StartNanjing(const std::string& suzhou_address, int reconcile_seconds = 3600,
                    int page_size = 0);
  std::string SuzhouPeerAddress() const;
  pb::CatalogService::Stub& suzhou() { return *suzhou_admin_; }
  pb::CatalogService::Stub& nanjing() { return *nanjing_->stub; }

  std::unique_ptr<gnlc::testing::RedisServerProcess> suzhou_redis_, nanjing_redis_;
  std::unique_ptr<CatalogReplica> suzhou_, nanjing_;
  std::unique_ptr<pb::CatalogService::Stub> suzhou_admin_;
};

}  // namespace gnlc::catalog::testing

#endif  // GNLC_TESTS_INTEGRATION_FEDERATION_HARNESS_H_
