#include "tools/demo/enrollment_demo.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gnlc/type/v1/program_kind.pb.h"
#include "google/protobuf/util/time_util.h"
#include "tools/demo/demo_rpc.h"

namespace gnlc::demo {
namespace {

namespace pb = gnlc::enrollment::v1;
using google::protobuf::util::TimeUtil;

constexpr int kLearners = 60;
constexpr const char* kComments[] = {
    "老师很耐心，学到了实用的技能。 / Patient teacher, practical skills.",
    "希望多开几期。 / Please run it again.",
    "和孙子一起来的，很开心。 / Came with my grandson, we loved it.",
    "场地有点远。 / The venue is a bit far.",
    "",
};

struct Counts {
  int enrolled = 0, waitlisted = 0, promoted = 0, completed = 0, employed = 0, feedback = 0;
};

class Loader {
 public:
  Loader(pb::EnrollmentService::Stub& stub, const CityConfig& config)
      : stub_(stub), config_(config), city_(config.city_id()) {}

  bool CreateLearners() {
    for (int i = 0; i < kLearners; ++i) {
      pb::CreateLearnerRequest req;
      req.set_parent("cities/" + city_);
      req.set_request_id(absl::StrCat("demo-learner-", i));
      pb::Learner& l = *req.mutable_learner();
      l.set_district(config_.districts(i % config_.districts_size()).id());
      // They came through the city's app: its backend gets their notifications.
      l.set_backend(city_ + "-app");
      l.set_age_band(static_cast<gnlc::type::v1::AgeBand>(1 + (i * 7) % 5));
      l.mutable_consents()->set_city_statistics(i % 7 != 3);  // most consent
      l.mutable_consents()->set_share_progress_with_provider(i % 2 == 0);
      pb::CreateLearnerResponse resp;
      if (!Ok(Call([&](grpc::ClientContext* c) { return stub_.CreateLearner(c, req, &resp); }),
              req.request_id())) {
        return false;
      }
      learners_.push_back(resp.learner().name());
    }
    return true;
  }

  // Enrolls `n` learners from `first` on; returns the enrollments.
  std::vector<pb::Enrollment> Enroll(const DemoOffering& o, int first, int n) {
    std::vector<pb::Enrollment> out;
    for (int i = 0; i < n; ++i) {
      pb::CreateEnrollmentRequest req;
      req.set_parent("cities/" + city_);
      req.set_learner(learners_[(first + i) % learners_.size()]);
      req.set_offering(o.name);
      req.set_request_id(absl::StrCat("demo-", (first + i) % learners_.size(), "-",
                                      o.name.substr(o.name.rfind('/') + 1)));
      pb::CreateEnrollmentResponse resp;
      if (!Ok(Call([&](grpc::ClientContext* c) { return stub_.CreateEnrollment(c, req, &resp); }),
              req.request_id())) {
        continue;
      }
      if (resp.enrollment().state() == pb::ENROLLMENT_STATE_WAITLISTED) {
        ++counts_.waitlisted;
      } else {
        ++counts_.enrolled;
      }
      out.push_back(resp.enrollment());
    }
    return out;
  }

  void Complete(const pb::Enrollment& e, pb::CompletionOutcome outcome, double hours) {
    pb::CompleteEnrollmentRequest req;
    req.set_name(e.name());
    req.mutable_completion()->set_outcome(outcome);
    req.mutable_completion()->set_hours(hours);
    pb::CompleteEnrollmentResponse resp;
    if (Ok(Call([&](grpc::ClientContext* c) { return stub_.CompleteEnrollment(c, req, &resp); }),
           e.name())) {
      ++counts_.completed;
    }
  }

  void Employment(const pb::Enrollment& e, bool employed, int days_ago) {
    pb::RecordEmploymentOutcomeRequest req;
    req.set_enrollment(e.name());
    req.mutable_outcome()->set_employed(employed);
    if (employed) {
      *req.mutable_outcome()->mutable_employed_since() = TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(absl::Now() - absl::Hours(24 * days_ago)));
    }
    pb::RecordEmploymentOutcomeResponse resp;
    if (Ok(Call([&](grpc::ClientContext* c) {
             return stub_.RecordEmploymentOutcome(c, req, &resp);
           }),
           e.name()) &&
        employed) {
      ++counts_.employed;
    }
  }

  void Feedback(const pb::Enrollment& e, int i) {
    static constexpr int kRatings[] = {5, 4, 5, 3, 4, 5, 2, 4, 5, 4};
    pb::SubmitFeedbackRequest req;
    req.set_enrollment(e.name());
    req.mutable_feedback()->set_rating(kRatings[i % 10]);
    req.mutable_feedback()->set_comment(kComments[i % 5]);
    pb::SubmitFeedbackResponse resp;
    if (Ok(Call([&](grpc::ClientContext* c) { return stub_.SubmitFeedback(c, req, &resp); }),
           e.name())) {
      ++counts_.feedback;
    }
  }

  void Cancel(const pb::Enrollment& e) {
    pb::CancelEnrollmentRequest req;
    req.set_name(e.name());
    req.mutable_reason()->set_zh("时间冲突");
    req.mutable_reason()->set_en("Schedule conflict");
    pb::CancelEnrollmentResponse resp;
    if (Ok(Call([&](grpc::ClientContext* c) { return stub_.CancelEnrollment(c, req, &resp); }),
           e.name())) {
      ++counts_.promoted;  // the head of the waitlist takes the seat
    }
  }

  const Counts& counts() const { return counts_; }
  bool failed() const { return failed_; }

 private:
  bool Ok(const grpc::Status& s, const std::string& what) {
    if (s.ok()) return true;
    std::fprintf(stderr, "gnlc-demo-load: %s: %s\n", what.c_str(), s.error_message().c_str());
    failed_ = true;
    return false;
  }

  pb::EnrollmentService::Stub& stub_;
  const CityConfig& config_;
  const std::string city_;
  std::vector<std::string> learners_;
  Counts counts_;
  bool failed_ = false;
};

}  // namespace

int LoadEnrollmentDemo(pb::EnrollmentService::Stub& stub, const CityConfig& config,
                       const std::vector<DemoOffering>& offerings) {
  Loader loader(stub, config);
  if (!loader.CreateLearners()) return 1;
  std::vector<const DemoOffering*> open;
  for (const auto& o : offerings) {
    if (o.open_now) open.push_back(&o);
  }
  // The smallest limited offering gets a waitlist.
  const DemoOffering* smallest = nullptr;
  for (const DemoOffering* o : open) {
    if (o->seats > 0 && (smallest == nullptr || o->seats < smallest->seats)) smallest = o;
  }
  int first = 0, feedback = 0;
  for (const DemoOffering* o : open) {
    const bool skills = o->kind == gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING;
    int n = skills ? 24 : 6 + (first % 9);
    if (o == smallest) n = o->seats + 4;
    if (o->seats >= 0) n = std::min(n, o->seats + 4);
    auto enrolled = loader.Enroll(*o, first, n);
    first += 7;
    if (o == smallest && !enrolled.empty()) loader.Cancel(enrolled.front());
    // The first ones have finished (a demo has no time machine: they were
    // completed early), some passed an assessment, all may give feedback.
    const int completing = skills ? 14 : static_cast<int>(enrolled.size()) / 3;
    for (int i = 0; i < completing && i < static_cast<int>(enrolled.size()); ++i) {
      const auto& e = enrolled[i];
      if (o == smallest && i == 0) continue;  // cancelled above
      if (e.state() != gnlc::enrollment::v1::ENROLLMENT_STATE_CONFIRMED) continue;
      const bool failed = skills && i % 7 == 6;
      loader.Complete(e,
                      skills
                          ? (failed ? pb::COMPLETION_OUTCOME_FAILED : pb::COMPLETION_OUTCOME_PASSED)
                          : pb::COMPLETION_OUTCOME_COMPLETED,
                      skills ? 120 : 6);
      if (skills && !failed) loader.Employment(e, i % 4 != 3, 10 + 5 * i);
      if (i % 4 != 2) loader.Feedback(e, feedback++);
    }
  }
  const Counts& c = loader.counts();
  std::printf(
      "%s: %d learners; %d enrollments confirmed, %d waitlisted, %d promoted after a "
      "cancellation; %d completed, %d employed after the skills course, %d feedback\n",
      config.city_id().c_str(), kLearners, c.enrolled, c.waitlisted, c.promoted, c.completed,
      c.employed, c.feedback);
  return loader.failed() ? 1 : 0;
}

}  // namespace gnlc::demo
