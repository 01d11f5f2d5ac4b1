// What the city's Redis keeps only as long as it can matter: each key
// family that would otherwise grow forever, shown to go.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_connection.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quick_streams.h"

namespace gnlc::enrollment::testing {
namespace {

using DataRetentionTest = EnrollmentTest;
using gnlc::testing::PollUntil;

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

// The enrollment stream's owner trims every 50 ms here, one millisecond
// behind its readers.
class EventIdRetentionTest : public EnrollmentTest {
 protected:
  gnlc::testing::QuickStreams streams_;
  std::vector<std::string> Members(const std::string& key) {
    std::vector<std::string> out;
    auto r = pool_->Command({"ZRANGE", key, "0", "-1"});
    if (!r.ok()) return out;
    for (size_t i = 0; i < r->view().size(); ++i) out.emplace_back(r->view()[i].str());
    return out;
  }
  std::string Trimmed() {
    auto r = pool_->Command({"GET", "enr:{0}:events:trimmed"});
    return r.ok() && !r->view().is_nil() ? std::string(r->view().str()) : "";
  }
};

// The ids of a learner's enrollment events (which erasing the learner
// deletes from the stream) are kept only while the stream holds them, and
// expire after its retention, instead of one per event forever.
TEST_F(EventIdRetentionTest, ALearnersEventIdsGoOnceTheStreamNoLongerHoldsThem) {
  const std::string learner = CreateLearner();
  const std::string index = absl::StrCat("enr:{0}:lev:", LearnerId(learner));
  ASSERT_TRUE(Enroll(learner, CreateOffering(5)).ok());
  const std::vector<std::string> first = Members(index);
  ASSERT_EQ(first.size(), 1u);
  auto ttl = pool_->Command({"PTTL", index});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->view().integer(), 0);
  EXPECT_LE(ttl->view().integer(), int64_t{31} * 86400 * 1000);
  // Every reader has it: the owner trims past it.
  ASSERT_TRUE(PollUntil(
      [&] {
        const std::string t = Trimmed();
        return !t.empty() && CompareStreamIds(t, first[0]) > 0;
      },
      absl::Seconds(10)));
  auto e2 = Enroll(learner, CreateOffering(5));
  ASSERT_TRUE(e2.ok());
  const std::vector<std::string> now = Members(index);
  ASSERT_EQ(now.size(), 1u) << "the trimmed event's id is still remembered";
  EXPECT_NE(now[0], first[0]);

  // Erasure deletes what the stream still holds of the learner, and the
  // index.
  epb::EraseLearnerRequest erase;
  erase.set_name(learner);
  epb::EraseLearnerResponse erased;
  ASSERT_TRUE(stub().EraseLearner(catalog::testing::Ctx().get(), erase, &erased).ok());
  auto left = pool_->Command({"XRANGE", "enr:{0}:events", now[0], now[0]});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->view().size(), 0u);
  auto exists = pool_->Command({"EXISTS", index});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->view().integer(), 0);
}

// What earlier versions kept per enrollment (enr:{0}:evs, never trimmed)
// is swept away once the stream no longer holds those events.
TEST_F(EventIdRetentionTest, OldPerEnrollmentEventIdsAreSweptAway) {
  RedisConnection admin(redis_->AdminOptions());
  ASSERT_TRUE(admin.Command({"HSET", "enr:{0}:evs", "old-enrollment", "1-0 2-0 "}).ok());
  ASSERT_TRUE(admin.Command({"HSET", "enr:{0}:evs", "still-in-stream", "99999999999999-0 "}).ok());
  ASSERT_TRUE(Enroll(CreateLearner(), CreateOffering(5)).ok());  // a stream to trim
  EXPECT_TRUE(PollUntil(
      [&] {
        auto r = pool_->Command({"HEXISTS", "enr:{0}:evs", "old-enrollment"});
        return r.ok() && r->view().integer() == 0;
      },
      absl::Seconds(10)));
  auto kept = pool_->Command({"HGET", "enr:{0}:evs", "still-in-stream"});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->view().str(), "99999999999999-0 ");
}

}  // namespace
}  // namespace gnlc::enrollment::testing
