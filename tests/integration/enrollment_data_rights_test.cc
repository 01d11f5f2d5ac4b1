// Residents' data rights through the gRPC API: a learner's export holds
// everything kept about them; erasure removes it for good, from every key
// and stream entry in Redis, while anonymous counts stay.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/server/logging.h"
#include "google/protobuf/util/time_util.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_security.h"

namespace gnlc::enrollment::testing {
namespace {

using google::protobuf::util::TimeUtil;

class EnrollmentDataRightsTest : public EnrollmentTest {
 protected:
  // Everything Redis keeps on disk (the AOF files), as one string.
  std::string DiskContents() {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(redis_->dir())) {
      if (!entry.is_regular_file() || entry.path().filename() == "redis.log") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  // Waits until no AOF rewrite is scheduled or running.
  bool RewriteDone() {
    auto info = pool_->Command({"INFO", "persistence"});
    if (!info.ok()) return false;
    const std::string text(info->view().str());
    return absl::StrContains(text, "aof_rewrite_in_progress:0") &&
           absl::StrContains(text, "aof_rewrite_scheduled:0") &&
           absl::StrContains(text, "aof_last_bgrewrite_status:ok");
  }
};

TEST_F(EnrollmentDataRightsTest, ExportHoldsEverythingAndErasureLeavesNoTrace) {
  OfferingSpec skills;
  skills.kind = gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING;
  skills.seats = 1;
  const std::string course = CreateOffering(skills);
  const std::string workshop = CreateOffering(1);
  const std::string full = CreateOffering(0);

  epb::CreateLearnerRequest create;
  create.set_parent("cities/nanjing");
  create.mutable_learner()->set_external_subject("wechat-openid-93f1");
  create.mutable_learner()->set_district("jianye");
  create.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_YOUNG_ADULT);
  create.mutable_learner()->mutable_consents()->set_city_statistics(true);
  create.set_request_id("create-93f1");
  epb::CreateLearnerResponse created;
  ASSERT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), create, &created).ok());
  const std::string learner = created.learner().name();
  const std::string learner_id = learner.substr(learner.rfind('/') + 1);

  auto finished = Enroll(learner, course, "enrol-course-93f1");
  ASSERT_TRUE(Complete(finished->name()).ok());
  epb::RecordEmploymentOutcomeRequest job;
  job.set_enrollment(finished->name());
  job.mutable_outcome()->set_employed(true);
  *job.mutable_outcome()->mutable_employed_since() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now() - absl::Hours(48)));
  epb::RecordEmploymentOutcomeResponse job_resp;
  ASSERT_TRUE(stub().RecordEmploymentOutcome(catalog::testing::Ctx().get(), job, &job_resp).ok());
  epb::SubmitFeedbackRequest rate;
  rate.set_enrollment(finished->name());
  rate.mutable_feedback()->set_rating(5);
  rate.mutable_feedback()->set_comment("my private comment 7c1e");
  epb::SubmitFeedbackResponse rate_resp;
  ASSERT_TRUE(stub().SubmitFeedback(catalog::testing::Ctx().get(), rate, &rate_resp).ok());
  auto seated = Enroll(learner, workshop);
  const std::string next = CreateLearner();
  auto behind = Enroll(next, workshop);  // waits behind our learner
  auto waiting = Enroll(learner, full);
  ASSERT_TRUE(seated.ok() && behind.ok() && waiting.ok());
  EXPECT_EQ(behind->state(), epb::ENROLLMENT_STATE_WAITLISTED);

  epb::ExportLearnerDataRequest export_req;
  export_req.set_name(learner);
  epb::ExportLearnerDataResponse exported;
  ASSERT_TRUE(stub().ExportLearnerData(catalog::testing::Ctx().get(), export_req, &exported).ok());
  EXPECT_EQ(exported.learner().external_subject(), "wechat-openid-93f1");
  ASSERT_EQ(exported.enrollments_size(), 3);
  EXPECT_EQ(exported.enrollments(0).completion().outcome(), epb::COMPLETION_OUTCOME_PASSED);
  EXPECT_TRUE(exported.enrollments(0).employment().employed());
  EXPECT_EQ(exported.enrollments(0).feedback().comment(), "my private comment 7c1e");
  EXPECT_EQ(exported.enrollments(0).history_size(), 2);
  EXPECT_EQ(exported.enrollments(2).state(), epb::ENROLLMENT_STATE_WAITLISTED);
  EXPECT_EQ(exported.enrollments(2).waitlist_position(), 1);
  EXPECT_TRUE(exported.has_export_time());

  std::vector<std::string> our_ids;
  for (const auto& e : exported.enrollments())
    our_ids.push_back(e.name().substr(e.name().rfind('/') + 1));
  // Before erasure the dump does find them: the scan below can fail.
  bool seen_before = false;
  for (const auto& [key, text] : DumpRedis()) seen_before |= absl::StrContains(text, our_ids[0]);
  ASSERT_TRUE(seen_before);
  ASSERT_TRUE(
      gnlc::testing::PollUntil([&] { return absl::StrContains(DiskContents(), our_ids[0]); },
                               absl::Seconds(3)));  // AOF everysec

  epb::EraseLearnerRequest erase;
  erase.set_name(learner);
  epb::EraseLearnerResponse erased;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  EXPECT_TRUE(erased.erased());
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  EXPECT_FALSE(erased.erased());  // idempotent

  epb::GetLearnerRequest get;
  get.set_name(learner);
  epb::GetLearnerResponse got;
  EXPECT_EQ(stub().GetLearner(catalog::testing::Ctx().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(finished->name()).status().code(), absl::StatusCode::kNotFound);
  epb::ListEnrollmentsRequest list;
  list.set_learner(learner);
  epb::ListEnrollmentsResponse listed;
  EXPECT_EQ(stub().ListEnrollments(catalog::testing::Ctx().get(), list, &listed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Their seat went to the next in line; the completion still counts.
  EXPECT_EQ(Get(behind->name())->state(), epb::ENROLLMENT_STATE_CONFIRMED);
  EXPECT_EQ(Seats(course)->taken(), 1);
  EXPECT_EQ(Seats(full)->waitlist_length(), 0);

  // Nothing in Redis names their enrollments, their subject or their words;
  // their id remains only in the erasure event itself.
  int erasure_events = 0;
  for (const auto& [key, text] : DumpRedis()) {
    for (const auto& id : our_ids) EXPECT_FALSE(absl::StrContains(text, id)) << key;
    EXPECT_FALSE(absl::StrContains(text, "wechat-openid-93f1")) << key;
    EXPECT_FALSE(absl::StrContains(text, "my private comment")) << key;
    EXPECT_FALSE(absl::StrContains(text, "create-93f1")) << key;  // idempotency keys
    if (absl::StrContains(text, learner_id)) {
      EXPECT_EQ(key, "enr:{0}:events");
    }
  }
  for (const Event& e : EnrollmentEvents()) {
    if (e.has_learner_erased()) {
      EXPECT_EQ(e.learner_erased().learner(), learner);
      ++erasure_events;
    } else {
      EXPECT_FALSE(absl::StrContains(e.SerializeAsString(), learner_id)) << e.type();
    }
  }
  EXPECT_EQ(erasure_events, 1);
  // The erasure asked Redis to rewrite its AOF: the learner's old commands
  // are gone from the disk too.
  ASSERT_TRUE(gnlc::testing::PollUntil([&] { return RewriteDone(); }, absl::Seconds(10)));
  const std::string disk = DiskContents();
  for (const auto& id : our_ids) EXPECT_FALSE(absl::StrContains(disk, id)) << id;
  EXPECT_FALSE(absl::StrContains(disk, "my private comment"));
  EXPECT_FALSE(absl::StrContains(disk, "wechat-openid-93f1"));
  // The external subject is free again (the person may come back).
  create.set_request_id("create-93f1-again");
  EXPECT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), create, &created).ok());
}

// Who read whom: a city admin's read of a learner is on record, with where
// the call came from and which identity provider vouched for the caller,
// under a keyed pseudonym; the resident reading their own learner is not.
// Audit lines go to their own sink.
TEST_F(EnrollmentDataRightsTest, StaffReadsOfPersonalDataAreAuditedToTheAuditSink) {
  const std::string sink = redis_->dir() + "/audit.log";
  ASSERT_TRUE(SetAuditSink(sink).ok());
  absl::Cleanup to_stdout = [] { (void)SetAuditSink(""); };

  epb::CreateLearnerRequest create;
  create.set_parent("cities/nanjing");
  create.mutable_learner()->set_external_subject("resident-audit");
  create.mutable_learner()->set_district("gulou");
  create.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
  epb::CreateLearnerResponse created;
  ASSERT_TRUE(stub().CreateLearner(catalog::testing::Ctx().get(), create, &created).ok());
  const std::string learner = created.learner().name();
  auto read_as = [&](const std::string& token) {
    auto as = epb::EnrollmentService::NewStub(
        gnlc::testing::SecureChannel(enrollment_->server->port(), "nanjing", token));
    epb::GetLearnerRequest get;
    get.set_name(learner);
    epb::GetLearnerResponse got;
    return as->GetLearner(catalog::testing::Ctx().get(), get, &got).ok();
  };
  const std::string admin = gnlc::testing::TestToken(
      "nanjing",
      {.role = "city_admin", .subject = "clerk-7", .partner = "", .ttl = absl::Hours(1)});
  const std::string resident = gnlc::testing::TestToken(
      "nanjing",
      {.role = "resident", .subject = "resident-audit", .partner = "", .ttl = absl::Hours(1)});
  ASSERT_TRUE(read_as(admin));
  ASSERT_TRUE(read_as(admin));
  ASSERT_TRUE(read_as(resident));
  ASSERT_TRUE(SetAuditSink("").ok());  // flushed and closed

  std::ifstream in(sink);
  std::vector<nlohmann::json> reads;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_EQ(j.value("audit", false), true) << line;
    if (j.value("method", "") == "gnlc.enrollment.v1.EnrollmentService/GetLearner") {
      reads.push_back(j);
    }
  }
  ASSERT_EQ(reads.size(), 2u) << "the two admin reads, not the resident's own";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>("clerk-7"), 7, digest);
  const std::string bare =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 8));
  for (const auto& r : reads) {
    EXPECT_EQ(r.value("role", ""), "city_admin");
    EXPECT_EQ(r.value("resource", ""), learner);
    EXPECT_EQ(r.value("issuer", ""), "https://dev-idp.gnlc.local/nanjing");
    EXPECT_TRUE(absl::StartsWith(r.value("source", ""), "ipv4:127.0.0.1:")) << r.dump();
    const std::string pseudonym = r.value("subject", "");
    EXPECT_FALSE(pseudonym.empty());
    EXPECT_EQ(pseudonym.find("clerk-7"), std::string::npos);
    EXPECT_NE(pseudonym.substr(0, bare.size()), bare) << "a bare hash anyone can recompute";
  }
  EXPECT_EQ(reads[0].value("subject", ""), reads[1].value("subject", ""));
}

}  // namespace
}  // namespace gnlc::enrollment::testing
