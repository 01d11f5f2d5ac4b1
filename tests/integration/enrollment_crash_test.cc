// Redis killed with SIGKILL in the middle of a load of enrollments and
// restarted from its AOF (appendfsync everysec, the production setting):
// every enrollment acknowledged to a client is still there, and clients
// that retry with the same request_id never get a second one.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/enrollment_harness.h"

namespace gnlc::enrollment::testing {
namespace {

using EnrollmentCrashTest = EnrollmentTest;

TEST_F(EnrollmentCrashTest, AcknowledgedEnrollmentsSurviveARedisKillAndNoneIsDoubled) {
  constexpr int kOfferings = 4, kLearners = 60, kThreads = 8;
  std::vector<std::string> offerings, learners;
  for (int i = 0; i < kOfferings; ++i) offerings.push_back(CreateOffering(20));
  for (int i = 0; i < kLearners; ++i) learners.push_back(CreateLearner());

  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::string> acked;  // request id -> enrollment
  std::atomic<int> acks{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int l = t; l < kLearners; l += kThreads) {
        for (int o = 0; o < kOfferings; ++o) {
          const std::string rid = absl::StrCat("l", l, "-o", o);
          // A phone retrying on a flaky network: same request id, bounded.
          for (int attempt = 0; attempt < 400; ++attempt) {
            auto e = Enroll(learners[l], offerings[o], rid);
            if (e.ok()) {
              absl::MutexLock lock(&mu);
              acked[rid] = e->name();
              acks.fetch_add(1);
              break;
            }
            failures.fetch_add(1);
            EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
            absl::SleepFor(absl::Milliseconds(10));  // client back-off, not readiness
          }
        }
      }
    });
  }
  ASSERT_TRUE(gnlc::testing::PollUntil([&] { return acks.load() >= 60; }, absl::Seconds(20)));
  redis_->Kill(SIGKILL);
  const int acked_before_restart = acks.load();
  ASSERT_TRUE(redis_->Restart().ok());
  for (auto& t : threads) t.join();

  EXPECT_GT(failures.load(), 0) << "the kill should have failed some calls";
  EXPECT_LT(acked_before_restart, kLearners * kOfferings) << "the kill came too late";
  ASSERT_EQ(acked.size(), static_cast<size_t>(kLearners * kOfferings));
  // Every acknowledged enrollment exists, as acknowledged.
  for (const auto& [rid, name] : acked) {
    auto e = Get(name);
    ASSERT_TRUE(e.ok()) << rid << " " << e.status();
  }
  // No learner holds two enrollments in one offering.
  for (const std::string& learner : learners) {
    epb::ListEnrollmentsRequest req;
    req.set_learner(learner);
    epb::ListEnrollmentsResponse resp;
    ASSERT_TRUE(stub().ListEnrollments(catalog::testing::Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.enrollments_size(), kOfferings) << learner;
  }
  for (const std::string& offering : offerings) {
    auto seats = Seats(offering);
    ASSERT_TRUE(seats.ok());
    EXPECT_EQ(seats->taken(), 20);
    EXPECT_EQ(seats->waitlist_length(), kLearners - 20);
  }
}

}  // namespace
}  // namespace gnlc::enrollment::testing
