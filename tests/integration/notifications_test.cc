// SubscribeNotifications through gRPC against a real Redis: what a mobile
// backend hears, that it hears only about its own learners, that it can
// resume after any break without losing or repeating anything (after
// deduplication by id), reminders, erasure and a subscriber that stops
// reading.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/hash/fnv1a.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_security.h"

namespace gnlc::enrollment::testing {
namespace {

using gnlc::testing::PollUntil;

std::string BackendToken(const std::string& backend) {
  return gnlc::testing::TestToken("nanjing", {.role = "mobile_backend", .subject = backend});
}

// Reads one subscription on its own thread, resubscribing from the last
// cursor whenever the stream breaks (and, if asked, at random points).
class Subscriber {
 public:
  Subscriber(int port, std::string backend, int disconnect_every = 0, std::string cursor = "",
             int partition = 0, int partitions = 0)
      : partition_(partition),
        partitions_(partitions),
        port_(port),
        backend_(std::move(backend)),
        cursor_(std::move(cursor)),
        disconnect_every_(disconnect_every) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Subscriber() { Stop(); }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }
  // Every notification received, in order, duplicates included.
  std::vector<epb::Notification> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return received_.size();
  }
  int streams_opened() {
    absl::MutexLock lock(&mu_);
    return opened_;
  }
  std::string cursor() {
    absl::MutexLock lock(&mu_);
    return cursor_;
  }
  bool started() {
    absl::MutexLock lock(&mu_);
    return !cursor_.empty();
  }

 private:
  void Run() {
    std::mt19937 random(7);
    while (true) {
      auto channel = gnlc::testing::SecureChannel(port_, "nanjing", BackendToken(backend_));
      auto stub = epb::EnrollmentService::NewStub(channel);
      auto ctx = std::make_unique<grpc::ClientContext>();
      epb::SubscribeNotificationsRequest req;
      req.set_parent("cities/nanjing");
      req.set_partition(partition_);
      req.set_partition_count(partitions_);
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        req.set_cursor(cursor_);
        ctx_ = ctx.get();
        ++opened_;
      }
      auto reader = stub->SubscribeNotifications(ctx.get(), req);
      int until_break = disconnect_every_ > 0 ? 1 + random() % disconnect_every_ : -1;
      epb::SubscribeNotificationsResponse resp;
      while (reader->Read(&resp)) {
        absl::MutexLock lock(&mu_);
        for (const auto& n : resp.notifications()) received_.push_back(n);
        cursor_ = resp.cursor();
        until_break -= resp.notifications_size();
        if (disconnect_every_ > 0 && until_break <= 0) ctx->TryCancel();
      }
      (void)reader->Finish();
      absl::MutexLock lock(&mu_);
      ctx_ = nullptr;
      if (stop_) return;
      // The server restarting: poll until it answers again (the next
      // iteration's call waits for the channel to connect).
    }
  }

  const int partition_, partitions_;
  const int port_;
  const std::string backend_;
  absl::Mutex mu_;
  std::string cursor_ ABSL_GUARDED_BY(mu_);
  const int disconnect_every_;
  std::vector<epb::Notification> received_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int opened_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

class NotificationsTest : public EnrollmentTest {
 protected:
  int port() { return enrollment_->server->port(); }

  std::string CreateLearnerOf(const std::string& backend, const std::string& subject = "") {
    epb::CreateLearnerRequest req;
    req.set_parent("cities/nanjing");
    req.mutable_learner()->set_district("gulou");
    req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
    req.mutable_learner()->set_backend(backend);
    req.mutable_learner()->set_external_subject(subject);
    epb::CreateLearnerResponse resp;
    const grpc::Status s = stub().CreateLearner(catalog::testing::Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.learner().name();
  }
  epb::Enrollment MustEnroll(const std::string& learner, const std::string& offering) {
    auto e = Enroll(learner, offering);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : epb::Enrollment();
  }
  // Opens a subscription and waits for its first response (the starting
  // cursor), so that what the test does next comes after it.
  std::unique_ptr<Subscriber> Subscribe(const std::string& backend, int disconnect_every = 0) {
    auto s = std::make_unique<Subscriber>(port(), backend, disconnect_every);
    EXPECT_TRUE(PollUntil([&] { return s->started(); }, absl::Seconds(5)));
    return s;
  }
  grpc::Status OpenAs(const std::string& token, const epb::SubscribeNotificationsRequest& req) {
    auto channel = gnlc::testing::SecureChannel(port(), "nanjing", token);
    auto stub = epb::EnrollmentService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto reader = stub->SubscribeNotifications(&ctx, req);
    epb::SubscribeNotificationsResponse resp;
    if (reader->Read(&resp)) {
      ctx.TryCancel();
      (void)reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  }
  static std::vector<epb::Notification> OfType(const std::vector<epb::Notification>& all,
                                               epb::NotificationType type) {
    std::vector<epb::Notification> out;
    for (const auto& n : all) {
      if (n.type() == type) out.push_back(n);
    }
    return out;
  }
  // Entries of a backend's notification stream in Redis.
  std::vector<epb::Notification> Stored(const std::string& backend) {
    std::vector<epb::Notification> out;
    auto reply = pool_->Command({"XRANGE", absl::StrCat("enr:{0}:ntf:", backend), "-", "+"});
    EXPECT_TRUE(reply.ok());
    if (!reply.ok()) return out;
    for (size_t i = 0; i < reply->view().size(); ++i) {
      epb::Notification n;
      EXPECT_TRUE(n.ParseFromString(std::string(reply->view()[i][1][1].str())));
      out.push_back(n);
    }
    return out;
  }
  absl::StatusOr<epb::Enrollment> CancelAs(const std::string& enrollment,
                                           const std::string& token) {
    auto channel = gnlc::testing::SecureChannel(port(), "nanjing", token);
    auto stub = epb::EnrollmentService::NewStub(channel);
    epb::CancelEnrollmentRequest req;
    req.set_name(enrollment);
    req.mutable_reason()->set_en("staff moved the class");
    epb::CancelEnrollmentResponse resp;
    grpc::Status s = stub->CancelEnrollment(catalog::testing::Ctx().get(), req, &resp);
    if (!s.ok()) return FromGrpcStatus(s);
    return resp.enrollment();
  }
};

TEST_F(NotificationsTest, APromotionReachesTheLearnersBackendWithinASecond) {
  const std::string offering = CreateOffering(1);
  const std::string first = CreateLearnerOf("app-a", "person-1");
  const std::string second = CreateLearnerOf("app-a", "person-2");
  const epb::Enrollment seated = MustEnroll(first, offering);
  const epb::Enrollment waiting = MustEnroll(second, offering);
  ASSERT_EQ(waiting.state(), epb::ENROLLMENT_STATE_WAITLISTED);
  auto sub = Subscribe("app-a");

  const absl::Time cancelled = absl::Now();
  ASSERT_TRUE(CancelAs(seated.name(), gnlc::testing::TestToken(
                                          "nanjing", {.role = "city_admin", .subject = "ops"}))
                  .ok());  // by city staff
  ASSERT_TRUE(
      PollUntil([&] { return !OfType(sub->received(), epb::NOTIFICATION_TYPE_PROMOTED).empty(); },
                absl::Seconds(1)))
      << "no promotion within 1 s of the cancellation";
  const absl::Duration lag = absl::Now() - cancelled;
  const auto promoted = OfType(sub->received(), epb::NOTIFICATION_TYPE_PROMOTED);
  ASSERT_EQ(promoted.size(), 1u) << "lag " << lag;
  EXPECT_EQ(promoted[0].enrollment(), waiting.name());
  EXPECT_EQ(promoted[0].learner(), second);
  EXPECT_EQ(promoted[0].external_subject(), "person-2");
  EXPECT_EQ(promoted[0].offering(), offering);
  EXPECT_EQ(promoted[0].state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_GT(promoted[0].offering_start_time().seconds(), absl::ToUnixSeconds(absl::Now()));
  EXPECT_FALSE(promoted[0].id().empty());
  EXPECT_FALSE(promoted[0].cursor().empty());
  // The cancelled learner hears why: staff did it, not they.
  ASSERT_TRUE(
      PollUntil([&] { return !OfType(sub->received(), epb::NOTIFICATION_TYPE_CANCELLED).empty(); },
                absl::Seconds(5)));
  const auto cancelled_n = OfType(sub->received(), epb::NOTIFICATION_TYPE_CANCELLED);
  EXPECT_EQ(cancelled_n[0].enrollment(), seated.name());
  EXPECT_EQ(cancelled_n[0].reason().en(), "staff moved the class");
}

TEST_F(NotificationsTest, ALearnersOwnCancellationIsNotNotified) {
  const std::string offering = CreateOffering(5);
  // A resident whose token was issued to app-a: their learner is app-a's.
  const std::string token = gnlc::testing::TestToken(
      "nanjing", {.role = "resident", .subject = "person-9", .azp = "app-a"});
  auto channel = gnlc::testing::SecureChannel(port(), "nanjing", token);
  auto resident = epb::EnrollmentService::NewStub(channel);
  epb::CreateLearnerRequest create;
  create.set_parent("cities/nanjing");
  create.mutable_learner()->set_district("gulou");
  create.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
  epb::CreateLearnerResponse learner;
  ASSERT_TRUE(resident->CreateLearner(catalog::testing::Ctx().get(), create, &learner).ok());
  EXPECT_EQ(learner.learner().backend(), "app-a");
  const epb::Enrollment mine = MustEnroll(learner.learner().name(), offering);
  const epb::Enrollment staffs = MustEnroll(CreateLearnerOf("app-a"), offering);
  auto sub = Subscribe("app-a");
  ASSERT_TRUE(CancelAs(mine.name(), token).ok());
  ASSERT_TRUE(Cancel(staffs.name()).ok());
  // The staff cancellation comes after the resident's in the stream, so
  // once it has arrived the resident's would have too.
  ASSERT_TRUE(PollUntil([&] { return sub->count() >= 1; }, absl::Seconds(5)));
  const auto all = sub->received();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].enrollment(), staffs.name());
}

TEST_F(NotificationsTest, ACancelledOrMovedOfferingNotifiesEachAffectedLearner) {
  const std::string offering = CreateOffering(2);
  std::set<std::string> affected;
  for (int i = 0; i < 3; ++i)
    affected.insert(MustEnroll(CreateLearnerOf("app-a"), offering).name());
  auto sub = Subscribe("app-a");

  // Moved by a day: everyone holding or waiting for a seat hears of it.
  cpb::GetOfferingRequest get;
  get.set_name(offering);
  cpb::GetOfferingResponse got;
  ASSERT_TRUE(catalog().GetOffering(catalog::testing::Ctx().get(), get, &got).ok());
  const cpb::Offering& current = got.offering();
  cpb::UpdateOfferingRequest move;
  move.mutable_offering()->set_name(offering);
  *move.mutable_offering()->mutable_start_time() = current.start_time();
  move.mutable_offering()->mutable_start_time()->set_seconds(current.start_time().seconds() +
                                                             86400);
  move.mutable_update_mask()->add_paths("start_time");
  cpb::UpdateOfferingResponse moved;
  ASSERT_TRUE(catalog().UpdateOffering(catalog::testing::Ctx().get(), move, &moved).ok());
  ASSERT_TRUE(PollUntil(
      [&] { return OfType(sub->received(), epb::NOTIFICATION_TYPE_SCHEDULE_CHANGED).size() >= 3; },
      absl::Seconds(5)));
  std::set<std::string> told;
  for (const auto& n : OfType(sub->received(), epb::NOTIFICATION_TYPE_SCHEDULE_CHANGED)) {
    told.insert(n.enrollment());
    EXPECT_EQ(n.offering_start_time().seconds(), current.start_time().seconds() + 86400);
    EXPECT_EQ(n.previous_start_time().seconds(), current.start_time().seconds());
  }
  EXPECT_EQ(told, affected);

  cpb::CancelOfferingRequest cancel;
  cancel.set_name(offering);
  cancel.mutable_reason()->set_en("The venue is under repair");
  cpb::CancelOfferingResponse cancelled;
  ASSERT_TRUE(catalog().CancelOffering(catalog::testing::Ctx().get(), cancel, &cancelled).ok());
  ASSERT_TRUE(PollUntil(
      [&] { return OfType(sub->received(), epb::NOTIFICATION_TYPE_CANCELLED).size() >= 3; },
      absl::Seconds(5)));
  std::multiset<std::string> cancelled_told;
  for (const auto& n : OfType(sub->received(), epb::NOTIFICATION_TYPE_CANCELLED)) {
    cancelled_told.insert(n.enrollment());
    EXPECT_EQ(n.reason().en(), "The venue is under repair");
    EXPECT_EQ(n.state(), epb::ENROLLMENT_STATE_CANCELLED);
  }
  EXPECT_EQ(cancelled_told, std::multiset<std::string>(affected.begin(), affected.end()));
}

TEST_F(NotificationsTest, ABackendNeverHearsOfAnotherBackendsLearners) {
  const std::string offering = CreateOffering(1);
  const epb::Enrollment a = MustEnroll(CreateLearnerOf("app-a"), offering);
  const epb::Enrollment b = MustEnroll(CreateLearnerOf("app-b"), offering);  // waitlisted
  auto sub_a = Subscribe("app-a");
  auto sub_b = Subscribe("app-b");
  ASSERT_TRUE(Cancel(a.name()).ok());  // a: cancelled; b: promoted
  ASSERT_TRUE(
      PollUntil([&] { return sub_a->count() >= 1 && sub_b->count() >= 1; }, absl::Seconds(5)));
  for (const auto& n : sub_a->received()) EXPECT_EQ(n.enrollment(), a.name()) << n.DebugString();
  for (const auto& n : sub_b->received()) EXPECT_EQ(n.enrollment(), b.name()) << n.DebugString();

  // Who may open which stream.
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  req.set_backend("app-b");
  EXPECT_EQ(OpenAs(BackendToken("app-a"), req).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OpenAs(gnlc::testing::TestToken("nanjing", {.role = "resident", .subject = "p"}), req)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OpenAs("", req).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(OpenAs(BackendToken("app-b"), req).error_code(), grpc::StatusCode::OK);
  req.clear_backend();
  EXPECT_EQ(
      OpenAs(gnlc::testing::TestToken("nanjing", {.role = "city_admin", .subject = "ops"}), req)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT)
      << "a city admin names the backend to watch";
  req.set_cursor("not-a-cursor");
  EXPECT_EQ(OpenAs(BackendToken("app-a"), req).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_cursor();
  req.set_partition_count(4);
  req.set_partition(4);
  EXPECT_EQ(OpenAs(BackendToken("app-a"), req).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(NotificationsTest, ReplicasOfABackendShareTheWorkEachNotificationToOne) {
  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<Subscriber>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(std::make_unique<Subscriber>(port(), "app-a", 0, "", i, kReplicas));
  }
  for (auto& r : replicas) ASSERT_TRUE(PollUntil([&] { return r->started(); }, absl::Seconds(5)));
  const std::string offering = CreateOffering(1);
  std::vector<epb::Enrollment> e;
  for (int i = 0; i < 31; ++i) e.push_back(MustEnroll(CreateLearnerOf("app-a"), offering));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(Cancel(e[i].name()).ok());  // 30 + 30 notifications
  ASSERT_TRUE(PollUntil(
      [&] {
        size_t total = 0;
        for (auto& r : replicas) total += r->count();
        return total >= 60;
      },
      absl::Seconds(5)));
  std::map<std::string, int> owner;  // enrollment -> the one replica that heard of it
  std::set<std::string> ids;
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_GT(replicas[i]->count(), 0u) << "replica " << i << " got no share";
    for (const auto& n : replicas[i]->received()) {
      EXPECT_TRUE(ids.insert(n.id()).second) << n.id() << " went to two replicas";
      // The partition the contract documents, so a backend can compute it.
      EXPECT_EQ(Fnv1a64(n.enrollment()) % kReplicas, static_cast<uint64_t>(i)) << n.enrollment();
      auto [it, inserted] = owner.emplace(n.enrollment(), i);
      EXPECT_EQ(it->second, i) << "one enrollment's notifications split across replicas";
    }
  }
  EXPECT_EQ(ids.size(), 60u);
}

// The scripted sequence: 2,500 enrollments and 2,500 staff cancellations
// (each but the last few promoting someone), read by a subscriber that
// breaks off at random points and resumes with its last cursor, across an
// enrollment server restart and a Redis restart.
TEST_F(NotificationsTest, ResumingWithTheLastCursorDeliversEverythingOnceInOrder) {
  constexpr int kOfferings = 10, kSeats = 5, kPerOffering = 250;
  std::vector<std::string> offerings;
  for (int i = 0; i < kOfferings; ++i) offerings.push_back(CreateOffering(kSeats));
  auto sub = Subscribe("app-a", /*disconnect_every=*/400);

  std::map<std::string, std::vector<std::string>> seated;  // offering -> confirmed, FIFO
  std::map<std::string, std::vector<std::string>> waiting;
  int expected = 0;
  std::map<std::string, std::vector<epb::NotificationType>> expected_order;
  auto run_changes = [&](int from, int to) {
    for (int k = from; k < to; ++k) {
      const std::string& offering = offerings[k % kOfferings];
      const epb::Enrollment e = MustEnroll(CreateLearnerOf("app-a"), offering);
      (e.state() == epb::ENROLLMENT_STATE_CONFIRMED ? seated : waiting)[offering].push_back(
          e.name());
      auto& seats = seated[offering];
      if (seats.size() == static_cast<size_t>(kSeats)) {
        const std::string victim = seats.front();
        seats.erase(seats.begin());
        ASSERT_TRUE(Cancel(victim).ok());
        expected_order[victim].push_back(epb::NOTIFICATION_TYPE_CANCELLED);
        ++expected;
        auto& queue = waiting[offering];
        if (!queue.empty()) {
          seats.push_back(queue.front());
          expected_order[queue.front()].push_back(epb::NOTIFICATION_TYPE_PROMOTED);
          queue.erase(queue.begin());
          ++expected;
        }
      }
    }
  };
  const int total = kOfferings * kPerOffering;
  run_changes(0, total / 3);
  // The enrollment server restarts on a new port: its streams end, and the
  // backend resumes there from the last cursor it got.
  enrollment_.reset();
  StartEnrollment();
  sub->Stop();
  std::vector<epb::Notification> received = sub->received();
  auto resumed = std::make_unique<Subscriber>(port(), "app-a", 400, sub->cursor());
  ASSERT_FALSE(HasFatalFailure());
  run_changes(total / 3, 2 * total / 3);
  // Redis restarts (AOF): the streams and the cursor survive.
  ASSERT_TRUE(redis_->Restart().ok());
  run_changes(2 * total / 3, total);

  auto all = [&] {
    std::vector<epb::Notification> out = received;
    for (const auto& n : resumed->received()) out.push_back(n);
    return out;
  };
  ASSERT_TRUE(PollUntil(
      [&] {
        std::set<std::string> ids;
        for (const auto& n : all()) ids.insert(n.id());
        return ids.size() >= static_cast<size_t>(expected);
      },
      absl::Seconds(60)))
      << "expected " << expected;
  resumed->Stop();
  std::set<std::string> ids;
  std::map<std::string, std::vector<epb::NotificationType>> order;
  for (const auto& n : all()) {
    if (!ids.insert(n.id()).second) continue;  // a redelivery: deduplicated
    order[n.enrollment()].push_back(n.type());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(expected));
  EXPECT_EQ(order, expected_order);
  EXPECT_GT(sub->streams_opened() + resumed->streams_opened(), 5)
      << "the subscriber should have broken off and resumed many times";
}

TEST_F(NotificationsTest, EachConfirmedEnrollmentGetsExactlyOneReminderEvenWithTwoReplicas) {
  auto replica = EnrollmentServer::Start(
      redis_->address(), absl::StrCat("127.0.0.1:", catalog_->server->port()),
      [this] { return absl::Now() + absl::Nanoseconds(clock_offset_ns_.load()); });
  OfferingSpec spec;
  spec.seats = 3;
  spec.starts_in = absl::Hours(48);
  const std::string offering = CreateOffering(spec);
  std::vector<epb::Enrollment> e;
  for (int i = 0; i < 5; ++i) e.push_back(MustEnroll(CreateLearnerOf("app-a"), offering));
  ASSERT_EQ(e[3].state(), epb::ENROLLMENT_STATE_WAITLISTED);
  ASSERT_EQ(e[4].state(), epb::ENROLLMENT_STATE_WAITLISTED);
  ASSERT_TRUE(CancelAs(e[4].name(), gnlc::testing::TestToken(
                                        "nanjing", {.role = "city_admin", .subject = "ops"}))
                  .ok());
  auto sub = Subscribe("app-a");
  // Translated and scheduled (three confirmed), then the clock passes the
  // 24 h lead time.
  ASSERT_TRUE(PollUntil(
      [&] {
        return pool_->Command({"ZCARD", "enr:{0}:remind"})->view().integer() == 3;
      },
      absl::Seconds(5)));
  AdvanceClock(absl::Hours(24) + absl::Minutes(1));
  ASSERT_TRUE(PollUntil(
      [&] { return OfType(sub->received(), epb::NOTIFICATION_TYPE_REMINDER).size() >= 3; },
      absl::Seconds(5)));
  // Nothing is left to send, so nothing can be sent twice.
  ASSERT_TRUE(PollUntil(
      [&] {
        return pool_->Command({"ZCARD", "enr:{0}:remind"})->view().integer() == 0;
      },
      absl::Seconds(5)));
  std::multiset<std::string> reminded;
  for (const auto& n : OfType(Stored("app-a"), epb::NOTIFICATION_TYPE_REMINDER)) {
    reminded.insert(n.enrollment());
    EXPECT_EQ(n.id(), "r-" + n.enrollment().substr(n.enrollment().rfind('/') + 1));
  }
  EXPECT_EQ(reminded, (std::multiset<std::string>{e[0].name(), e[1].name(), e[2].name()}));
  // A replica restarting later sends none again.
  replica.reset();
  AdvanceClock(absl::Hours(1));
  replica = EnrollmentServer::Start(
      redis_->address(), absl::StrCat("127.0.0.1:", catalog_->server->port()),
      [this] { return absl::Now() + absl::Nanoseconds(clock_offset_ns_.load()); });
  EXPECT_EQ(OfType(Stored("app-a"), epb::NOTIFICATION_TYPE_REMINDER).size(), 3u);
}

TEST_F(NotificationsTest, ReminderMarkersAreForgottenOnceTheOfferingStarts) {
  auto count = [&](const std::vector<absl::string_view>& command) {
    return pool_->Command(command)->view().integer();
  };
  // A marker an earlier version left behind ("sent" forever) becomes an
  // ordinary marker, kept one lead from when it was found. Waited for here,
  // so that the clock moves only after it was found (the reminder loop
  // finds it within a quarter second of real time).
  ASSERT_TRUE(pool_->Command({"HSET", "enr:{0}:remindn", "old-enrollment", "sent"}).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        return count({"HEXISTS", "enr:{0}:remindn", "old-enrollment"}) == 0 &&
               pool_->Command({"ZSCORE", "enr:{0}:reminded", "old-enrollment"})->view().is_string();
      },
      absl::Seconds(5)));
  OfferingSpec spec;
  spec.seats = 2;
  spec.starts_in = absl::Hours(48);
  const std::string offering = CreateOffering(spec);
  std::vector<std::string> enrolled;
  for (int i = 0; i < 2; ++i) {
    enrolled.push_back(MustEnroll(CreateLearnerOf("app-a"), offering).name());
  }
  ASSERT_TRUE(PollUntil([&] { return count({"ZCARD", "enr:{0}:remind"}) == 2; }, absl::Seconds(5)));
  AdvanceClock(absl::Hours(24) + absl::Minutes(1));
  // Sent: each is remembered until its start (so a repeated schedule sends
  // nothing), the scheduled copy is gone, and the old marker's lead passed.
  ASSERT_TRUE(PollUntil(
      [&] {
        return count({"ZCARD", "enr:{0}:reminded"}) == 2 && count({"ZCARD", "enr:{0}:remind"}) == 0;
      },
      absl::Seconds(5)));
  for (const std::string& name : enrolled) {
    const std::string id = name.substr(name.rfind('/') + 1);
    EXPECT_TRUE(pool_->Command({"ZSCORE", "enr:{0}:reminded", id})->view().is_string()) << id;
  }
  EXPECT_EQ(count({"HLEN", "enr:{0}:remindn"}), 0);
  // Once the offering has started, no marker is left.
  AdvanceClock(absl::Hours(25));
  EXPECT_TRUE(PollUntil(
      [&] {
        return count({"EXISTS", "enr:{0}:reminded"}) == 0;
      },
      absl::Seconds(5)));
  EXPECT_EQ(OfType(Stored("app-a"), epb::NOTIFICATION_TYPE_REMINDER).size(), 2u);
}

TEST_F(NotificationsTest, ErasureRemovesPendingNotificationsAndOldCursorsExpire) {
  const std::string offering = CreateOffering(1);
  const std::string kept = CreateLearnerOf("app-a");
  const std::string erased = CreateLearnerOf("app-a");
  const epb::Enrollment k = MustEnroll(kept, offering);
  const epb::Enrollment x = MustEnroll(erased, offering);  // waitlisted
  auto sub = Subscribe("app-a");
  ASSERT_TRUE(Cancel(k.name()).ok());  // k cancelled, x promoted
  ASSERT_TRUE(PollUntil([&] { return Stored("app-a").size() == 2; }, absl::Seconds(5)));
  sub->Stop();
  epb::EraseLearnerRequest erase;
  erase.set_name(erased);
  epb::EraseLearnerResponse gone;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &gone).ok());
  const auto left = Stored("app-a");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].learner(), kept);
  auto keys =
      pool_->Command({"KEYS", absl::StrCat("enr:{0}:lntf:", erased.substr(erased.rfind('/') + 1))});
  EXPECT_EQ(keys->view().size(), 0u);

  // Eight days on (retention 7), a new notification trims the old ones: a
  // cursor from before them is refused, one after them still works.
  auto replay = std::make_unique<Subscriber>(port(), "app-a", 0, "0-0");
  ASSERT_TRUE(PollUntil([&] { return replay->count() >= 1; }, absl::Seconds(5)));
  const std::string old_cursor = replay->received()[0].cursor();
  replay->Stop();
  AdvanceClock(absl::Hours(24 * 8));
  OfferingSpec later;
  later.seats = 1;
  later.starts_in = absl::Hours(24 * 10);  // still open for enrollment then
  const std::string other = CreateOffering(later);
  const epb::Enrollment late = MustEnroll(CreateLearnerOf("app-a"), other);
  ASSERT_TRUE(Cancel(late.name()).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        const auto now = Stored("app-a");
        return now.size() == 1 && now[0].enrollment() == late.name();
      },
      absl::Seconds(5)))
      << [&] {
           std::string out;
           for (const auto& n : Stored("app-a")) out += n.ShortDebugString() + "\n";
           return out;
         }();
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  req.set_cursor("0-1");
  const grpc::Status expired = OpenAs(BackendToken("app-a"), req);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(expired.error_message().find("ListEnrollments"), std::string::npos);
  req.set_cursor(old_cursor);
  EXPECT_EQ(OpenAs(BackendToken("app-a"), req).error_code(), grpc::StatusCode::OK)
      << "nothing after this cursor was trimmed";
}

double BufferedBytes(Metrics& metrics) {
  for (const auto& family : metrics.registry().Collect()) {
    if (family.name == "gnlc_notification_buffered_bytes" && !family.metric.empty()) {
      return family.metric[0].gauge.value;
    }
  }
  return -1;
}

// The learner's list of their notifications (for erasure) holds only what
// the backend's stream still holds, and expires with it: it never grows
// past the retention however long the learner stays.
TEST_F(NotificationsTest, ALearnersListOfNotificationsKeepsOnlyWhatTheStreamHolds) {
  const std::string learner = CreateLearnerOf("app-a");
  const std::string list = absl::StrCat("enr:{0}:lntf:", learner.substr(learner.rfind('/') + 1));
  const std::string staff =
      gnlc::testing::TestToken("nanjing", {.role = "city_admin", .subject = "ops"});
  const auto cancelled_by_staff = [&](int n) {
    OfferingSpec spec;
    spec.seats = 1;
    spec.starts_in = absl::Hours(24 * 10);
    const epb::Enrollment e = MustEnroll(learner, CreateOffering(spec));
    ASSERT_TRUE(CancelAs(e.name(), staff).ok());
    ASSERT_TRUE(PollUntil([&] { return Stored("app-a").size() == static_cast<size_t>(n); },
                          absl::Seconds(5)));
  };
  cancelled_by_staff(1);
  cancelled_by_staff(2);
  auto entries = [&] {
    auto v = pool_->Command({"GET", list});
    EXPECT_TRUE(v.ok());
    const std::string text(v.ok() ? v->view().str() : "");
    return static_cast<int>(std::count(text.begin(), text.end(), ' ')) / 2;
  };
  EXPECT_EQ(entries(), 2);
  auto ttl = pool_->Command({"PTTL", list});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->view().integer(), 0);

  // Eight days on (retention 7): the stream trims the first two, and so
  // does the learner's list.
  AdvanceClock(absl::Hours(24 * 8));
  cancelled_by_staff(1);
  EXPECT_EQ(entries(), 1);
}

TEST_F(NotificationsTest, ASubscriberThatStopsReadingCostsBoundedMemoryAndSlowsNobody) {
  // A stream whose reader never reads.
  auto channel = gnlc::testing::SecureChannel(port(), "nanjing", BackendToken("app-a"));
  auto stub = epb::EnrollmentService::NewStub(channel);
  grpc::ClientContext stalled_ctx;
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  auto stalled = stub->SubscribeNotifications(&stalled_ctx, req);
  auto reader = Subscribe("app-a");

  constexpr int kOfferings = 20, kSeats = 1;
  int expected = 0;
  double peak = 0;
  for (int i = 0; i < kOfferings; ++i) {
    const std::string offering = CreateOffering(kSeats);
    std::vector<epb::Enrollment> e;
    for (int j = 0; j < 60; ++j) e.push_back(MustEnroll(CreateLearnerOf("app-a"), offering));
    for (int j = 0; j < 59; ++j) {  // each cancellation promotes the next
      ASSERT_TRUE(Cancel(e[j].name()).ok());
      expected += 2;
    }
    peak = std::max(peak, BufferedBytes(*enrollment_->metrics));
  }
  ASSERT_TRUE(PollUntil([&] { return reader->count() >= static_cast<size_t>(expected); },
                        absl::Seconds(30)))
      << "the reading subscriber got " << reader->count() << " of " << expected;
  peak = std::max(peak, BufferedBytes(*enrollment_->metrics));
  // At most one response (100 notifications) per stream is held; the
  // stalled one's share stays there however much more arrives.
  EXPECT_GE(peak, 0);
  EXPECT_LE(peak, 2 * 100 * 1024) << "bytes held for subscribers";
  EXPECT_LE(BufferedBytes(*enrollment_->metrics), 100 * 1024);
  stalled_ctx.TryCancel();
}

// A stream ends when the token it was opened with expires, saying so; the
// backend resumes from its cursor with a fresh token and misses nothing.
TEST_F(NotificationsTest, AStreamEndsWhenItsTokenExpiresAndResumesWithAFreshToken) {
  const std::string offering = CreateOffering(5);
  const epb::Enrollment enrollment = MustEnroll(CreateLearnerOf("app-a"), offering);
  const std::string short_lived = gnlc::testing::TestToken(
      "nanjing", {.role = "mobile_backend", .subject = "app-a", .ttl = absl::Seconds(2)});
  auto stub =
      epb::EnrollmentService::NewStub(gnlc::testing::SecureChannel(port(), "nanjing", short_lived));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  const absl::Time opened = absl::Now();
  auto reader = stub->SubscribeNotifications(&ctx, req);
  epb::SubscribeNotificationsResponse resp;
  ASSERT_TRUE(reader->Read(&resp));  // the starting cursor
  std::string cursor = resp.cursor();
  while (reader->Read(&resp)) cursor = resp.cursor();
  const grpc::Status ended = reader->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED) << ended.error_message();
  EXPECT_EQ(ErrorReason(FromGrpcStatus(ended)), "TOKEN_EXPIRED");
  EXPECT_GE(absl::Now() - opened, absl::Seconds(1));  // not before its time

  // Meanwhile staff cancel the enrollment; the backend resumes with a
  // fresh token from its cursor and hears of it.
  ASSERT_TRUE(Cancel(enrollment.name()).ok());
  Subscriber resumed(port(), "app-a", 0, cursor);
  ASSERT_TRUE(PollUntil([&] { return resumed.count() >= 1; }, absl::Seconds(5)));
  EXPECT_EQ(resumed.received()[0].enrollment(), enrollment.name());
}

// One backend holds at most GNLC_MAX_STREAMS_PER_BACKEND streams on a
// replica; past them it is told so, and other backends are not affected.
class NotificationStreamCapTest : public NotificationsTest {
 protected:
  void SetUp() override {
    setenv("GNLC_MAX_STREAMS_PER_BACKEND", "2", 1);
    NotificationsTest::SetUp();
  }
  void TearDown() override {
    NotificationsTest::TearDown();
    unsetenv("GNLC_MAX_STREAMS_PER_BACKEND");
  }
};

TEST_F(NotificationStreamCapTest, ABackendsStreamsAreCappedPerReplica) {
  auto first = Subscribe("app-a");
  auto second = Subscribe("app-a");
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  const grpc::Status third = OpenAs(BackendToken("app-a"), req);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();
  EXPECT_EQ(ErrorReason(FromGrpcStatus(third)), "TOO_MANY_STREAMS");
  EXPECT_TRUE(RetryDelayOf(FromGrpcStatus(third)).has_value());
  EXPECT_TRUE(OpenAs(BackendToken("app-b"), req).ok());
  // A stream closed makes room again.
  first->Stop();
  EXPECT_TRUE(PollUntil([&] { return OpenAs(BackendToken("app-a"), req).ok(); }, absl::Seconds(5)));
}

}  // namespace
}  // namespace gnlc::enrollment::testing
