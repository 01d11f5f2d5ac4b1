#include "tests/integration/federation_harness.h"

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_pool.h"

namespace gnlc::catalog::testing {

CityConfig NanjingMirroringSuzhou(const std::string& suzhou_address, int poll_ms,
                                  int reconcile_seconds, int page_size) {
  CityConfig city = TestCity("nanjing");
  auto* peer = city.add_peers();
  peer->set_city_id("suzhou");
  peer->set_catalog_address(suzhou_address);
  city.mutable_federation()->set_harvest_poll_ms(poll_ms);
  city.mutable_federation()->set_reconcile_interval_seconds(reconcile_seconds);
  city.mutable_federation()->set_peer_call_timeout_ms(1500);
  city.mutable_federation()->set_harvest_page_size(page_size);
  city.mutable_federation()->set_harvest_lease_ms(1000);
  return city;
}

CityConfig SuzhouConfig() {
  CityConfig city = TestCity("suzhou");
  city.add_peers()->set_city_id("nanjing");
  return city;
}

namespace {
std::string RecordOf(const pb::ProgramChange& c) {
  return c.has_program() ? c.program().SerializeAsString() : c.offering().SerializeAsString();
}
}  // namespace

std::map<std::string, std::string> FeedRecords(pb::CatalogService::Stub& origin) {
  std::map<std::string, std::string> out;
  std::string cursor;
  for (int page = 0; page < 10000; ++page) {
    pb::ListProgramChangesRequest req;
    req.set_parent("cities/suzhou");
    req.set_cursor(cursor);
    req.set_page_size(1000);
    pb::ListProgramChangesResponse resp;
    const grpc::Status s = origin.ListProgramChanges(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (const auto& c : resp.changes()) {
      if (c.deleted()) {
        out.erase(c.name());
      } else {
        out[c.name()] = RecordOf(c);
      }
    }
    cursor = resp.next_cursor();
    if (!resp.has_more()) break;
  }
  return out;
}

std::map<std::string, std::string> MirrorRecords(const RedisOptions& redis,
                                                 const std::string& peer) {
  RedisPool pool(redis);
  MirrorStore store(&pool, peer);
  std::map<std::string, std::string> out;
  auto state = store.ReadState();
  EXPECT_TRUE(state.ok()) << state.status();
  if (!state.ok() || state->generation == 0) return out;
  EXPECT_TRUE(store
                  .LoadGeneration(state->generation,
                                  [&](absl::string_view, absl::string_view bytes) {
                                    pb::ProgramChange c;
                                    c.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
                                    out[c.name()] = RecordOf(c);
                                  })
                  .ok());
  return out;
}

::testing::AssertionResult SameRecords(const std::map<std::string, std::string>& origin,
                                       const std::map<std::string, std::string>& mirror) {
  if (origin.size() != mirror.size()) {
    return ::testing::AssertionFailure()
           << "origin has " << origin.size() << " records, the mirror " << mirror.size();
  }
  for (const auto& [name, bytes] : origin) {
    auto it = mirror.find(name);
    if (it == mirror.end()) return ::testing::AssertionFailure() << name << " missing from mirror";
    const bool offering = name.find("/offerings/") != std::string::npos;
    bool same;
    if (offering) {
      pb::Offering a, b;
      a.ParseFromString(bytes);
      b.ParseFromString(it->second);
      same = google::protobuf::util::MessageDifferencer::Equals(a, b);
    } else {
      pb::Program a, b;
      a.ParseFromString(bytes);
      b.ParseFromString(it->second);
      same = google::protobuf::util::MessageDifferencer::Equals(a, b);
    }
    if (!same) return ::testing::AssertionFailure() << name << " differs from the origin's";
  }
  return ::testing::AssertionSuccess();
}

pb::SearchProgramsResponse NetworkSearch(pb::CatalogService::Stub& stub, const std::string& query,
                                         pb::SearchScope scope) {
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_query(query);
  req.set_scope(scope);
  req.set_page_size(500);
  pb::SearchProgramsResponse resp;
  const grpc::Status s = stub.SearchPrograms(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

pb::PeerStatus PeerStatusOf(pb::CatalogService::Stub& stub, const std::string& peer) {
  pb::ListPeerStatusesRequest req;
  req.set_parent("cities/nanjing");
  pb::ListPeerStatusesResponse resp;
  const grpc::Status s = stub.ListPeerStatuses(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const auto& p : resp.peers()) {
    if (p.city() == peer) return p;
  }
  return {};
}

void FederationTest::SetUp() {
  auto suzhou_redis = gnlc::testing::RedisServerProcess::Start("everysec", "suzhou");
  ASSERT_TRUE(suzhou_redis.ok()) << suzhou_redis.status();
  suzhou_redis_ = std::move(*suzhou_redis);
  auto nanjing_redis = gnlc::testing::RedisServerProcess::Start("everysec", "nanjing");
  ASSERT_TRUE(nanjing_redis.ok()) << nanjing_redis.status();
  nanjing_redis_ = std::move(*nanjing_redis);
  suzhou_ =
      CatalogReplica::Start(suzhou_redis_->address(), SuzhouConfig(), [] { return absl::Now(); });
  suzhou_admin_ =
      pb::CatalogService::NewStub(gnlc::testing::LocalChannel(suzhou_->server->port(), "suzhou"));
}

std::string FederationTest::SuzhouPeerAddress() const {
  return absl::StrCat("127.0.0.1:", suzhou_->server->peer_port());
}

void FederationTest::StartNanjing(const std::string& suzhou_address, int reconcile_seconds,
                                  int page_size) {
  nanjing_ = CatalogReplica::Start(
      nanjing_redis_->address(),
      NanjingMirroringSuzhou(suzhou_address, 100, reconcile_seconds, page_size),
      [] { return absl::Now(); });
}

}  // namespace gnlc::catalog::testing
