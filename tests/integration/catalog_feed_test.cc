// The change feed (ListProgramChanges) and replicas converging through the
// catalog stream, through gRPC over a real Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/catalog_harness.h"

namespace gnlc::catalog::testing {
namespace {

constexpr absl::Duration kDay = absl::Hours(24);

class FeedTest : public CatalogTest {
 protected:
  pb::ListProgramChangesResponse Changes(const std::string& cursor, int page_size = 0) {
    pb::ListProgramChangesRequest req;
    req.set_parent("cities/nanjing");
    req.set_cursor(cursor);
    req.set_page_size(page_size);
    pb::ListProgramChangesResponse resp;
    const grpc::Status s = replica_->stub->ListProgramChanges(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(FeedTest, ShowsChangesInOrderWithTombstones) {
  auto& stub = *replica_->stub;
  const auto a = MustCreateProgram(stub, NewProgram("甲", "A"));
  const auto b = MustCreateProgram(stub, NewProgram("乙", "B"));
  const auto offering =
      MustCreateOffering(stub, a.name(), NewOffering(absl::Now(), kDay, 32, 118.8, "gulou"));
  pb::DeleteProgramRequest del;
  del.set_name(a.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(stub.DeleteProgram(Ctx().get(), del, &deleted).ok());

  const auto feed = Changes("");
  // b untouched since creation; a and its offering deleted after it.
  ASSERT_EQ(feed.changes_size(), 3);
  EXPECT_EQ(feed.changes(0).name(), b.name());
  EXPECT_FALSE(feed.changes(0).deleted());
  EXPECT_EQ(feed.changes(0).program().title().en(), "B");
  EXPECT_EQ(feed.changes(1).name(), a.name());
  EXPECT_TRUE(feed.changes(1).deleted());
  EXPECT_FALSE(feed.changes(1).has_program());
  EXPECT_EQ(feed.changes(2).name(), offering.name());
  EXPECT_TRUE(feed.changes(2).deleted());
  EXPECT_LT(feed.changes(0).sequence(), feed.changes(1).sequence());
  EXPECT_LT(feed.changes(1).sequence(), feed.changes(2).sequence());
  EXPECT_FALSE(feed.has_more());
}

// Peers see a program when it is published and a tombstone while it is a
// draft (never its text); its offerings go in and out with it, after it.
TEST_F(FeedTest, DraftsAreTombstonesAndTheirOfferingsFollowThemOut) {
  auto& stub = *replica_->stub;
  pb::Program draft_in = NewProgram("草稿", "Secret draft");
  draft_in.set_state(pb::PROGRAM_STATE_DRAFT);
  const auto draft = MustCreateProgram(stub, draft_in);
  const auto offering =
      MustCreateOffering(stub, draft.name(), NewOffering(absl::Now(), kDay, 32, 118.8, "gulou"));
  const auto open = MustCreateProgram(stub, NewProgram("公开", "Public"));

  auto digest_count = [&] {
    pb::GetFeedDigestRequest req;
    req.set_parent("cities/nanjing");
    req.set_bucket_count(1);
    pb::GetFeedDigestResponse resp;
    EXPECT_TRUE(stub.GetFeedDigest(Ctx().get(), req, &resp).ok());
    return resp.buckets_size() == 1 ? resp.buckets(0).count() : -1;
  };
  auto feed = Changes("");
  ASSERT_EQ(feed.changes_size(), 3);
  EXPECT_EQ(feed.changes(0).name(), draft.name());
  EXPECT_TRUE(feed.changes(0).deleted());
  EXPECT_FALSE(feed.changes(0).has_program());
  EXPECT_EQ(feed.changes(1).name(), offering.name());
  EXPECT_TRUE(feed.changes(1).deleted());
  EXPECT_EQ(feed.changes(2).name(), open.name());
  EXPECT_FALSE(feed.changes(2).deleted());
  EXPECT_EQ(digest_count(), 1) << "the digest counts what peers may hold";

  // Published: the program, then its offering, after the cursor.
  pb::UpdateProgramRequest publish;
  publish.mutable_program()->set_name(draft.name());
  publish.mutable_program()->set_state(pb::PROGRAM_STATE_PUBLISHED);
  publish.mutable_update_mask()->add_paths("state");
  pb::UpdateProgramResponse published;
  ASSERT_TRUE(stub.UpdateProgram(Ctx().get(), publish, &published).ok());
  feed = Changes(feed.next_cursor());
  ASSERT_EQ(feed.changes_size(), 2);
  EXPECT_EQ(feed.changes(0).name(), draft.name());
  EXPECT_EQ(feed.changes(0).program().title().en(), "Secret draft");
  EXPECT_EQ(feed.changes(1).name(), offering.name());
  EXPECT_FALSE(feed.changes(1).deleted());
  EXPECT_EQ(digest_count(), 3);

  // Back to a draft: tombstones for both.
  publish.mutable_program()->set_state(pb::PROGRAM_STATE_DRAFT);
  ASSERT_TRUE(stub.UpdateProgram(Ctx().get(), publish, &published).ok());
  feed = Changes(feed.next_cursor());
  ASSERT_EQ(feed.changes_size(), 2);
  EXPECT_TRUE(feed.changes(0).deleted());
  EXPECT_EQ(feed.changes(0).name(), draft.name());
  EXPECT_TRUE(feed.changes(1).deleted());
  EXPECT_EQ(feed.changes(1).name(), offering.name());
  EXPECT_EQ(digest_count(), 1);
}

TEST_F(FeedTest, ResumesFromASavedCursorAfterTheServerRestarts) {
  auto& stub = *replica_->stub;
  for (int i = 0; i < 5; ++i) MustCreateProgram(stub, NewProgram("课", "c" + std::to_string(i)));
  const auto first = Changes("", 3);
  ASSERT_EQ(first.changes_size(), 3);
  EXPECT_TRUE(first.has_more());
  const std::string saved = first.next_cursor();

  // The harvested city restarts; the harvester comes back with its cursor.
  replica_.reset();
  replica_ = CatalogReplica::Start(redis_->address());
  const auto later = MustCreateProgram(*replica_->stub, NewProgram("新", "new"));
  const auto rest = Changes(saved);
  ASSERT_EQ(rest.changes_size(), 3);  // the 2 not yet seen, then the new one
  EXPECT_GT(rest.changes(0).sequence(), first.changes(2).sequence());
  EXPECT_EQ(rest.changes(2).name(), later.name());
  EXPECT_FALSE(rest.has_more());
  // Nothing new: the same cursor comes back, with no changes.
  const auto idle = Changes(rest.next_cursor());
  EXPECT_EQ(idle.changes_size(), 0);
  EXPECT_EQ(idle.next_cursor(), rest.next_cursor());
}

TEST_F(FeedTest, AnUpdateMovesTheProgramToTheEnd) {
  auto& stub = *replica_->stub;
  const auto a = MustCreateProgram(stub, NewProgram("甲", "A"));
  MustCreateProgram(stub, NewProgram("乙", "B"));
  const std::string cursor = Changes("").next_cursor();
  pb::UpdateProgramRequest up;
  up.mutable_program()->set_name(a.name());
  up.mutable_program()->mutable_title()->set_en("A2");
  up.mutable_update_mask()->add_paths("title.en");
  pb::UpdateProgramResponse updated;
  ASSERT_TRUE(stub.UpdateProgram(Ctx().get(), up, &updated).ok());
  const auto feed = Changes(cursor);
  ASSERT_EQ(feed.changes_size(), 1);
  EXPECT_EQ(feed.changes(0).program().title().en(), "A2");
  EXPECT_EQ(feed.changes(0).program().etag(), "2");
}

TEST_F(FeedTest, ForgedCursorIsInvalid) {
  pb::ListProgramChangesRequest req;
  req.set_parent("cities/nanjing");
  req.set_cursor("not-a-cursor!");
  pb::ListProgramChangesResponse resp;
  EXPECT_EQ(replica_->stub->ListProgramChanges(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(FeedTest, TwoReplicasConvergeWithinASecond) {
  auto second = CatalogReplica::Start(redis_->address());
  const auto p = MustCreateProgram(*replica_->stub, NewProgram("陶艺", "Pottery"));
  const auto o = MustCreateOffering(*replica_->stub, p.name(),
                                    NewOffering(absl::Now(), kDay, 32, 118.8, "gulou"));
  const absl::Time written = absl::Now();
  pb::SearchProgramsRequest req;
  req.set_query("陶艺");
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] {
        auto resp = MustSearch(*second->stub, req);
        return resp.results_size() == 1 && resp.results(0).program().offering_count() == 1;
      },
      absl::Seconds(1)))
      << "replica 2 did not see the write within 1 s";
  EXPECT_LT(absl::Now() - written, absl::Seconds(1));

  // And the other way round, for an update and a delete.
  pb::CancelOfferingRequest cancel;
  cancel.set_name(o.name());
  cancel.mutable_reason()->set_zh("场地维修");
  pb::CancelOfferingResponse cancelled;
  ASSERT_TRUE(second->stub->CancelOffering(Ctx().get(), cancel, &cancelled).ok());
  pb::DeleteProgramRequest del;
  del.set_name(p.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(second->stub->DeleteProgram(Ctx().get(), del, &deleted).ok());
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] { return MustSearch(*replica_->stub, req).results_size() == 0; }, absl::Seconds(1)));
}

TEST_F(FeedTest, AReplicaStartedLaterLoadsEverything) {
  for (int i = 0; i < 20; ++i) {
    const auto p = MustCreateProgram(*replica_->stub, NewProgram("舞蹈", "Dance"));
    MustCreateOffering(*replica_->stub, p.name(),
                       NewOffering(absl::Now(), kDay, 32, 118.8, "gulou"));
  }
  auto late = CatalogReplica::Start(redis_->address());
  EXPECT_EQ(late->service->index().program_count(), 20u);
  EXPECT_EQ(late->service->index().offering_count(), 20u);
  pb::SearchProgramsRequest req;
  req.set_query("dance");
  EXPECT_EQ(MustSearch(*late->stub, req).total_size(), 20);
}

}  // namespace
}  // namespace gnlc::catalog::testing
