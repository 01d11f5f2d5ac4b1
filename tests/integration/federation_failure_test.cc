// Federation when things go wrong: a harvester killed (SIGKILL, the real
// binary) at random points of a 20,000-change harvest, with the origin's
// Redis restarted once, still ends with an exact copy; a peer black-holed or
// down never slows Nanjing's searches and is reported unreachable, then
// caught up again; a peer that sends another city's records, invalid ones or
// oversized pages has those skipped and counted, the rest mirrored.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/auth/authenticator.h"
#include "common/auth/dev_pki.h"
#include "common/auth/transport_credentials.h"
#include "google/protobuf/util/time_util.h"
#include "services/catalog/feed_cursor.h"
#include "tests/integration/federation_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/test_security.h"

extern char** environ;

namespace gnlc::catalog::testing {
namespace {

using gnlc::testing::PollUntil;
using gnlc::testing::TcpProxy;

// Runs fn(i) for i in [0, n) on 8 threads.
void Parallel(int n, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

pid_t SpawnCatalog(const std::string& config, const std::string& redis, const std::string& dir) {
  std::vector<std::string> args = {GNLC_CATALOG_BINARY, "--config=" + config, "--redis=" + redis,
                                   "--port_file=" + dir + "/nanjing.ports"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  setenv("GNLC_PAGE_TOKEN_SECRET", "federation-failure-test-secret", 1);
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

TEST_F(FederationTest, HarvestKilledAtRandomPointsEndsIdenticalToTheOrigin) {
  // Suzhou: 20,000 changes (creates, updates, cancellations, deletions).
  constexpr int kPrograms = 4200;
  std::vector<std::string> programs(kPrograms), offerings(2 * kPrograms);
  const absl::Time now = absl::Now();
  Parallel(kPrograms, [&](int i) {
    programs[i] = MustCreateProgram(
                      suzhou(), NewProgram(absl::StrCat("课程 ", i), absl::StrCat("Course ", i)),
                      "", "cities/suzhou")
                      .name();
    for (int k = 0; k < 2; ++k) {
      offerings[2 * i + k] =
          MustCreateOffering(suzhou(), programs[i],
                             NewOffering(now, absl::Hours(24 + i % 200), 31.3, 120.6, "gulou"))
              .name();
    }
  });
  Parallel(kPrograms, [&](int i) {
    pb::UpdateProgramRequest req;
    req.mutable_program()->set_name(programs[i]);
    req.mutable_program()->mutable_description()->set_en(absl::StrCat("Updated ", i));
    req.mutable_update_mask()->add_paths("description");
    pb::UpdateProgramResponse resp;
    EXPECT_TRUE(suzhou().UpdateProgram(Ctx().get(), req, &resp).ok());
  });
  Parallel(2000, [&](int i) {
    pb::CancelOfferingRequest req;
    req.set_name(offerings[2 * i + 1]);
    req.mutable_reason()->set_en("cancelled");
    pb::CancelOfferingResponse resp;
    EXPECT_TRUE(suzhou().CancelOffering(Ctx().get(), req, &resp).ok());
  });
  Parallel(500, [&](int i) {
    pb::DeleteProgramRequest req;
    req.set_name(programs[kPrograms - 1 - i]);
    pb::DeleteProgramResponse resp;
    EXPECT_TRUE(suzhou().DeleteProgram(Ctx().get(), req, &resp).ok());
  });
  pb::ListProgramChangesRequest head_req;
  head_req.set_parent("cities/suzhou");
  head_req.set_page_size(1);
  pb::ListProgramChangesResponse head;
  ASSERT_TRUE(suzhou().ListProgramChanges(Ctx().get(), head_req, &head).ok());
  ASSERT_GE(head.head_sequence(), 20000);

  // Nanjing's catalog as a real process, harvesting 5 changes a call, with
  // a short lease so that the next process takes over from a killed one
  // quickly.
  const std::string dir = nanjing_redis_->dir();
  CityConfig nanjing = NanjingMirroringSuzhou(SuzhouPeerAddress(), 100, 3600, 5);
  nanjing.mutable_federation()->set_harvest_lease_ms(300);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(nanjing, &json).ok());
  const std::string config = dir + "/nanjing-federated.json";
  std::ofstream(config) << json;
  RedisPool nanjing_admin(nanjing_redis_->AdminOptions());
  MirrorStore mirror(&nanjing_admin, "suzhou");
  std::mt19937 rng(20261130);
  for (int round = 0; round < 8; ++round) {
    const pid_t pid = SpawnCatalog(config, nanjing_redis_->address(), dir);
    // Killed at a random moment, between or inside pages. (This sleep is
    // when the fault strikes, not a wait for readiness.)
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 450));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    if (auto s = mirror.ReadState(); s.ok()) {
      auto cursor = DecodeFeedCursor(s->building != 0 ? s->build_cursor : s->cursor);
      std::cout << "killed at feed sequence " << (cursor.ok() ? cursor->sequence : -1) << "\n";
    }
    if (round == 3) {  // and the origin restarted once, mid-harvest
      suzhou_redis_->Kill(SIGTERM);
      ASSERT_TRUE(suzhou_redis_->Restart().ok());
    }
  }
  auto state = mirror.ReadState();
  ASSERT_TRUE(state.ok());
  std::cout << "after the kills: generation " << state->generation << ", building "
            << state->building << "\n";
  const pid_t pid = SpawnCatalog(config, nanjing_redis_->address(), dir);
  const auto origin = FeedRecords(suzhou());
  ASSERT_GT(origin.size(), 10000u);
  const bool same = PollUntil(
      [&] {
        auto s = mirror.ReadState();
        return s.ok() && s->generation > 0 && s->building == 0 &&
               MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou").size() == origin.size();
      },
      absl::Seconds(60));
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(same);
  EXPECT_TRUE(SameRecords(origin, MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou")));
}

TEST_F(FederationTest, ABlackHoledOrDownPeerNeverSlowsSearchesAndComesBack) {
  TcpProxy proxy(suzhou_->server->peer_port());
  StartNanjing(absl::StrCat("127.0.0.1:", proxy.port()));
  for (int i = 0; i < 5; ++i) {
    MustCreateProgram(suzhou(), NewProgram(absl::StrCat("园林 ", i), absl::StrCat("Garden ", i)),
                      "", "cities/suzhou");
  }
  MustCreateProgram(nanjing(), NewProgram("园林 南京", "Garden Nanjing"));
  ASSERT_TRUE(PollUntil([&] { return NetworkSearch(nanjing(), "garden").total_size() == 6; },
                        absl::Seconds(2)));

  int suzhou_programs = 5;
  auto searches_answer = [&] {
    // A resident's app gives a search one second: it gets its answer, from
    // the mirror as it was.
    for (pb::SearchScope scope : {pb::SEARCH_SCOPE_CITY, pb::SEARCH_SCOPE_NETWORK}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      pb::SearchProgramsRequest req;
      req.set_parent("cities/nanjing");
      req.set_query("garden");
      req.set_scope(scope);
      pb::SearchProgramsResponse resp;
      const grpc::Status s = nanjing().SearchPrograms(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (scope == pb::SEARCH_SCOPE_CITY) {
        EXPECT_EQ(resp.total_size(), 1);
      } else {
        EXPECT_EQ(resp.total_size(), 1 + suzhou_programs);
      }
    }
  };
  for (TcpProxy::Mode failure : {TcpProxy::kBlackHole, TcpProxy::kDown}) {
    SCOPED_TRACE(failure == TcpProxy::kBlackHole ? "black-holed" : "down");
    proxy.SetMode(failure);
    MustCreateProgram(suzhou(), NewProgram("园林 新", absl::StrCat("Garden new ", failure)), "",
                      "cities/suzhou");
    ASSERT_TRUE(PollUntil(
        [&] {
          searches_answer();
          return PeerStatusOf(nanjing(), "suzhou").state() == pb::PEER_STATE_UNREACHABLE;
        },
        absl::Seconds(10)));
    const pb::PeerStatus down = PeerStatusOf(nanjing(), "suzhou");
    EXPECT_FALSE(down.last_error_code().empty());
    EXPECT_TRUE(down.has_last_error_time());
    searches_answer();
    proxy.SetMode(TcpProxy::kForward);
    ++suzhou_programs;
    ASSERT_TRUE(PollUntil(
        [&] {
          return PeerStatusOf(nanjing(), "suzhou").state() == pb::PEER_STATE_CAUGHT_UP &&
                 NetworkSearch(nanjing(), "garden").total_size() == 1 + suzhou_programs;
        },
        absl::Seconds(20)));
  }
}

// A peer that publishes what it must not: answers ListProgramChanges with
// crafted pages over real mutual TLS, with Suzhou's certificate: another
// city's records, invalid and oversized ones, a page too large to receive,
// and at the end a page that claims more but never moves on.
class MisbehavingPeer final : public pb::CatalogService::CallbackService {
 public:
  MisbehavingPeer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", auth::PeerServerCredentials(SuzhouConfig()), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~MisbehavingPeer() override { server_->Shutdown(); }
  int port() const { return port_; }
  std::atomic<int> oversized_pages{0};
  std::atomic<int> loop_calls{0};
  std::atomic<int> caught_up_calls{0};
  absl::Time first_loop;
  static std::string Cursor(int64_t n) { return EncodeFeedCursor({"efake", n}); }

  grpc::ServerUnaryReactor* ListProgramChanges(grpc::CallbackServerContext* ctx,
                                               const pb::ListProgramChangesRequest* req,
                                               pb::ListProgramChangesResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    const absl::Time now = absl::Now();
    if (req->page_size() > 50) {  // more than our pages can carry: 5 MB
      ++oversized_pages;
      for (int i = 0; i < 100; ++i) {
        AddProgram(*resp, absl::StrCat("big", i), now)
            ->mutable_description()
            ->set_en(std::string(50000, 'x'));
      }
      resp->set_next_cursor(Cursor(9));
      resp->set_has_more(true);
    } else if (req->cursor().empty()) {
      AddProgram(*resp, "pgood00000001", now);
      AddProgram(*resp, "pthird0000001", now, "wuhan");        // another city's
      AddProgram(*resp, "pinvalid00001", now)->clear_title();  // fails validation
      pb::ProgramChange* o = resp->add_changes();
      o->set_sequence(++sequence_);
      o->set_name("cities/suzhou/programs/pgood00000001/offerings/ogood00000001");
      *o->mutable_offering() = NewOffering(now, absl::Hours(24), 31.3, 120.6, "tiger-hill");
      o->mutable_offering()->set_name(o->name());
      o->mutable_offering()->set_etag("1");
      o->mutable_offering()->set_state(pb::OFFERING_STATE_SCHEDULED);
      resp->set_next_cursor(Cursor(1));
      resp->set_has_more(true);
    } else if (req->cursor() == Cursor(1)) {
      AddProgram(*resp, "pgood00000002", now);
      AddProgram(*resp, "pwrongorigin1", now)->set_origin_city("wuhan");  // not its own
      AddProgram(*resp, "poversized001", now)->mutable_topics()->Add(std::string(70000, 'y'));
      resp->set_next_cursor(Cursor(2));
    } else if (caught_up_calls++ < 3) {
      resp->set_next_cursor(req->cursor());  // nothing new
    } else {
      // Then "more", but the same cursor: a harvester that believed it
      // would ask again at once, for ever.
      if (loop_calls++ == 0) first_loop = absl::Now();
      resp->set_next_cursor(req->cursor());
      resp->set_has_more(true);
    }
    resp->set_head_sequence(sequence_);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  pb::Program* AddProgram(pb::ListProgramChangesResponse& resp, const std::string& id,
                          absl::Time now, const std::string& city = "suzhou") {
    pb::ProgramChange* c = resp.add_changes();
    c->set_sequence(++sequence_);
    c->set_name(absl::StrCat("cities/", city, "/programs/", id));
    pb::Program* p = c->mutable_program();
    *p = NewProgram("拙政园", absl::StrCat("Humble Administrator's Garden ", id));
    p->set_name(c->name());
    p->set_etag("1");
    p->set_origin_city(city);
    *p->mutable_update_time() =
        google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
    return p;
  }

  std::atomic<int64_t> sequence_{0};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(FederationTest, ForeignInvalidAndOversizedRecordsAreSkippedAndCounted) {
  MisbehavingPeer peer;
  StartNanjing(absl::StrCat("127.0.0.1:", peer.port()));
  ASSERT_TRUE(PollUntil([&] { return NetworkSearch(nanjing(), "humble").total_size() == 2; },
                        absl::Seconds(10)));
  const auto results = NetworkSearch(nanjing(), "humble");
  std::set<std::string> names;
  for (const auto& r : results.results()) names.insert(r.program().name());
  EXPECT_EQ(names, (std::set<std::string>{"cities/suzhou/programs/pgood00000001",
                                          "cities/suzhou/programs/pgood00000002"}));
  EXPECT_GT(peer.oversized_pages.load(), 0);
  pb::GetOfferingRequest get;
  get.set_name("cities/suzhou/programs/pgood00000001/offerings/ogood00000001");
  pb::GetOfferingResponse got;
  EXPECT_TRUE(nanjing().GetOffering(Ctx().get(), get, &got).ok());
  // The endless page is refused as a bad cursor, and asked again only
  // after backing off: three calls take at least 0.5 s, not microseconds.
  ASSERT_TRUE(PollUntil([&] { return peer.loop_calls.load() >= 3; }, absl::Seconds(10)));
  EXPECT_GE(absl::Now() - peer.first_loop, absl::Milliseconds(500));
  const pb::PeerStatus status = PeerStatusOf(nanjing(), "suzhou");
  EXPECT_EQ(status.state(), pb::PEER_STATE_UNREACHABLE);
  EXPECT_EQ(status.last_error_code(), "DATA_LOSS");
  // Another city's, an invalid, a wrong origin, an oversized record.
  EXPECT_EQ(status.records_skipped(), 4);
  EXPECT_EQ(MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou").size(), 3u);
}

// A city calls the peer it meant to call: a third city's certificate (signed
// by the same network CA, so its chain verifies) answering on Suzhou's
// address serves nothing to Nanjing's mirror, and Nanjing says why.
TEST_F(FederationTest, AnotherCityAnsweringOnThePeersAddressIsNotHarvested) {
  MustCreateProgram(suzhou(), NewProgram("园林", "Gardens"), "", "cities/suzhou");
  const auto hangzhou = auth::IssueCertificate(gnlc::testing::TestNetworkCa(),
                                               {.common_name = "hangzhou",
                                                .dns = {"localhost"},
                                                .ips = {"127.0.0.1"},
                                                .uris = {auth::SpiffeIdOfCity("hangzhou")}});
  ASSERT_TRUE(hangzhou.ok()) << hangzhou.status();
  const std::string dir = suzhou_redis_->dir();
  ASSERT_TRUE(auth::WriteFileAtomically(dir + "/hangzhou.crt", hangzhou->cert_pem).ok());
  ASSERT_TRUE(auth::WriteFileAtomically(dir + "/hangzhou.key", hangzhou->key_pem, true).ok());
  // Suzhou's data and config, Hangzhou's certificate on the peer port.
  CityConfig impostor_config = SuzhouConfig();
  impostor_config.mutable_federation()->set_city_cert_file(dir + "/hangzhou.crt");
  impostor_config.mutable_federation()->set_city_key_file(dir + "/hangzhou.key");
  auto impostor =
      CatalogReplica::Start(suzhou_redis_->address(), impostor_config, [] { return absl::Now(); });
  ASSERT_NE(impostor, nullptr);
  StartNanjing(absl::StrCat("127.0.0.1:", impostor->server->peer_port()));

  pb::PeerStatus status;
  ASSERT_TRUE(PollUntil(
      [&] {
        status = PeerStatusOf(nanjing(), "suzhou");
        return status.last_error_message().find("hangzhou") != std::string::npos;
      },
      absl::Seconds(30)))
      << status.DebugString();
  EXPECT_EQ(status.last_error_code(), "PERMISSION_DENIED");
  EXPECT_NE(status.last_error_message().find(auth::SpiffeIdOfCity("suzhou")), std::string::npos);
  EXPECT_TRUE(MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou").empty());
  EXPECT_EQ(NetworkSearch(nanjing(), "Gardens").results_size(), 0);
}

// A peer cannot fill our Redis: past its quota the mirror stops growing,
// keeps what it has, still applies deletions, and says so.
TEST_F(FederationTest, APeerPastItsQuotaStopsGrowingAndSaysSo) {
  std::vector<pb::Program> programs;
  for (int i = 0; i < 5; ++i) {
    programs.push_back(MustCreateProgram(suzhou(), NewProgram("课程", absl::StrCat("Course ", i)),
                                         "", "cities/suzhou"));
  }
  CityConfig config = NanjingMirroringSuzhou(SuzhouPeerAddress());
  config.mutable_peers(0)->set_max_records(3);
  nanjing_ = CatalogReplica::Start(nanjing_redis_->address(), config, [] { return absl::Now(); });
  ASSERT_NE(nanjing_, nullptr);
  pb::PeerStatus status;
  ASSERT_TRUE(PollUntil(
      [&] {
        status = PeerStatusOf(nanjing(), "suzhou");
        return status.state() == pb::PEER_STATE_CAUGHT_UP;
      },
      absl::Seconds(30)))
      << status.DebugString();
  EXPECT_TRUE(status.over_quota()) << status.DebugString();
  EXPECT_EQ(status.records_over_quota(), 2);
  EXPECT_EQ(MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou").size(), 3u);
  // A deletion at the origin frees a place; the mirror follows it.
  pb::DeleteProgramRequest del;
  del.set_name(programs[0].name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(suzhou().DeleteProgram(Ctx().get(), del, &deleted).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto mirror = MirrorRecords(nanjing_redis_->AdminOptions(), "suzhou");
        return mirror.size() == 2u && !mirror.contains(programs[0].name());
      },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace gnlc::catalog::testing
