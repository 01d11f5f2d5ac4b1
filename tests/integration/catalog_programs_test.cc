// Programs through the real gRPC interface over a real Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/test_security.h"

namespace gnlc::catalog::testing {
namespace {

using ::testing::HasSubstr;

class ProgramsTest : public CatalogTest {};

TEST_F(ProgramsTest, CreateThenGetReturnsTheSameProgram) {
  pb::Program in = NewProgram("书法入门", "Calligraphy for beginners");
  in.add_topics("Calligraphy");
  in.set_district("gulou");
  const pb::Program created = MustCreateProgram(stub(), in);
  EXPECT_THAT(created.name(), HasSubstr("cities/nanjing/programs/p"));
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(created.origin_city(), "nanjing");
  EXPECT_EQ(created.topics(0), "calligraphy");  // normalized to lower case

  pb::GetProgramRequest get;
  get.set_name(created.name());
  pb::GetProgramResponse got;
  ASSERT_TRUE(stub().GetProgram(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.program().title().zh(), "书法入门");
  EXPECT_EQ(got.program().district(), "gulou");
  EXPECT_EQ(got.program().create_time().seconds(), created.create_time().seconds());
}

TEST_F(ProgramsTest, RepeatedRequestIdReturnsTheFirstProgramAndCreatesNothing) {
  const pb::Program first = MustCreateProgram(stub(), NewProgram("茶艺", "Tea art"), "req-1");
  const pb::Program again = MustCreateProgram(stub(), NewProgram("茶艺", "Tea art"), "req-1");
  const pb::Program other = MustCreateProgram(stub(), NewProgram("茶艺", "Tea art"), "req-2");
  EXPECT_EQ(first.name(), again.name());
  EXPECT_NE(first.name(), other.name());
  pb::ListProgramsRequest list;
  list.set_parent("cities/nanjing");
  pb::ListProgramsResponse listed;
  ASSERT_TRUE(stub().ListPrograms(Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.programs_size(), 2);
}

TEST_F(ProgramsTest, UpdateChangesOnlyMaskedFields) {
  pb::Program in = NewProgram("摄影", "Photography");
  in.add_topics("photo");
  const pb::Program created = MustCreateProgram(stub(), in);
  pb::UpdateProgramRequest req;
  req.mutable_program()->set_name(created.name());
  req.mutable_program()->mutable_title()->set_en("Street photography");
  req.mutable_program()->mutable_title()->set_zh("should not be written");
  // topics not in the mask: the empty list in the request must not clear them.
  req.mutable_update_mask()->add_paths("title.en");
  req.set_etag(created.etag());
  pb::UpdateProgramResponse resp;
  const grpc::Status s = stub().UpdateProgram(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.program().title().en(), "Street photography");
  EXPECT_EQ(resp.program().title().zh(), "摄影");
  ASSERT_EQ(resp.program().topics_size(), 1);
  EXPECT_EQ(resp.program().etag(), "2");
}

TEST_F(ProgramsTest, StaleEtagIsAborted) {
  const pb::Program created = MustCreateProgram(stub(), NewProgram("围棋", "Go"));
  pb::UpdateProgramRequest req;
  req.mutable_program()->set_name(created.name());
  req.mutable_program()->mutable_title()->set_en("Go for kids");
  req.mutable_update_mask()->add_paths("title.en");
  req.set_etag("1");
  pb::UpdateProgramResponse resp;
  ASSERT_TRUE(stub().UpdateProgram(Ctx().get(), req, &resp).ok());
  req.mutable_program()->mutable_title()->set_en("Go for seniors");
  const grpc::Status stale = stub().UpdateProgram(Ctx().get(), req, &resp);  // etag 1 again
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(stale)), "STALE_ETAG");
  EXPECT_EQ(ErrorMetadataOf(FromGrpcStatus(stale)).at("current_etag"), "2");
}

TEST_F(ProgramsTest, DeletedProgramIsNotFoundAndLeavesSearch) {
  const pb::Program created = MustCreateProgram(stub(), NewProgram("剪纸", "Paper cutting"));
  pb::DeleteProgramRequest del;
  del.set_name(created.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(stub().DeleteProgram(Ctx().get(), del, &deleted).ok());
  pb::GetProgramRequest get;
  get.set_name(created.name());
  pb::GetProgramResponse got;
  EXPECT_EQ(stub().GetProgram(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::SearchProgramsRequest search;
  search.set_query("剪纸");
  EXPECT_EQ(MustSearch(stub(), search).total_size(), 0);
  // Deleting again is NOT_FOUND, not a second tombstone.
  EXPECT_EQ(stub().DeleteProgram(Ctx().get(), del, &deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

struct InvalidProgramCase {
  std::string label;
  std::function<void(pb::Program&)> mutate;
  std::string field;
  friend void PrintTo(const InvalidProgramCase& c, std::ostream* os) { *os << c.label; }
};

class InvalidProgramTest : public ProgramsTest,
                           public ::testing::WithParamInterface<InvalidProgramCase> {};

TEST_P(InvalidProgramTest, IsRejectedNamingTheField) {
  pb::Program p = NewProgram("书法", "Calligraphy");
  GetParam().mutate(p);
  pb::CreateProgramRequest req;
  req.set_parent("cities/nanjing");
  *req.mutable_program() = p;
  pb::CreateProgramResponse resp;
  const grpc::Status s = stub().CreateProgram(Ctx().get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Validation, InvalidProgramTest,
    ::testing::Values(
        InvalidProgramCase{"NoKind", [](pb::Program& p) { p.clear_kind(); }, "program.kind"},
        InvalidProgramCase{
            "UnknownKind",
            [](pb::Program& p) { p.set_kind(static_cast<gnlc::type::v1::ProgramKind>(99)); },
            "program.kind"},
        InvalidProgramCase{"NoTitle", [](pb::Program& p) { p.clear_title(); }, "program.title"},
        InvalidProgramCase{"LongTitle",
                           [](pb::Program& p) { p.mutable_title()->set_en(std::string(201, 'x')); },
                           "program.title.en"},
        InvalidProgramCase{"TooManyTopics",
                           [](pb::Program& p) {
                             for (int i = 0; i < 21; ++i) p.add_topics("t");
                           },
                           "program.topics"},
        InvalidProgramCase{
            "BadAudience",
            [](pb::Program& p) { p.add_audiences(gnlc::type::v1::AGE_BAND_UNSPECIFIED); },
            "program.audiences"},
        InvalidProgramCase{"BadLanguage", [](pb::Program& p) { p.add_languages("chinese!"); },
                           "program.languages"},
        InvalidProgramCase{"BadSdg", [](pb::Program& p) { p.add_sdg_goals(18); },
                           "program.sdg_goals"},
        InvalidProgramCase{"Archived",
                           [](pb::Program& p) { p.set_state(pb::PROGRAM_STATE_ARCHIVED); },
                           "program.state"},
        InvalidProgramCase{"UnknownDistrict", [](pb::Program& p) { p.set_district("atlantis"); },
                           "program.district"}),
    [](const auto& info) { return info.param.label; });

TEST_F(ProgramsTest, ListPagesThroughEverythingOnceNewestFirst) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.insert(
        MustCreateProgram(stub(), NewProgram("课程", "Course " + std::to_string(i))).name());
  }
  std::set<std::string> seen;
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_page_size(3);
  int pages = 0;
  do {
    pb::ListProgramsResponse resp;
    ASSERT_TRUE(stub().ListPrograms(Ctx().get(), req, &resp).ok());
    for (const auto& p : resp.programs()) EXPECT_TRUE(seen.insert(p.name()).second) << p.name();
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, created);
  EXPECT_EQ(pages, 3);
}

TEST_F(ProgramsTest, PageTokenWithOtherFiltersOrNegativeSizeIsInvalid) {
  for (int i = 0; i < 3; ++i) MustCreateProgram(stub(), NewProgram("课", "c"));
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_page_size(1);
  pb::ListProgramsResponse resp;
  ASSERT_TRUE(stub().ListPrograms(Ctx().get(), req, &resp).ok());
  req.set_page_token(resp.next_page_token());
  req.set_kind(gnlc::type::v1::PROGRAM_KIND_COURSE);
  EXPECT_EQ(stub().ListPrograms(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_page_token();
  req.set_page_size(-1);
  EXPECT_EQ(stub().ListPrograms(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProgramsTest, AnotherCitysNameIsNotFoundAndGarbageIsInvalid) {
  pb::GetProgramRequest get;
  pb::GetProgramResponse got;
  get.set_name("cities/suzhou/programs/p1");
  EXPECT_EQ(stub().GetProgram(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_name("programs/p1");
  EXPECT_EQ(stub().GetProgram(Ctx().get(), get, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Drafts are for city admins: to anyone else (anonymous, a resident, a
// mobile backend) a draft and its offerings do not exist.
TEST_F(ProgramsTest, DraftsAreForCityAdminsOnly) {
  pb::Program draft_in = NewProgram("草稿", "Draft");
  draft_in.set_state(pb::PROGRAM_STATE_DRAFT);
  const pb::Program draft = MustCreateProgram(stub(), draft_in);
  const pb::Program published = MustCreateProgram(stub(), NewProgram("公开", "Public"));
  const pb::Offering offering = MustCreateOffering(
      stub(), draft.name(), NewOffering(absl::Now(), absl::Hours(48), 32, 118.8, "gulou"));
  const std::string resident = gnlc::testing::TestToken(
      "nanjing", {.role = "resident", .subject = "r-draft", .partner = "", .ttl = absl::Hours(1)});
  for (const std::string& token : {std::string(), resident}) {
    SCOPED_TRACE(token.empty() ? "anonymous" : "resident");
    auto other = pb::CatalogService::NewStub(
        gnlc::testing::SecureChannel(replica_->server->port(), "nanjing", token));
    pb::GetProgramRequest get;
    get.set_name(draft.name());
    pb::GetProgramResponse got;
    EXPECT_EQ(other->GetProgram(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
    get.set_name(published.name());
    EXPECT_TRUE(other->GetProgram(Ctx().get(), get, &got).ok());

    pb::ListProgramsRequest list;
    list.set_parent("cities/nanjing");
    pb::ListProgramsResponse listed;
    ASSERT_TRUE(other->ListPrograms(Ctx().get(), list, &listed).ok());
    ASSERT_EQ(listed.programs_size(), 1);
    EXPECT_EQ(listed.programs(0).name(), published.name());
    list.set_state(pb::PROGRAM_STATE_DRAFT);
    const grpc::Status drafts = other->ListPrograms(Ctx().get(), list, &listed);
    EXPECT_EQ(drafts.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(ErrorReason(FromGrpcStatus(drafts)), "DRAFTS_FOR_CITY_ADMINS");

    pb::GetOfferingRequest get_offering;
    get_offering.set_name(offering.name());
    pb::GetOfferingResponse got_offering;
    EXPECT_EQ(other->GetOffering(Ctx().get(), get_offering, &got_offering).error_code(),
              grpc::StatusCode::NOT_FOUND);
    pb::ListOfferingsRequest offerings;
    offerings.set_parent(draft.name());
    pb::ListOfferingsResponse listed_offerings;
    EXPECT_EQ(other->ListOfferings(Ctx().get(), offerings, &listed_offerings).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // The city admin sees the draft everywhere.
  pb::GetProgramRequest get;
  get.set_name(draft.name());
  pb::GetProgramResponse got;
  EXPECT_TRUE(stub().GetProgram(Ctx().get(), get, &got).ok());
  pb::ListProgramsRequest list;
  list.set_parent("cities/nanjing");
  list.set_state(pb::PROGRAM_STATE_DRAFT);
  pb::ListProgramsResponse listed;
  ASSERT_TRUE(stub().ListPrograms(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.programs_size(), 1);
  EXPECT_EQ(listed.programs(0).name(), draft.name());
  pb::GetOfferingRequest get_offering;
  get_offering.set_name(offering.name());
  pb::GetOfferingResponse got_offering;
  EXPECT_TRUE(stub().GetOffering(Ctx().get(), get_offering, &got_offering).ok());
}

}  // namespace
}  // namespace gnlc::catalog::testing
