// What comes after enrolling, through the gRPC API: completion, employment
// outcomes of skills programs, feedback, and the lists a learner and an
// offering's staff see.
#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "tests/integration/enrollment_harness.h"

namespace gnlc::enrollment::testing {
namespace {

using google::protobuf::util::TimeUtil;
using EnrollmentOutcomesTest = EnrollmentTest;

TEST_F(EnrollmentOutcomesTest, CompletionEmploymentAndFeedbackOfASkillsProgram) {
  OfferingSpec skills;
  skills.kind = gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING;
  const std::string offering = CreateOffering(skills);
  auto e = Enroll(CreateLearner(), offering);
  ASSERT_TRUE(e.ok());
  // Not before completion.
  EXPECT_EQ(CodeAndReason(RecordEmployment(e->name(), false, {}).status()),
            "FAILED_PRECONDITION ENROLLMENT_NOT_COMPLETED");
  EXPECT_EQ(CodeAndReason(Rate(e->name(), 5).status()), "FAILED_PRECONDITION FEEDBACK_NOT_YET");

  auto done = Complete(e->name());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), epb::ENROLLMENT_STATE_COMPLETED);
  EXPECT_EQ(done->completion().outcome(), epb::COMPLETION_OUTCOME_PASSED);
  EXPECT_EQ(done->completion().hours(), 12);
  EXPECT_TRUE(done->completion().has_complete_time());
  EXPECT_EQ(done->history(done->history_size() - 1).to_state(), epb::ENROLLMENT_STATE_COMPLETED);
  EXPECT_EQ(CodeAndReason(Complete(e->name()).status()),
            "FAILED_PRECONDITION ENROLLMENT_NOT_CONFIRMED");
  // The seat stays used: a completion does not hand it to the waitlist.
  EXPECT_EQ(Seats(offering)->taken(), 1);

  const absl::Time since = absl::Now() - absl::Hours(24 * 30);
  auto employed = RecordEmployment(e->name(), true, since);
  ASSERT_TRUE(employed.ok()) << employed.status();
  EXPECT_TRUE(employed->employment().employed());
  EXPECT_EQ(employed->employment().employed_since().seconds(), absl::ToUnixSeconds(since));
  EXPECT_EQ(RecordEmployment(e->name(), true, absl::Time()).status().code(),
            absl::StatusCode::kOk);  // the epoch is a valid (if odd) date
  EXPECT_EQ(RecordEmployment(e->name(), true, absl::Now() + absl::Hours(24 * 10)).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto rated = Rate(e->name(), 4, "老师讲得很清楚 / clear teacher");
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_EQ(rated->feedback().rating(), 4);
  // One per enrollment, updatable.
  auto again = Rate(e->name(), 5);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Get(e->name())->feedback().rating(), 5);
  EXPECT_EQ(Get(e->name())->feedback().comment(), "");
  EXPECT_EQ(Rate(e->name(), 6).status().code(), absl::StatusCode::kInvalidArgument);

  // Every step published its event, with the facts analytics needs.
  std::vector<int> changes;
  for (const Event& ev : EnrollmentEvents()) {
    if (!ev.has_enrollment_changed()) continue;
    changes.push_back(ev.enrollment_changed().change());
    EXPECT_EQ(ev.enrollment_changed().program_kind(), gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING);
    EXPECT_EQ(ev.enrollment_changed().learner_district(), "gulou");
    EXPECT_TRUE(ev.enrollment_changed().counts_in_statistics());
  }
  using gnlc::events::v1::EnrollmentChange;
  EXPECT_EQ(changes, (std::vector<int>{
                         gnlc::events::v1::ENROLLMENT_CHANGE_ENROLLED,
                         gnlc::events::v1::ENROLLMENT_CHANGE_COMPLETED,
                         gnlc::events::v1::ENROLLMENT_CHANGE_EMPLOYMENT_RECORDED,
                         gnlc::events::v1::ENROLLMENT_CHANGE_EMPLOYMENT_RECORDED,
                         gnlc::events::v1::ENROLLMENT_CHANGE_FEEDBACK_GIVEN,
                         gnlc::events::v1::ENROLLMENT_CHANGE_FEEDBACK_GIVEN,
                     }));
}

TEST_F(EnrollmentOutcomesTest, EmploymentOnlyForSkillsProgramsFeedbackAfterTheEnd) {
  const std::string workshop = CreateOffering(3);
  auto e = Enroll(CreateLearner(), workshop);
  ASSERT_TRUE(Complete(e->name()).ok());
  EXPECT_EQ(CodeAndReason(RecordEmployment(e->name(), false, {}).status()),
            "FAILED_PRECONDITION NOT_SKILLS_PROGRAM");

  // An offering that has ended takes feedback from a confirmed learner too.
  OfferingSpec ended;
  ended.opens_in = -absl::Hours(10);
  ended.starts_in = absl::Minutes(1);
  ended.lasts = absl::Seconds(1);
  const std::string short_one = CreateOffering(ended);
  auto confirmed = Enroll(CreateLearner(), short_one);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(CodeAndReason(Rate(confirmed->name(), 5).status()),
            "FAILED_PRECONDITION FEEDBACK_NOT_YET");
  AdvanceClock(absl::Hours(1));
  auto rated = Rate(confirmed->name(), 5);
  EXPECT_TRUE(rated.ok()) << rated.status();
  AdvanceClock(-absl::Hours(1));
  // Without consent to statistics, events carry no district or age band.
  const std::string private_learner = CreateLearner("xuanwu", /*consents=*/false);
  ASSERT_TRUE(Enroll(private_learner, workshop).ok());
  const auto events = EnrollmentEvents();
  const auto& last = [&]() -> const Event& {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->has_enrollment_changed()) return *it;
    }
    return events.back();
  }();
  EXPECT_EQ(last.enrollment_changed().enrollment().learner(), private_learner);
  EXPECT_EQ(last.enrollment_changed().learner_district(), "");
  EXPECT_EQ(last.enrollment_changed().learner_age_band(), 0);
  EXPECT_FALSE(last.enrollment_changed().counts_in_statistics());
}

TEST_F(EnrollmentOutcomesTest, ListsALearnersEnrollmentsAndAnOfferingsRosterWithPaging) {
  const std::string learner = CreateLearner();
  std::vector<std::string> offerings;
  for (int i = 0; i < 7; ++i) offerings.push_back(CreateOffering(i < 5 ? 1 : 0));
  std::vector<std::string> names;
  for (const auto& o : offerings) names.push_back(Enroll(learner, o)->name());
  ASSERT_TRUE(Cancel(names[1]).ok());

  auto list = [&](epb::ListEnrollmentsRequest req) {
    std::vector<epb::Enrollment> all;
    int pages = 0;
    do {
      epb::ListEnrollmentsResponse resp;
      const grpc::Status s = stub().ListEnrollments(catalog::testing::Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : resp.enrollments()) all.push_back(e);
      req.set_page_token(resp.next_page_token());
      ++pages;
    } while (!req.page_token().empty() && pages < 20);
    return std::make_pair(all, pages);
  };
  epb::ListEnrollmentsRequest mine;
  mine.set_learner(learner);
  mine.set_page_size(3);
  auto [all, pages] = list(mine);
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(pages, 3);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(all[i].name(), names[i]);  // oldest first
  EXPECT_EQ(all[5].state(), epb::ENROLLMENT_STATE_WAITLISTED);
  EXPECT_EQ(all[5].waitlist_position(), 1);

  mine.set_state(epb::ENROLLMENT_STATE_CANCELLED);
  auto [cancelled, cancelled_pages] = list(mine);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].name(), names[1]);

  // An offering's roster, waitlisted only.
  std::vector<std::string> waiting;
  for (int i = 0; i < 3; ++i) waiting.push_back(Enroll(CreateLearner(), offerings[0])->name());
  epb::ListEnrollmentsRequest roster;
  roster.set_offering(offerings[0]);
  roster.set_state(epb::ENROLLMENT_STATE_WAITLISTED);
  auto [queue, queue_pages] = list(roster);
  ASSERT_EQ(queue.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(queue[i].name(), waiting[i]);
    EXPECT_EQ(queue[i].waitlist_position(), i + 1);
  }

  // Bad requests say what to fix.
  epb::ListEnrollmentsRequest both;
  both.set_learner(learner);
  both.set_offering(offerings[0]);
  epb::ListEnrollmentsResponse resp;
  EXPECT_EQ(stub().ListEnrollments(catalog::testing::Ctx().get(), both, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  epb::ListEnrollmentsRequest forged = roster;
  forged.set_page_token("bm90LWEtdG9rZW4");
  EXPECT_EQ(stub().ListEnrollments(catalog::testing::Ctx().get(), forged, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  epb::ListEnrollmentsRequest bad_state = roster;
  bad_state.set_state(static_cast<epb::EnrollmentState>(42));
  EXPECT_EQ(stub().ListEnrollments(catalog::testing::Ctx().get(), bad_state, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EnrollmentOutcomesTest, LearnersAreValidatedAndUpdatedWithEtags) {
  epb::CreateLearnerRequest req;
  req.set_parent("cities/nanjing");
  req.mutable_learner()->set_district("atlantis");
  req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_SENIOR);
  epb::CreateLearnerResponse created;
  EXPECT_EQ(stub().CreateLearner(catalog::testing::Ctx().get(), req, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.mutable_learner()->set_district("qinhuai");
  req.mutable_learner()->set_external_subject("app-user-81");
  req.set_request_id("make-81");
  ASSERT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), req, &created).ok());
  epb::CreateLearnerResponse repeated;
  ASSERT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), req, &repeated).ok());
  EXPECT_EQ(repeated.learner().name(), created.learner().name());
  req.set_request_id("make-82");
  EXPECT_EQ(stub().CreateLearner(catalog::testing::Ctx().get(), req, &repeated).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);  // the subject is taken

  epb::UpdateLearnerRequest update;
  update.mutable_learner()->set_name(created.learner().name());
  update.mutable_learner()->mutable_consents()->set_city_statistics(true);
  update.mutable_update_mask()->add_paths("consents");
  update.set_etag("1");
  epb::UpdateLearnerResponse updated;
  ASSERT_TRUE(stub().UpdateLearner(catalog::testing::Ctx().get(), update, &updated).ok());
  EXPECT_TRUE(updated.learner().consents().city_statistics());
  EXPECT_EQ(updated.learner().etag(), "2");
  EXPECT_EQ(updated.learner().district(), "qinhuai");
  EXPECT_EQ(stub().UpdateLearner(catalog::testing::Ctx().get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);  // stale etag
  update.clear_etag();
  update.mutable_update_mask()->set_paths(0, "external_subject");
  EXPECT_EQ(stub().UpdateLearner(catalog::testing::Ctx().get(), update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace gnlc::enrollment::testing
