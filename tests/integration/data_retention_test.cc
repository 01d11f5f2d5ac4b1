// What the city's Redis keeps only as long as it can matter: each key
// family that would otherwise grow forever, shown to go.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_connection.h"
#include "tests/integration/enrollment_harness.h"

namespace gnlc::enrollment::testing {
namespace {

using DataRetentionTest = EnrollmentTest;

std::string LearnerId(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// Request ids (idempotency keys) live a day; the learner's index of them
// (enr:{0}:lreq:{learner}, which erasure reads) keeps only those that may
// still exist and expires with the last, instead of growing by one id per
// request forever.
TEST_F(DataRetentionTest, RequestIdsAndTheLearnersIndexOfThemGoAfterADay) {
  const std::string learner = CreateLearner();
  const std::string index = absl::StrCat("enr:{0}:lreq:", LearnerId(learner));
  ASSERT_TRUE(Enroll(learner, CreateOffering(5), "first-request").ok());
  auto type = pool_->Command({"TYPE", index});
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(type->view().str(), "zset");
  auto ttl = pool_->Command({"TTL", index});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->view().integer(), 0);
  EXPECT_LE(ttl->view().integer(), 86400);
  auto key_ttl = pool_->Command({"TTL", "enr:{0}:req:e:first-request"});
  ASSERT_TRUE(key_ttl.ok());
  EXPECT_GT(key_ttl->view().integer(), 0);
  EXPECT_LE(key_ttl->view().integer(), 86400);

  // A day later the first request's key is gone (Redis expires it), and
  // the next request drops it from the index: one entry, not two.
  AdvanceClock(absl::Hours(25));
  ASSERT_TRUE(Enroll(learner, CreateOffering(5), "second-request").ok());
  auto members = pool_->Command({"ZRANGE", index, "0", "-1"});
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->view().size(), 1u);
  EXPECT_EQ(members->view()[0].str(), "enr:{0}:req:e:second-request");
}

// An index written as a plain set (before it expired) is taken over by the
// next request, and erasure still deletes every request key it names.
TEST_F(DataRetentionTest, AnOldRequestIndexIsTakenOverAndErasureStillDeletesItsKeys) {
  const std::string learner = CreateLearner();
  const std::string index = absl::StrCat("enr:{0}:lreq:", LearnerId(learner));
  RedisConnection admin(redis_->AdminOptions());
  ASSERT_TRUE(admin.Command({"HSET", "enr:{0}:req:e:old", "fp", "x"}).ok());
  ASSERT_TRUE(admin.Command({"SADD", index, "enr:{0}:req:e:old"}).ok());
  ASSERT_TRUE(Enroll(learner, CreateOffering(5), "new-request").ok());
  auto members = pool_->Command({"ZRANGE", index, "0", "-1"});
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->view().size(), 2u);

  epb::EraseLearnerRequest erase;
  erase.set_name(learner);
  epb::EraseLearnerResponse erased;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  for (const char* key : {"enr:{0}:req:e:old", "enr:{0}:req:e:new-request"}) {
    auto exists = pool_->Command({"EXISTS", key});
    ASSERT_TRUE(exists.ok());
    EXPECT_EQ(exists->view().integer(), 0) << key;
  }
  auto left = pool_->Command({"EXISTS", index});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->view().integer(), 0);
}

}  // namespace
}  // namespace gnlc::enrollment::testing
