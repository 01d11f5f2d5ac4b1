// A city's Redis backed up with deploy/ops/redis-backup.sh while the
// services run, wiped, restored into an empty directory with
// deploy/ops/redis-restore.sh, and started again with fresh services: every
// answer through the gRPC APIs is the same as before, and the city goes on.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/test_security.h"

namespace gnlc::analytics::testing {
namespace {

namespace cpb = gnlc::catalog::v1;

class BackupRestoreTest : public AnalyticsTest {
 protected:
  // Runs one of deploy/ops' scripts; its exit status.
  static int Ops(const std::string& script, const std::string& args) {
    return std::system(
        absl::StrCat(GNLC_SOURCE_DIR, "/deploy/ops/", script, " ", args, " >&2").c_str());
  }

  // What residents and the city see, as text: the catalog's search, each
  // learner's enrollments, each offering's seats, this month's scorecard.
  std::map<std::string, std::string> Answers(const std::vector<std::string>& learners,
                                             const std::vector<std::string>& offerings) {
    std::map<std::string, std::string> out;
    cpb::SearchProgramsRequest search;
    search.set_parent("cities/nanjing");
    search.set_page_size(100);
    out["search"] = catalog::testing::MustSearch(catalog(), search).DebugString();
    for (const std::string& l : learners) {
      epb::ListEnrollmentsRequest req;
      req.set_learner(l);
      epb::ListEnrollmentsResponse resp;
      EXPECT_TRUE(stub().ListEnrollments(catalog::testing::Ctx().get(), req, &resp).ok());
      out[l] = resp.DebugString();
    }
    for (const std::string& o : offerings) {
      auto seats = Seats(o);
      out[o] = seats.ok() ? seats->DebugString() : seats.status().ToString();
    }
    auto card = Scorecard(Month(0));
    out["scorecard"] = card.ok() ? card->DebugString() : card.status().ToString();
    return out;
  }
};

TEST_F(BackupRestoreTest, BackupWipeRestoreAnswersExactlyAsBefore) {
  StartAnalytics();
  std::vector<std::string> offerings = {CreateOffering(2), CreateOffering(5)};
  std::vector<std::string> learners, enrollments;
  for (int i = 0; i < 6; ++i) learners.push_back(CreateLearner(i % 2 ? "gulou" : "xuanwu"));
  for (size_t i = 0; i < learners.size(); ++i) {
    auto e = Enroll(learners[i], offerings[i % 2], absl::StrCat("r", i));
    ASSERT_TRUE(e.ok()) << e.status();
    enrollments.push_back(e->name());
    if (i == 3) {
      ASSERT_TRUE(Cancel(e->name()).ok());  // a seat freed, the waitlist moves
    }
  }
  WaitCaughtUp();
  const auto before = Answers(learners, offerings);

  // Backed up while everything runs.
  const std::string backup =
      (std::filesystem::path(redis_->dir()).parent_path() /
       absl::StrCat("gnlc-backup-", ::testing::UnitTest::GetInstance()->random_seed(), "-",
                    getpid(), ".rdb"))
          .string();
  const std::string password =
      absl::StrCat(gnlc::testing::TestPkiDir(), "/nanjing/redis/admin.password");
  ASSERT_EQ(Ops("redis-backup.sh", absl::StrCat(redis_->address(), " ", password, " ", backup)), 0);
  EXPECT_NE(Ops("redis-backup.sh", absl::StrCat(redis_->address(), " ", password, " ", backup)), 0)
      << "a backup must never overwrite another";

  // The machine is lost: services gone, the data directory wiped.
  analytics_.reset();
  enrollment_.reset();
  catalog_.reset();
  pool_.reset();
  redis_->Kill(SIGKILL);
  for (const auto& entry : std::filesystem::directory_iterator(redis_->dir())) {
    std::filesystem::remove_all(entry.path());
  }

  ASSERT_EQ(Ops("redis-restore.sh", absl::StrCat(backup, " ", redis_->dir())), 0);
  EXPECT_NE(Ops("redis-restore.sh", absl::StrCat(backup, " ", redis_->dir())), 0)
      << "a restore must refuse a directory that holds data";
  ASSERT_TRUE(redis_->Restart().ok());
  pool_ = std::make_unique<RedisPool>(InspectOptions());
  catalog_ = catalog::testing::CatalogReplica::Start(ServiceRedisAddress());
  StartEnrollment();
  StartAnalytics();
  WaitCaughtUp();
  EXPECT_EQ(Answers(learners, offerings), before);

  // And the city goes on from there, request ids included: a phone's retry
  // gets the enrollment it made before the backup, not a second one.
  auto again = Enroll(learners[0], offerings[0], "r0");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), enrollments[0]);
  const std::string newcomer = CreateLearner();
  EXPECT_TRUE(Enroll(newcomer, offerings[1]).ok());
  std::filesystem::remove(backup);
  std::filesystem::remove(backup + ".sha256");
}

}  // namespace
}  // namespace gnlc::analytics::testing
