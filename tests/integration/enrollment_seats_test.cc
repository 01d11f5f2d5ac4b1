// Seats and waitlists through the gRPC API: confirmed while seats last, a
// FIFO waitlist after, promotion on cancellation, idempotent retries, and
// the rules an app shows to residents.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "absl/strings/match.h"
#include "tests/integration/enrollment_harness.h"

namespace gnlc::enrollment::testing {
namespace {

using EnrollmentSeatsTest = EnrollmentTest;

TEST_F(EnrollmentSeatsTest, ConfirmsWhileSeatsLastThenWaitlistsInOrder) {
  const std::string offering = CreateOffering(2);
  std::vector<epb::Enrollment> got;
  for (int i = 0; i < 4; ++i) {
    auto e = Enroll(CreateLearner(), offering);
    ASSERT_TRUE(e.ok()) << e.status();
    got.push_back(*e);
  }
  EXPECT_EQ(got[0].state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_EQ(got[1].state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_EQ(got[2].state(), epb::ENROLLMENT_STATE_WAITLISTED);
  EXPECT_EQ(got[2].waitlist_position(), 1);
  EXPECT_EQ(got[3].waitlist_position(), 2);
  EXPECT_EQ(got[0].waitlist_position(), 0);
  EXPECT_TRUE(absl::StartsWith(got[0].name(), "cities/nanjing/enrollments/"));
  ASSERT_EQ(got[0].history_size(), 1);
  EXPECT_EQ(got[0].history(0).to_state(), epb::ENROLLMENT_STATE_CONFIRMED);

  auto seats = Seats(offering);
  ASSERT_TRUE(seats.ok()) << seats.status();
  EXPECT_EQ(seats->capacity(), 2);
  EXPECT_EQ(seats->taken(), 2);
  EXPECT_EQ(seats->free(), 0);
  EXPECT_EQ(seats->waitlist_length(), 2);

  // Cancelling a confirmed seat promotes the head of the waitlist at once.
  auto cancelled = Cancel(got[0].name());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), epb::ENROLLMENT_STATE_CANCELLED);
  auto promoted = Get(got[2].name());
  ASSERT_TRUE(promoted.ok());
  EXPECT_EQ(promoted->state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_EQ(promoted->waitlist_position(), 0);
  ASSERT_EQ(promoted->history_size(), 2);
  EXPECT_EQ(promoted->history(1).reason(), "promoted from waitlist");
  EXPECT_EQ(Get(got[3].name())->waitlist_position(), 1);

  // The promoted learner gets an event the mobile backend can notify on.
  bool promoted_event = false;
  for (const Event& e : EnrollmentEvents()) {
    if (e.has_enrollment_changed() &&
        e.enrollment_changed().change() == gnlc::events::v1::ENROLLMENT_CHANGE_PROMOTED) {
      promoted_event = e.enrollment_changed().enrollment().name() == got[2].name();
      EXPECT_EQ(e.enrollment_changed().enrollment().learner(), got[2].learner());
    }
  }
  EXPECT_TRUE(promoted_event);
  // Cancelling twice is not possible.
  EXPECT_EQ(CodeAndReason(Cancel(got[0].name()).status()),
            "FAILED_PRECONDITION ENROLLMENT_NOT_ACTIVE");
}

TEST_F(EnrollmentSeatsTest, TwoHundredConcurrentOnTenSeatsNeverOverbook) {
  const std::string offering = CreateOffering(10);
  std::vector<std::string> learners;
  for (int i = 0; i < 200; ++i) learners.push_back(CreateLearner());
  std::vector<epb::Enrollment> results(200);
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 200; i += 20) {
        auto e = Enroll(learners[i], offering);
        EXPECT_TRUE(e.ok()) << e.status();
        if (e.ok()) results[i] = *e;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<const epb::Enrollment*> waitlisted;
  int confirmed = 0;
  for (const auto& e : results) {
    if (e.state() == epb::ENROLLMENT_STATE_CONFIRMED) ++confirmed;
    if (e.state() == epb::ENROLLMENT_STATE_WAITLISTED) waitlisted.push_back(&e);
  }
  EXPECT_EQ(confirmed, 10);
  ASSERT_EQ(waitlisted.size(), 190u);
  std::sort(waitlisted.begin(), waitlisted.end(),
            [](auto* a, auto* b) { return a->waitlist_position() < b->waitlist_position(); });
  for (int i = 0; i < 190; ++i) EXPECT_EQ(waitlisted[i]->waitlist_position(), i + 1);

  // Ten cancellations promote positions 1..10, in that order.
  std::vector<std::string> seated;
  for (const auto& e : results) {
    if (e.state() == epb::ENROLLMENT_STATE_CONFIRMED) seated.push_back(e.name());
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Cancel(seated[i]).ok());
    EXPECT_EQ(Get(waitlisted[i]->name())->state(), epb::ENROLLMENT_STATE_CONFIRMED) << i;
    EXPECT_EQ(Get(waitlisted[i + 1]->name())->state(), epb::ENROLLMENT_STATE_WAITLISTED) << i;
  }
  EXPECT_EQ(Get(waitlisted[10]->name())->waitlist_position(), 1);
  EXPECT_EQ(Get(waitlisted[189]->name())->waitlist_position(), 180);
  auto seats = Seats(offering);
  EXPECT_EQ(seats->taken(), 10);
  EXPECT_EQ(seats->waitlist_length(), 180);
}

TEST_F(EnrollmentSeatsTest, SameRequestIdTwentyTimesConcurrentlyEnrollsOnce) {
  const std::string offering = CreateOffering(5);
  const std::string learner = CreateLearner();
  std::vector<std::string> responses(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto e = Enroll(learner, offering, "retry-7f3a");
      EXPECT_TRUE(e.ok()) << e.status();
      if (e.ok()) responses[i] = e->SerializeAsString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : responses) EXPECT_EQ(r, responses[0]);
  epb::Enrollment first;
  ASSERT_TRUE(first.ParseFromString(responses[0]));
  EXPECT_EQ(first.state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_EQ(Seats(offering)->taken(), 1);

  epb::ListEnrollmentsRequest list;
  list.set_learner(learner);
  epb::ListEnrollmentsResponse listed;
  ASSERT_TRUE(stub().ListEnrollments(catalog::testing::Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.enrollments_size(), 1);

  // The same key for another request is a client bug, said clearly.
  const std::string other = CreateOffering(5);
  EXPECT_EQ(CodeAndReason(Enroll(learner, other, "retry-7f3a").status()),
            "INVALID_ARGUMENT REQUEST_ID_REUSED");
}

TEST_F(EnrollmentSeatsTest, WaitlistedRetryReturnsTheOriginalPosition) {
  const std::string offering = CreateOffering(0);
  ASSERT_TRUE(Enroll(CreateLearner(), offering).ok());
  const std::string learner = CreateLearner();
  auto first = Enroll(learner, offering, "w-1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->waitlist_position(), 2);
  auto again = Enroll(learner, offering, "w-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
}

TEST_F(EnrollmentSeatsTest, OneActiveEnrollmentPerLearnerAndOffering) {
  const std::string offering = CreateOffering(5);
  const std::string learner = CreateLearner();
  auto first = Enroll(learner, offering);
  ASSERT_TRUE(first.ok());
  auto second = Enroll(learner, offering);
  EXPECT_EQ(CodeAndReason(second.status()), "ALREADY_EXISTS ALREADY_ENROLLED");
  EXPECT_NE(second.status().message().find(first->name()), absl::string_view::npos);
  // After cancelling, enrolling again is fine.
  ASSERT_TRUE(Cancel(first->name()).ok());
  EXPECT_TRUE(Enroll(learner, offering).ok());
}

TEST_F(EnrollmentSeatsTest, WaitlistLimitIsResourceExhausted) {
  OfferingSpec spec;
  spec.seats = 1;
  spec.waitlist_limit = 2;
  const std::string offering = CreateOffering(spec);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Enroll(CreateLearner(), offering).ok());
  EXPECT_EQ(CodeAndReason(Enroll(CreateLearner(), offering).status()),
            "RESOURCE_EXHAUSTED WAITLIST_FULL");
}

TEST_F(EnrollmentSeatsTest, UnlimitedCapacityConfirmsEveryone) {
  OfferingSpec spec;
  spec.unlimited = true;
  const std::string offering = CreateOffering(spec);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Enroll(CreateLearner(), offering)->state(), epb::ENROLLMENT_STATE_CONFIRMED);
  }
  auto seats = Seats(offering);
  EXPECT_EQ(seats->capacity(), -1);
  EXPECT_EQ(seats->free(), -1);
  EXPECT_EQ(seats->taken(), 5);
}

TEST_F(EnrollmentSeatsTest, RulesAnAppCanShow) {
  const std::string learner = CreateLearner();
  OfferingSpec later;
  later.opens_in = absl::Hours(1);
  EXPECT_EQ(CodeAndReason(Enroll(learner, CreateOffering(later)).status()),
            "FAILED_PRECONDITION ENROLLMENT_NOT_OPEN");
  OfferingSpec past;
  past.opens_in = -absl::Hours(3);
  past.starts_in = -absl::Hours(1);
  EXPECT_EQ(CodeAndReason(Enroll(learner, CreateOffering(past)).status()),
            "FAILED_PRECONDITION ENROLLMENT_CLOSED");
  OfferingSpec draft;
  draft.program_state = cpb::PROGRAM_STATE_DRAFT;
  EXPECT_EQ(CodeAndReason(Enroll(learner, CreateOffering(draft)).status()),
            "FAILED_PRECONDITION PROGRAM_NOT_PUBLISHED");
  EXPECT_EQ(CodeAndReason(Enroll(learner, "cities/nanjing/programs/p1/offerings/nope").status()),
            "NOT_FOUND OFFERING_NOT_FOUND");
  EXPECT_EQ(CodeAndReason(Enroll("cities/nanjing/learners/lnobody", CreateOffering(3)).status()),
            "NOT_FOUND LEARNER_NOT_FOUND");
  EXPECT_EQ(CodeAndReason(Enroll(learner, "cities/suzhou/programs/p1/offerings/o1").status()),
            "NOT_FOUND OTHER_CITY");
  EXPECT_EQ(Enroll(learner, "cities/nanjing/offerings/o1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Enroll(learner, CreateOffering(3), "bad key!").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A wrong program id with a real offering id is not that offering.
  const std::string real = CreateOffering(3);
  const std::string wrong =
      "cities/nanjing/programs/pwrong/offerings/" + real.substr(real.rfind('/') + 1);
  ASSERT_TRUE(Enroll(learner, real).ok());
  EXPECT_EQ(CodeAndReason(Enroll(CreateLearner(), wrong).status()), "NOT_FOUND OFFERING_NOT_FOUND");
}

}  // namespace
}  // namespace gnlc::enrollment::testing
