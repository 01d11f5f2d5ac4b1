#include "tests/integration/failover_harness.h"

#include <csignal>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "tests/support/grpc_testing.h"

namespace gnlc::analytics::testing {

using gnlc::testing::PollUntil;
using gnlc::testing::RedisServerProcess;
using gnlc::testing::SentinelProcess;

constexpr char kPrimaryName[] = "gnlc";

void FailoverTest::StartRedis() {
  auto primary = RedisServerProcess::Start(RedisAppendFsync());
  ASSERT_TRUE(primary.ok()) << primary.status();
  redis_ = std::move(*primary);
  for (int i = 0; i < ReplicaCount(); ++i) {
    auto replica = RedisServerProcess::Start(RedisAppendFsync());
    ASSERT_TRUE(replica.ok()) << replica.status();
    ASSERT_TRUE((*replica)->MakeReplicaOf(*redis_).ok());
    replicas_.push_back(std::move(*replica));
  }
  auto sentinel = SentinelProcess::Start(kPrimaryName, redis_->port());
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  sentinel_ = std::move(*sentinel);
}

std::string FailoverTest::ServiceRedisAddress() const {
  return absl::StrCat("sentinel:", kPrimaryName, "@", sentinel_->address());
}

RedisOptions FailoverTest::InspectOptions() const {
  RedisOptions options = redis_->AdminOptions();
  (void)ParseRedisAddress(ServiceRedisAddress(), options);
  options.connect_timeout = absl::Milliseconds(300);
  options.min_backoff = options.max_backoff = absl::Milliseconds(20);
  return options;
}

absl::Time FailoverTest::KillPrimary() {
  const absl::Time killed = absl::Now();
  redis_->Kill(SIGKILL);
  AwaitPromotion();
  return killed;
}

void FailoverTest::AwaitPromotion() {
  const RedisOptions options = InspectOptions();
  std::optional<size_t> promoted;
  EXPECT_TRUE(PollUntil(
      [&] {
        auto primary = AskSentinelsForPrimary(options);
        for (size_t i = 0; primary.ok() && i < replicas_.size(); ++i) {
          if (primary->second == replicas_[i]->port()) promoted = i;
        }
        return promoted.has_value();
      },
      // A Sentinel stalled for 2 s on a loaded machine pauses 30 s ("TILT")
      // before it acts again: the bound leaves room for that.
      absl::Seconds(90)))
      << "the Sentinel did not promote a replica";
  if (!promoted.has_value()) return;
  dead_ = *promoted;
  std::swap(redis_, replicas_[dead_]);
}

void FailoverTest::RestoreReplica() {
  RedisServerProcess& replica = *replicas_[dead_];
  const absl::Status restarted = replica.RestartAsReplicaOf(*redis_);
  ASSERT_TRUE(restarted.ok()) << restarted << "\nthe Sentinel's log ends:\n"
                              << gnlc::testing::LogTail(sentinel_->log_path(), 30);
  // The Sentinel must see it as a replica in good standing before it can
  // promote it in the next failover.
  RedisOptions sentinel;
  (void)ParseRedisAddress(sentinel_->address(), sentinel);
  RedisConnection conn(sentinel);
  const std::string port = std::to_string(replica.port());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto replicas = conn.Command({"SENTINEL", "REPLICAS", kPrimaryName});
        if (!replicas.ok()) return false;
        for (size_t i = 0; i < replicas->view().size(); ++i) {
          const ReplyView r = replicas->view()[i];
          std::string at, flags, link;
          for (size_t f = 0; f + 1 < r.size(); f += 2) {
            if (r[f].str() == "port") at = std::string(r[f + 1].str());
            if (r[f].str() == "flags") flags = std::string(r[f + 1].str());
            if (r[f].str() == "master-link-status") link = std::string(r[f + 1].str());
          }
          if (at == port && flags == "slave" && link == "ok") return true;
        }
        return false;
      },
      absl::Seconds(90)))
      << "the Sentinel does not count the restarted server as a replica; its log ends:\n"
      << gnlc::testing::LogTail(sentinel_->log_path(), 30);
}

EnrollmentLoad::EnrollmentLoad(enrollment::v1::EnrollmentService::Stub& stub,
                               std::vector<std::string> offerings, int clients,
                               std::vector<std::string> learners)
    : stub_(stub),
      offerings_(std::move(offerings)),
      learners_(std::move(learners)),
      clients_(clients),
      id_([] {
        static std::atomic<int> loads{0};
        return loads++;
      }()) {
  for (int c = 0; c < clients; ++c) threads_.emplace_back([this, c] { Client(c); });
}

void EnrollmentLoad::Stop() {
  stop_ = true;
  Join();
}

void EnrollmentLoad::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool EnrollmentLoad::UntilDone(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                               absl::Time& started) {
  while (!stop_) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    started = absl::Now();
    const grpc::Status s = call(ctx);
    if (s.ok()) return true;
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      unavailable_.fetch_add(1);
    } else {
      absl::MutexLock lock(&mu_);
      unexpected_.push_back(FromGrpcStatus(s));
    }
    absl::SleepFor(absl::Milliseconds(10));  // a client's back-off before it retries
  }
  return false;
}

void EnrollmentLoad::Client(int c) {
  namespace epb = enrollment::v1;
  for (int n = 0; !stop_; ++n) {
    std::string learner;
    absl::Time started;
    if (learners_.empty()) {
      epb::CreateLearnerRequest req;
      req.set_parent("cities/nanjing");
      req.set_request_id(absl::StrCat("learner-", id_, "-", c, "-", n));
      req.mutable_learner()->set_district("gulou");
      req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
      req.mutable_learner()->mutable_consents()->set_city_statistics(true);
      epb::CreateLearnerResponse resp;
      if (!UntilDone(
              [&](grpc::ClientContext& ctx) { return stub_.CreateLearner(&ctx, req, &resp); },
              started)) {
        return;
      }
      learner = resp.learner().name();
    } else {
      const size_t i = static_cast<size_t>(c) + static_cast<size_t>(n) * clients_;
      if (i >= learners_.size()) return;
      learner = learners_[i];
    }
    epb::CreateEnrollmentRequest req;
    req.set_parent("cities/nanjing");
    req.set_learner(learner);
    req.set_offering(offerings_[(c + n) % offerings_.size()]);
    req.set_request_id(absl::StrCat("enroll-", id_, "-", c, "-", n));
    epb::CreateEnrollmentResponse resp;
    if (!UntilDone(
            [&](grpc::ClientContext& ctx) { return stub_.CreateEnrollment(&ctx, req, &resp); },
            started)) {
      return;
    }
    acks_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    acknowledged_.push_back(
        {learner, req.offering(), resp.enrollment().name(), started, absl::Now()});
  }
}

std::vector<EnrollmentLoad::Ack> EnrollmentLoad::acknowledged() const {
  absl::MutexLock lock(&mu_);
  return acknowledged_;
}

std::vector<absl::Status> EnrollmentLoad::unexpected() const {
  absl::MutexLock lock(&mu_);
  return unexpected_;
}

absl::Time EnrollmentLoad::FirstSuccessStartedAfter(absl::Time t) const {
  absl::MutexLock lock(&mu_);
  absl::Time first = absl::InfiniteFuture();
  for (const Ack& a : acknowledged_) {
    if (a.started > t) first = std::min(first, a.answered);
  }
  return first;
}

}  // namespace gnlc::analytics::testing
