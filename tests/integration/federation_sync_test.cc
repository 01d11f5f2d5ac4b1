// Federation between two real cities: Suzhou's programs reach Nanjing's
// network-wide search through the harvested mirror (created, updated,
// cancelled, deleted, each within 2 s), read as mirrored records, refused as
// writes; a reset feed is resynced into a new generation served only when
// complete; reconciliation repairs what the feed missed.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_pool.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/time_util.h"
#include "services/catalog/feed_digest.h"
#include "tests/integration/federation_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/http_get.h"
#include "tests/support/tcp_proxy.h"

namespace gnlc::catalog::testing {
namespace {

using gnlc::testing::PollUntil;

constexpr absl::Duration kWithin = absl::Seconds(2);

bool HasTitle(const pb::SearchProgramsResponse& resp, const std::string& en) {
  for (const auto& r : resp.results()) {
    if (r.program().title().en() == en) return true;
  }
  return false;
}

TEST_F(FederationTest, SuzhouChangesReachNanjingsNetworkSearchWithinTwoSeconds) {
  StartNanjing(SuzhouPeerAddress());
  pb::Program created =
      MustCreateProgram(suzhou(), NewProgram("苏绣入门", "Suzhou embroidery"), "", "cities/suzhou");
  ASSERT_TRUE(absl::StartsWith(created.name(), "cities/suzhou/programs/"));
  // Created: found by its exact title in Nanjing's network search...
  ASSERT_TRUE(PollUntil(
      [&] { return HasTitle(NetworkSearch(nanjing(), "Suzhou embroidery"), "Suzhou embroidery"); },
      kWithin));
  const auto found = NetworkSearch(nanjing(), "Suzhou embroidery");
  ASSERT_EQ(found.results_size(), 1);
  EXPECT_EQ(found.results(0).program().origin_city(), "suzhou");
  EXPECT_TRUE(found.results(0).program().has_mirrored_as_of());
  EXPECT_GT(found.results(0).relevance(), 0);
  ASSERT_EQ(found.origin_facets_size(), 1);
  EXPECT_EQ(found.origin_facets(0).value(), "suzhou");
  // ...but not in a city-only search (the default scope).
  EXPECT_EQ(NetworkSearch(nanjing(), "Suzhou embroidery", pb::SEARCH_SCOPE_CITY).results_size(), 0);

  // An offering, with the seats the origin reports: FULL arrives as FULL.
  const absl::Time now = absl::Now();
  pb::Offering offering = MustCreateOffering(
      suzhou(), created.name(), NewOffering(now, absl::Hours(48), 31.30, 120.62, "gulou", 2));
  ASSERT_TRUE(PollUntil(
      [&] {
        pb::GetOfferingRequest req;
        req.set_name(offering.name());
        pb::GetOfferingResponse resp;
        return nanjing().GetOffering(Ctx().get(), req, &resp).ok();
      },
      kWithin));
  {
    RedisPool suzhou_pool(suzhou_redis_->AdminOptions());
    CatalogStore store(&suzhou_pool);
    // What the enrollment service's seat reports do at the origin.
    ASSERT_TRUE(store.ApplySeats({{std::string(LastSegment(offering.name())), 1, 2}}).ok());
  }
  ASSERT_TRUE(PollUntil(
      [&] {
        pb::GetOfferingRequest req;
        req.set_name(offering.name());
        pb::GetOfferingResponse resp;
        return nanjing().GetOffering(Ctx().get(), req, &resp).ok() &&
               resp.offering().seats_taken() == 2 &&
               resp.offering().availability() == pb::AVAILABILITY_FULL &&
               resp.offering().origin_city() == "suzhou" && resp.offering().has_mirrored_as_of();
      },
      kWithin));

  // Reads of Suzhou's names from the mirror.
  pb::GetProgramRequest get;
  get.set_name(created.name());
  pb::GetProgramResponse got;
  ASSERT_TRUE(nanjing().GetProgram(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.program().origin_city(), "suzhou");
  EXPECT_TRUE(got.program().has_mirrored_as_of());
  EXPECT_EQ(got.program().availability(), pb::AVAILABILITY_FULL);
  pb::ListOfferingsRequest list;
  list.set_parent(created.name());
  pb::ListOfferingsResponse listed;
  ASSERT_TRUE(nanjing().ListOfferings(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.offerings_size(), 1);
  EXPECT_EQ(listed.offerings(0).name(), offering.name());

  // Writes to them through Nanjing are refused, naming the owner.
  pb::UpdateProgramRequest update;
  *update.mutable_program() = got.program();
  update.mutable_program()->mutable_title()->set_en("Hijacked");
  update.mutable_update_mask()->add_paths("title");
  pb::UpdateProgramResponse updated;
  grpc::Status refused = nanjing().UpdateProgram(Ctx().get(), update, &updated);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(refused)), "OWNED_BY_PEER");
  EXPECT_EQ(ErrorMetadataOf(FromGrpcStatus(refused)).at("owner"), "suzhou");
  pb::CancelOfferingRequest cancel_there;
  cancel_there.set_name(offering.name());
  cancel_there.mutable_reason()->set_en("no");
  pb::CancelOfferingResponse cancelled_there;
  EXPECT_EQ(nanjing().CancelOffering(Ctx().get(), cancel_there, &cancelled_there).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Updated at the origin: the new title is found, the old one is not.
  update.mutable_program()->mutable_title()->set_en("Suzhou double-sided embroidery");
  update.mutable_program()->clear_mirrored_as_of();
  update.mutable_program()->clear_origin_city();
  ASSERT_TRUE(suzhou().UpdateProgram(Ctx().get(), update, &updated).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        return HasTitle(NetworkSearch(nanjing(), "double-sided"), "Suzhou double-sided embroidery");
      },
      kWithin));
  EXPECT_FALSE(HasTitle(NetworkSearch(nanjing(), "embroidery"), "Suzhou embroidery"));

  // Cancelled at the origin: shown as cancelled.
  pb::CancelOfferingRequest cancel;
  cancel.set_name(offering.name());
  cancel.mutable_reason()->set_en("teacher ill");
  pb::CancelOfferingResponse cancelled;
  ASSERT_TRUE(suzhou().CancelOffering(Ctx().get(), cancel, &cancelled).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto r = NetworkSearch(nanjing(), "double-sided");
        return r.results_size() == 1 &&
               r.results(0).program().availability() == pb::AVAILABILITY_CANCELLED;
      },
      kWithin));

  // Deleted at the origin: gone from the network search and from Get.
  pb::DeleteProgramRequest del;
  del.set_name(created.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(suzhou().DeleteProgram(Ctx().get(), del, &deleted).ok());
  ASSERT_TRUE(PollUntil(
      [&] { return NetworkSearch(nanjing(), "double-sided").results_size() == 0; }, kWithin));
  EXPECT_EQ(nanjing().GetProgram(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  const pb::PeerStatus status = PeerStatusOf(nanjing(), "suzhou");
  EXPECT_EQ(status.state(), pb::PEER_STATE_CAUGHT_UP) << status.DebugString();
  EXPECT_EQ(status.lag_changes(), 0);
  EXPECT_EQ(status.generation(), 1);
  EXPECT_TRUE(status.has_last_success_time());
  EXPECT_FALSE(status.harvester().empty());
  EXPECT_TRUE(
      SameRecords(FeedRecords(suzhou()), MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou")));
  // The same on /metrics (the program is deleted by now).
  auto metrics = gnlc::testing::HttpGet(nanjing_->server->admin_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  for (const char* line :
       {"gnlc_catalog_peer_state{peer=\"suzhou\",state=\"PEER_STATE_CAUGHT_UP\"} 1",
        "gnlc_catalog_peer_generation{peer=\"suzhou\"} 1",
        "gnlc_catalog_peer_lag_changes{peer=\"suzhou\"} 0",
        "gnlc_catalog_peer_records{kind=\"program\",peer=\"suzhou\"} 0"}) {
    EXPECT_NE(metrics->body.find(line), std::string::npos) << line << "\n" << metrics->body;
  }
}

// gnlc_catalog_mirror_search_cache_total for Suzhou's mirror and `result`.
double MirrorPageCacheCount(int admin_port, const std::string& result) {
  auto metrics = gnlc::testing::HttpGet(admin_port, "/metrics");
  if (!metrics.ok()) return -1;
  const std::string line =
      "gnlc_catalog_mirror_search_cache_total{peer=\"suzhou\",result=\"" + result + "\"} ";
  const size_t at = metrics->body.find(line);
  return at == std::string::npos ? -1 : std::stod(metrics->body.substr(at + line.size()));
}

TEST_F(FederationTest, ANetworkSearchReusesTheMirrorsPartUntilThePeerChanges) {
  StartNanjing(SuzhouPeerAddress());
  const absl::Time now = absl::Now();
  pb::Program theirs =
      MustCreateProgram(suzhou(), NewProgram("陶艺 拉坯", "Pottery wheel"), "", "cities/suzhou");
  pb::Program ours = MustCreateProgram(nanjing(), NewProgram("陶艺 上釉", "Pottery glaze"));
  MustCreateOffering(nanjing(), ours.name(),
                     NewOffering(now, absl::Hours(48), 32.0, 118.8, "gulou"));
  ASSERT_TRUE(
      PollUntil([&] { return NetworkSearch(nanjing(), "pottery").total_size() == 2; }, kWithin));
  const int admin = nanjing_->server->admin_port();
  const double hits = MirrorPageCacheCount(admin, "hit");
  ASSERT_GE(hits, 0);

  // A change in Nanjing that leaves the term counts as they were (another
  // offering): the whole-response cache is void, Suzhou's part is not.
  MustCreateOffering(nanjing(), ours.name(),
                     NewOffering(now, absl::Hours(96), 32.0, 118.8, "gulou"));
  const pb::SearchProgramsResponse again = NetworkSearch(nanjing(), "pottery");
  EXPECT_EQ(again.total_size(), 2);
  EXPECT_TRUE(HasTitle(again, "Pottery wheel"));
  EXPECT_EQ(MirrorPageCacheCount(admin, "hit"), hits + 1);

  // A change at Suzhou: searched again, and seen.
  pb::UpdateProgramRequest update;
  *update.mutable_program() = theirs;
  update.mutable_program()->mutable_title()->set_en("Pottery wheel, evenings");
  update.mutable_update_mask()->add_paths("title");
  pb::UpdateProgramResponse updated;
  ASSERT_TRUE(suzhou().UpdateProgram(Ctx().get(), update, &updated).ok());
  ASSERT_TRUE(PollUntil(
      [&] { return HasTitle(NetworkSearch(nanjing(), "pottery"), "Pottery wheel, evenings"); },
      kWithin));
  EXPECT_FALSE(HasTitle(NetworkSearch(nanjing(), "pottery"), "Pottery wheel"));
}

TEST_F(FederationTest, NetworkSearchRanksBothCitiesInOneListWithOriginFilters) {
  StartNanjing(SuzhouPeerAddress());
  // A resident in Nanjing: a Suzhou venue 1.5 km away, a Nanjing one 22 km
  // away. Ordered by distance across origins, paged one at a time.
  const absl::Time now = absl::Now();
  pb::Program near =
      MustCreateProgram(suzhou(), NewProgram("书法 近", "Calligraphy near"), "", "cities/suzhou");
  MustCreateOffering(suzhou(), near.name(),
                     NewOffering(now, absl::Hours(24), 32.01, 118.81, "gulou"));
  pb::Program far = MustCreateProgram(nanjing(), NewProgram("书法 远", "Calligraphy far"));
  MustCreateOffering(nanjing(), far.name(),
                     NewOffering(now, absl::Hours(24), 32.20, 118.80, "gulou"));
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_query("calligraphy");
  req.set_scope(pb::SEARCH_SCOPE_NETWORK);
  req.mutable_near()->mutable_center()->set_latitude(32.0);
  req.mutable_near()->mutable_center()->set_longitude(118.8);
  req.mutable_near()->set_radius_meters(50000);
  req.set_order_by(pb::SEARCH_ORDER_DISTANCE);
  req.set_page_size(1);
  ASSERT_TRUE(PollUntil([&] { return MustSearch(nanjing(), req).total_size() == 2; }, kWithin));
  pb::SearchProgramsResponse first = MustSearch(nanjing(), req);
  ASSERT_EQ(first.results_size(), 1);
  EXPECT_EQ(first.results(0).program().name(), near.name());
  EXPECT_NEAR(first.results(0).distance_meters(), 1450, 150);
  ASSERT_FALSE(first.next_page_token().empty());
  std::set<std::string> origins;
  for (const auto& f : first.origin_facets())
    origins.insert(f.value() + "=" + std::to_string(f.count()));
  EXPECT_EQ(origins, (std::set<std::string>{"nanjing=1", "suzhou=1"}));
  req.set_page_token(first.next_page_token());
  pb::SearchProgramsResponse second = MustSearch(nanjing(), req);
  ASSERT_EQ(second.results_size(), 1);
  EXPECT_EQ(second.results(0).program().name(), far.name());
  EXPECT_FALSE(second.results(0).program().has_mirrored_as_of());
  EXPECT_TRUE(second.next_page_token().empty());

  // Same text weight in both cities: the same relevance, whatever the index.
  pb::SearchProgramsRequest text;
  text.set_parent("cities/nanjing");
  text.set_query("calligraphy");
  text.set_scope(pb::SEARCH_SCOPE_NETWORK);
  pb::SearchProgramsResponse by_text = MustSearch(nanjing(), text);
  ASSERT_EQ(by_text.results_size(), 2);
  EXPECT_DOUBLE_EQ(by_text.results(0).relevance(), by_text.results(1).relevance());

  // Filters by origin: only ours, only theirs, and a city we do not mirror.
  text.add_origin_cities("nanjing");
  pb::SearchProgramsResponse ours = MustSearch(nanjing(), text);
  ASSERT_EQ(ours.results_size(), 1);
  EXPECT_EQ(ours.results(0).program().name(), far.name());
  text.set_origin_cities(0, "suzhou");
  text.set_scope(pb::SEARCH_SCOPE_UNSPECIFIED);  // naming a peer is enough
  pb::SearchProgramsResponse theirs = MustSearch(nanjing(), text);
  ASSERT_EQ(theirs.results_size(), 1);
  EXPECT_EQ(theirs.results(0).program().name(), near.name());
  text.set_origin_cities(0, "wuhan");
  pb::SearchProgramsResponse none;
  const grpc::Status bad = nanjing().SearchPrograms(Ctx().get(), text, &none);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorMetadataOf(FromGrpcStatus(bad)).at("field"), "origin_cities");
}

TEST_F(FederationTest, EveryReplicaIndexesTheMirrorAndAnotherTakesTheHarvestOver) {
  StartNanjing(SuzhouPeerAddress());
  auto second =
      CatalogReplica::Start(nanjing_redis_->address(), NanjingMirroringSuzhou(SuzhouPeerAddress()),
                            [] { return absl::Now(); });
  MustCreateProgram(suzhou(), NewProgram("评弹", "Pingtan storytelling"), "", "cities/suzhou");
  for (CatalogReplica* r : {nanjing_.get(), second.get()}) {
    ASSERT_TRUE(
        PollUntil([&] { return NetworkSearch(*r->stub, "pingtan").total_size() == 1; }, kWithin));
  }
  // One of them harvests; stop that one, and the other carries on.
  const std::string holder = PeerStatusOf(nanjing(), "suzhou").harvester();
  ASSERT_TRUE(holder == nanjing_->service->harvester_name() ||
              holder == second->service->harvester_name())
      << holder;
  std::unique_ptr<CatalogReplica>& stopped =
      holder == nanjing_->service->harvester_name() ? nanjing_ : second;
  CatalogReplica& survivor = stopped == nanjing_ ? *second : *nanjing_;
  stopped.reset();
  MustCreateProgram(suzhou(), NewProgram("昆曲", "Kunqu opera"), "", "cities/suzhou");
  // Within the lease (1 s here) and a poll.
  ASSERT_TRUE(PollUntil([&] { return NetworkSearch(*survivor.stub, "kunqu").total_size() == 1; },
                        absl::Seconds(4)));
  EXPECT_EQ(PeerStatusOf(*survivor.stub, "suzhou").harvester(), survivor.service->harvester_name());
}

TEST_F(FederationTest, AResetFeedIsResyncedAndTheOldGenerationServedUntilTheSwap) {
  for (int i = 0; i < 30; ++i) {
    MustCreateProgram(suzhou(), NewProgram(absl::StrCat("旧课 ", i), absl::StrCat("Old ", i)), "",
                      "cities/suzhou");
  }
  StartNanjing(SuzhouPeerAddress());
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.add_origin_cities("suzhou");
  req.set_page_size(500);
  // The first sync, a readiness wait: generous for a loaded CI machine (a
  // fresh-clone run and a sanitizer run once took longer than 5 s here).
  ASSERT_TRUE(
      PollUntil([&] { return MustSearch(nanjing(), req).total_size() == 30; }, absl::Seconds(60)));

  // Suzhou's Redis is lost and rebuilt with other data (a restore, a new
  // cluster): its feed starts again under a new epoch.
  suzhou_.reset();
  {
    RedisPool admin(suzhou_redis_->AdminOptions());
    ASSERT_TRUE(admin.Command({"FLUSHALL"}).ok());
  }
  suzhou_ =
      CatalogReplica::Start(suzhou_redis_->address(), SuzhouConfig(), [] { return absl::Now(); });
  suzhou_admin_ =
      pb::CatalogService::NewStub(gnlc::testing::LocalChannel(suzhou_->server->port(), "suzhou"));
  // The peer port moved with the restart: Nanjing's harvester is pointed at
  // the new one (through a proxy, down at first), as an operator would after
  // moving a peer.
  gnlc::testing::TcpProxy proxy(suzhou_->server->peer_port());
  proxy.SetMode(gnlc::testing::TcpProxy::kDown);
  for (int i = 0; i < 200; ++i) {
    MustCreateProgram(suzhou(), NewProgram(absl::StrCat("新课 ", i), absl::StrCat("New ", i)), "",
                      "cities/suzhou");
  }
  nanjing_.reset();  // the mirror in Redis stays: a restarted replica serves it
  StartNanjing(absl::StrCat("127.0.0.1:", proxy.port()), 3600, /*page_size=*/2);
  EXPECT_EQ(MustSearch(nanjing(), req).total_size(), 30);  // ready means mirrors loaded
  proxy.SetMode(gnlc::testing::TcpProxy::kForward);

  // Every answer is the old generation whole or the new one: never a mix,
  // never empty.
  int old_seen = 0, new_seen = 0;
  ASSERT_TRUE(PollUntil(
      [&] {
        const auto resp = MustSearch(nanjing(), req);
        int olds = 0, news = 0;
        for (const auto& r : resp.results()) {
          (absl::StartsWith(r.program().title().en(), "Old") ? olds : news)++;
        }
        EXPECT_TRUE(olds == 0 || news == 0) << olds << " old and " << news << " new";
        EXPECT_GT(olds + news, 0);
        if (olds > 0) ++old_seen;
        if (news > 0) ++new_seen;
        return news == 200;
      },
      absl::Seconds(20)));
  EXPECT_GT(old_seen, 0);  // served until the swap
  EXPECT_EQ(PeerStatusOf(nanjing(), "suzhou").generation(), 2);
  EXPECT_TRUE(
      SameRecords(FeedRecords(suzhou()), MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou")));
}

TEST_F(FederationTest, ReconciliationRepairsADeletedAndAnExtraMirrorRecord) {
  std::vector<pb::Program> programs;
  for (int i = 0; i < 20; ++i) {
    programs.push_back(
        MustCreateProgram(suzhou(), NewProgram(absl::StrCat("课 ", i), absl::StrCat("Course ", i)),
                          "", "cities/suzhou"));
  }
  StartNanjing(SuzhouPeerAddress(), /*reconcile_seconds=*/2);
  ASSERT_TRUE(PollUntil(
      [&] {
        return SameRecords(FeedRecords(suzhou()),
                           MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou"));
      },
      absl::Seconds(60)));  // the first sync: a readiness wait
  // Behind the harvester's back: one record gone, one that Suzhou never had.
  RedisPool admin(nanjing_redis_->AdminOptions());
  MirrorStore store(&admin, "suzhou");
  auto state = store.ReadState();
  ASSERT_TRUE(state.ok());
  const std::string records = absl::StrCat("cat:{m:suzhou}:g", state->generation, ":records");
  const std::string seqs = absl::StrCat("cat:{m:suzhou}:g", state->generation, ":seqs");
  const std::string lost = absl::StrCat("p:", LastSegment(programs[3].name()));
  ASSERT_TRUE(admin.Command({"HDEL", records, lost}).ok());
  pb::ProgramChange ghost;
  ghost.set_sequence(1);
  ghost.set_name("cities/suzhou/programs/pghost0000000");
  *ghost.mutable_program() = programs[0];
  ghost.mutable_program()->set_name(ghost.name());
  ASSERT_TRUE(admin.Command({"HSET", records, "p:pghost0000000", ghost.SerializeAsString()}).ok());
  ASSERT_TRUE(admin.Command({"HSET", seqs, "p:pghost0000000", "1"}).ok());
  EXPECT_FALSE(
      SameRecords(FeedRecords(suzhou()), MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou")));
  // One cycle is 2 s; allow two for the one that was running.
  ASSERT_TRUE(PollUntil(
      [&] {
        return SameRecords(FeedRecords(suzhou()),
                           MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou"));
      },
      absl::Seconds(6)));
}

TEST_F(FederationTest, DigestBucketsAgreeWithTheFeedAndPageTheirRecords) {
  for (int i = 0; i < 40; ++i) {
    MustCreateProgram(suzhou(), NewProgram(absl::StrCat("课 ", i), absl::StrCat("Course ", i)), "",
                      "cities/suzhou");
  }
  pb::GetFeedDigestRequest req;
  req.set_parent("cities/suzhou");
  req.set_bucket_count(8);
  pb::GetFeedDigestResponse digest;
  ASSERT_TRUE(suzhou().GetFeedDigest(Ctx().get(), req, &digest).ok());
  ASSERT_EQ(digest.buckets_size(), 8);
  int total = 0;
  for (const auto& b : digest.buckets()) total += b.count();
  EXPECT_EQ(total, 40);
  // Each bucket's records hash to the bucket's digest.
  for (int b = 0; b < 8; ++b) {
    req.set_records(true);
    req.set_bucket(b);
    req.clear_page_token();
    FeedDigest mine(8);
    do {
      pb::GetFeedDigestResponse page;
      ASSERT_TRUE(suzhou().GetFeedDigest(Ctx().get(), req, &page).ok());
      for (const auto& c : page.changes()) {
        mine.Add(absl::StrCat("p:", LastSegment(c.name())), c.sequence());
      }
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    EXPECT_EQ(mine.counts()[b], digest.buckets(b).count()) << b;
    EXPECT_EQ(mine.hashes()[b], digest.buckets(b).hash()) << b;
  }
  req.set_bucket_count(5000);
  EXPECT_EQ(suzhou().GetFeedDigest(Ctx().get(), req, &digest).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace gnlc::catalog::testing
