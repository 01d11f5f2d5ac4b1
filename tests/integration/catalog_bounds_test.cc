// The bounds on one call's work, through gRPC: each refused with
// INVALID_ARGUMENT naming the field, and pages cut short by size.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::catalog::testing {
namespace {

class BoundsTest : public CatalogTest {
 protected:
  grpc::Status Search(const pb::SearchProgramsRequest& req, pb::SearchProgramsResponse& resp) {
    return stub().SearchPrograms(Ctx().get(), req, &resp);
  }
  static std::string FieldOf(const grpc::Status& s) {
    return ErrorMetadataOf(FromGrpcStatus(s))["field"];
  }
};

TEST_F(BoundsTest, RadiusAbove50KmIsRefused) {
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.mutable_near()->mutable_center()->set_latitude(32.06);
  req.mutable_near()->mutable_center()->set_longitude(118.79);
  req.mutable_near()->set_radius_meters(50000);
  pb::SearchProgramsResponse resp;
  EXPECT_TRUE(Search(req, resp).ok());
  req.mutable_near()->set_radius_meters(50001);
  const grpc::Status s = Search(req, resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "near.radius_meters");
}

TEST_F(BoundsTest, QueryWithTooManyTermsIsRefused) {
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  std::string words;
  for (int i = 0; i < 32; ++i) absl::StrAppend(&words, "w", i, " ");
  req.set_query(words);
  pb::SearchProgramsResponse resp;
  EXPECT_TRUE(Search(req, resp).ok());
  req.set_query(words + "w32");
  const grpc::Status s = Search(req, resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "query");
}

TEST_F(BoundsTest, TooManyFilterValuesOrBatchNamesAreRefused) {
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  for (int i = 0; i < 21; ++i) req.add_topics(absl::StrCat("t", i));
  pb::SearchProgramsResponse resp;
  const grpc::Status s = Search(req, resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "topics");
  pb::BatchGetOfferingsRequest batch;
  for (int i = 0; i < 101; ++i) {
    batch.add_names(absl::StrCat("cities/nanjing/programs/p1/offerings/o", i));
  }
  pb::BatchGetOfferingsResponse got;
  EXPECT_EQ(stub().BatchGetOfferings(Ctx().get(), batch, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Programs with the longest descriptions allowed: 500 of them would be
// several times gRPC's message limit, so pages are cut short by size and
// every program still comes back exactly once.
TEST_F(BoundsTest, PagesOfLargeProgramsAreCutShortBySize) {
  std::string long_zh;
  for (int i = 0; i < 3990; ++i) long_zh += "学";
  std::string long_en(3990, 'x');
  constexpr int kPrograms = 80;
  for (int i = 0; i < kPrograms; ++i) {
    pb::Program p = NewProgram(absl::StrCat("大课", i), absl::StrCat("Big course ", i));
    p.mutable_description()->set_zh(long_zh);
    p.mutable_description()->set_en(long_en);
    MustCreateProgram(stub(), p);
  }
  std::set<std::string> seen;
  pb::ListProgramsRequest list;
  list.set_parent("cities/nanjing");
  list.set_page_size(500);
  int pages = 0;
  do {
    pb::ListProgramsResponse resp;
    ASSERT_TRUE(stub().ListPrograms(Ctx().get(), list, &resp).ok());
    EXPECT_LE(resp.ByteSizeLong(), 1200u * 1024u);
    for (const auto& p : resp.programs()) EXPECT_TRUE(seen.insert(p.name()).second);
    list.set_page_token(resp.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(static_cast<int>(seen.size()), kPrograms);
  EXPECT_GE(pages, 2);

  pb::SearchProgramsRequest search;
  search.set_parent("cities/nanjing");
  search.set_query("big course");
  search.set_page_size(500);
  pb::SearchProgramsResponse first;
  ASSERT_TRUE(Search(search, first).ok());
  EXPECT_EQ(first.total_size(), kPrograms);
  EXPECT_LT(first.results_size(), kPrograms);
  EXPECT_FALSE(first.next_page_token().empty());
  EXPECT_LE(first.ByteSizeLong(), 1200u * 1024u);

  pb::ListProgramChangesRequest feed;
  feed.set_parent("cities/nanjing");
  feed.set_page_size(1000);
  pb::ListProgramChangesResponse changes;
  ASSERT_TRUE(stub().ListProgramChanges(Ctx().get(), feed, &changes).ok());
  EXPECT_TRUE(changes.has_more());
  EXPECT_LT(changes.changes_size(), kPrograms);
}

}  // namespace
}  // namespace gnlc::catalog::testing
