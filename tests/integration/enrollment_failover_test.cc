// A city's Redis primary killed with SIGKILL while residents enroll, with a
// replica and a Sentinel to fail over to, everything through the services'
// gRPC APIs: nothing acknowledged is lost, nothing is overbooked, callers see
// only UNAVAILABLE meanwhile, and the readers (catalog index, analytics)
// agree with the new primary, even when writes that were never acknowledged
// are lost with the old one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "tests/integration/failover_harness.h"

namespace gnlc::analytics::testing {
namespace {

using enrollment::testing::CodeAndReason;
using gnlc::testing::PollUntil;
namespace cpb = gnlc::catalog::v1;
namespace tpb = gnlc::type::v1;

using EnrollmentFailoverTest = FailoverTest;

std::vector<epb::Enrollment> EnrollmentsOf(epb::EnrollmentService::Stub& stub,
                                           const std::string& learner) {
  epb::ListEnrollmentsRequest req;
  req.set_learner(learner);
  req.set_page_size(100);
  epb::ListEnrollmentsResponse resp;
  const grpc::Status s = stub.ListEnrollments(catalog::testing::Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.enrollments().begin(), resp.enrollments().end()};
}

// Kills as a city lives them: the Sentinel promotes a replica, and the
// orchestrator starts the dead server again as a replica (RestoreReplica).
template <int kReplicas>
class HotOfferingFailoverTest : public FailoverTest {
 protected:
  int ReplicaCount() const override { return kReplicas; }

  void EnrollThroughThreeKills() {
    constexpr int kSeats = 50, kClients = 64, kKills = 3;
    const std::string offering = CreateOffering(kSeats);
    EnrollmentLoad load(stub(), {offering}, kClients);
    for (int kill = 0; kill < kKills; ++kill) {
      const int64_t before = load.acks();
      ASSERT_TRUE(PollUntil([&] { return load.acks() >= before + kClients; }, absl::Seconds(30)))
          << "kill " << kill << ": the load is not enrolling";
      const absl::Time killed = KillPrimary();
      // One replica: writes are acknowledged again once the dead server is
      // back as the new primary's replica. Two: at once, by the other.
      if (ReplicaCount() == 1) RestoreReplica();
      ASSERT_TRUE(
          PollUntil([&] { return load.FirstSuccessStartedAfter(killed) != absl::InfiniteFuture(); },
                    absl::Seconds(90)))
          << "kill " << kill << ": no enrollment succeeded on the new primary";
      if (ReplicaCount() > 1) RestoreReplica();
    }
    load.Stop();

    EXPECT_THAT(load.unexpected(), ::testing::IsEmpty()) << "only UNAVAILABLE is expected";
    EXPECT_GT(load.unavailable(), 0) << "the kills should have refused some calls";
    const auto acked = load.acknowledged();
    // Every acknowledged enrollment is there, as acknowledged, and each
    // resident (a request id each) holds exactly one.
    for (const auto& ack : acked) {
      auto e = Get(ack.enrollment);
      ASSERT_TRUE(e.ok()) << ack.enrollment << " was acknowledged and is lost: " << e.status();
      EXPECT_EQ(e->learner(), ack.learner);
      const auto of_learner = EnrollmentsOf(stub(), ack.learner);
      ASSERT_EQ(of_learner.size(), 1u) << ack.learner;
      EXPECT_EQ(of_learner[0].name(), ack.enrollment);
    }
    // No overbooking: the seats are exactly full, and everyone else waits.
    // (A client stopped mid-call may have left one enrollment it was never
    // told about.)
    auto seats = Seats(offering);
    ASSERT_TRUE(seats.ok()) << seats.status();
    EXPECT_EQ(seats->taken(), kSeats);
    const int64_t held = seats->taken() + seats->waitlist_length();
    EXPECT_GE(held, static_cast<int64_t>(acked.size()));
    EXPECT_LE(held, static_cast<int64_t>(acked.size()) + kClients);
    int confirmed = 0;
    for (const auto& ack : acked) {
      confirmed += Get(ack.enrollment)->state() == epb::ENROLLMENT_STATE_CONFIRMED;
    }
    EXPECT_LE(confirmed, kSeats);
  }
};

using OneReplicaFailoverTest = HotOfferingFailoverTest<1>;
TEST_F(OneReplicaFailoverTest, SixtyFourResidentsIntoAHotOfferingThroughThreeKillsLoseNothing) {
  EnrollThroughThreeKills();
}

using TwoReplicaFailoverTest = HotOfferingFailoverTest<2>;
TEST_F(TwoReplicaFailoverTest, SixtyFourResidentsIntoAHotOfferingThroughThreeKillsLoseNothing) {
  EnrollThroughThreeKills();
}

TEST_F(EnrollmentFailoverTest, WithTheReplicaPausedWritesAreRefusedRatherThanAcknowledgedAndLost) {
  const std::string offering = CreateOffering(10);
  const std::string before = CreateLearner(), during = CreateLearner();
  auto kept = Enroll(before, offering, "before-the-pause");
  ASSERT_TRUE(kept.ok()) << kept.status();

  replicas_[0]->Signal(SIGSTOP);  // a lost machine, a partition
  auto refused = Enroll(during, offering, "during-the-pause");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(CodeAndReason(refused.status()), "UNAVAILABLE STORAGE_NOT_REPLICATED");
  EXPECT_TRUE(RetryDelayOf(refused.status()).has_value());

  // The primary dies before the replica is back: the Sentinel can promote
  // only the replica, which never had the refused enrollment.
  redis_->Kill(SIGKILL);
  replicas_[0]->Signal(SIGCONT);
  AwaitPromotion();

  // Reads go on at once; writes once the new primary has a replica again.
  auto still = Get(kept->name());
  ASSERT_TRUE(PollUntil(
      [&] {
        still = Get(kept->name());
        return still.status().code() != absl::StatusCode::kUnavailable;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(still.ok()) << "the acknowledged enrollment is lost: " << still.status();
  RestoreReplica();
  // The resident told to retry does, with the same request id, and holds
  // one enrollment.
  absl::StatusOr<epb::Enrollment> retried;
  ASSERT_TRUE(PollUntil(
      [&] {
        retried = Enroll(during, offering, "during-the-pause");
        return retried.status().code() != absl::StatusCode::kUnavailable;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(EnrollmentsOf(stub(), during).size(), 1u);
}

std::set<std::string> Found(cpb::CatalogService::Stub& stub, const std::string& query) {
  cpb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_query(query);
  std::set<std::string> names;
  const cpb::SearchProgramsResponse found = catalog::testing::MustSearch(stub, req);
  for (const auto& r : found.results()) {
    names.insert(r.program().name());
  }
  return names;
}

TEST_F(EnrollmentFailoverTest, ReadersAgreeWithTheNewPrimaryWhenUnacknowledgedWritesAreLost) {
  StartAnalytics();
  const std::string offering = CreateOffering(10);
  const std::string kept_learner = CreateLearner(), lost_learner = CreateLearner();
  ASSERT_TRUE(Enroll(kept_learner, offering).ok());
  const std::string kept_program = catalog::testing::MustCreateProgram(
                                       catalog(), catalog::testing::NewProgram("陶艺", "Pottery"))
                                       .name();
  WaitCaughtUp();

  // The replica stops, and its link is cut before it can read any more:
  // what the primary applies now is on the primary alone.
  replicas_[0]->Signal(SIGSTOP);
  ASSERT_TRUE(pool_->Command({"CLIENT", "KILL", "TYPE", "replica"}).ok());
  cpb::CreateProgramRequest create;
  create.set_parent("cities/nanjing");
  *create.mutable_program() = catalog::testing::NewProgram("陶艺进阶", "Pottery wheel");
  cpb::CreateProgramResponse created;
  const grpc::Status refused_program =
      catalog().CreateProgram(catalog::testing::Ctx().get(), create, &created);
  EXPECT_EQ(refused_program.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Enroll(lost_learner, offering).status().code(), absl::StatusCode::kUnavailable);
  // The catalog has indexed the program that is about to be lost.
  ASSERT_TRUE(
      PollUntil([&] { return Found(catalog(), "Pottery").size() == 2; }, absl::Seconds(10)));

  redis_->Kill(SIGKILL);
  replicas_[0]->Signal(SIGCONT);
  AwaitPromotion();

  // The catalog's index drops the lost program (its follower was ahead of
  // the new primary's stream, and rebuilt); analytics counts what Redis
  // holds; new writes are read as before.
  EXPECT_TRUE(PollUntil([&] { return Found(catalog(), "Pottery") == std::set{kept_program}; },
                        absl::Seconds(20)))
      << "the index still shows a program the new primary never had";
  EXPECT_TRUE(EnrollmentsOf(stub(), lost_learner).empty());
  RestoreReplica();
  const std::string later = CreateLearner();
  ASSERT_TRUE(PollUntil([&] { return Enroll(later, offering, "after").ok(); }, absl::Seconds(10)));
  WaitCaughtUp();
  auto card = Scorecard(Month(0));
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(Find(*card, apb::INDICATOR_PARTICIPATION_RATE).numerator(), 2)
      << "analytics should count the kept and the later learner, not the lost one";
}

}  // namespace
}  // namespace gnlc::analytics::testing
