// SearchPrograms through gRPC: Chinese and English text, every filter, geo
// ordering, facets and stable paging.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::catalog::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::UnorderedElementsAreArray;
namespace type = gnlc::type::v1;

constexpr absl::Duration kDay = absl::Hours(24);

// A small city built so that each filter selects a known subset:
//   A 书法入门 culture, seniors, zh, in person Gulou, free, open
//   B 少儿编程 course, children, zh+en, online, 100 CNY, open
//   C 茶艺体验 workshop, everyone, hybrid Qinhuai, enrollment opens in 5 days
//   D 数字素养 skills, seniors, in person Jiangning (open) + Jianye (cancelled)
//   E 英语角 course, in person Xuanwu, ended
class SearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto redis = gnlc::testing::RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = redis->release();
    replica_ = CatalogReplica::Start(redis_->address()).release();
    auto& stub = *replica_->stub;
    const absl::Time now = absl::Now();

    pb::Program a =
        NewProgram("书法入门", "Calligraphy for beginners", type::PROGRAM_KIND_CULTURAL);
    a.add_topics("calligraphy");
    a.add_audiences(type::AGE_BAND_SENIOR);
    a.add_languages("zh");
    names_["A"] = MustCreateProgram(stub, a).name();
    MustCreateOffering(stub, names_["A"], NewOffering(now, 10 * kDay, 32.06, 118.78, "gulou"));

    pb::Program b = NewProgram("少儿编程", "Coding for kids", type::PROGRAM_KIND_COURSE);
    b.add_topics("coding");
    b.add_audiences(type::AGE_BAND_CHILD);
    b.add_languages("zh");
    b.add_languages("en");
    names_["B"] = MustCreateProgram(stub, b).name();
    pb::Offering online = NewOffering(now, 20 * kDay, 0, 0, "");
    online.clear_venue();
    online.set_modality(type::MODALITY_ONLINE);
    online.set_online_url("https://learn.example.org/coding");
    online.mutable_price()->set_currency_code("CNY");
    online.mutable_price()->set_units(100);
    MustCreateOffering(stub, names_["B"], online);

    pb::Program c = NewProgram("茶艺体验", "Tea ceremony", type::PROGRAM_KIND_WORKSHOP);
    c.add_topics("tea");
    c.add_languages("zh");
    names_["C"] = MustCreateProgram(stub, c).name();
    pb::Offering hybrid = NewOffering(now, 40 * kDay, 32.02, 118.79, "qinhuai");
    hybrid.set_modality(type::MODALITY_HYBRID);
    hybrid.set_online_url("https://learn.example.org/tea");
    *hybrid.mutable_enrollment_open_time() =
        TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now + 5 * kDay));
    MustCreateOffering(stub, names_["C"], hybrid);

    pb::Program d =
        NewProgram("数字素养", "Digital literacy for seniors", type::PROGRAM_KIND_SKILL_TRAINING);
    d.add_topics("digital-literacy");
    d.add_audiences(type::AGE_BAND_SENIOR);
    names_["D"] = MustCreateProgram(stub, d).name();
    MustCreateOffering(stub, names_["D"], NewOffering(now, 3 * kDay, 31.95, 118.84, "jiangning"));
    const pb::Offering doomed =
        MustCreateOffering(stub, names_["D"], NewOffering(now, 60 * kDay, 32.0, 118.73, "jianye"));
    pb::CancelOfferingRequest cancel;
    cancel.set_name(doomed.name());
    cancel.mutable_reason()->set_en("Teacher unavailable");
    pb::CancelOfferingResponse cancelled;
    EXPECT_TRUE(stub.CancelOffering(Ctx().get(), cancel, &cancelled).ok());

    pb::Program e = NewProgram("英语角", "English corner", type::PROGRAM_KIND_COURSE);
    names_["E"] = MustCreateProgram(stub, e).name();
    pb::Offering past = NewOffering(now, -40 * kDay, 32.07, 118.80, "xuanwu");
    *past.mutable_enrollment_open_time() =
        TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - 50 * kDay));
    MustCreateOffering(stub, names_["E"], past);
  }

  static void TearDownTestSuite() {
    delete replica_;
    delete redis_;
  }

  // The letters of the programs in a response.
  static std::vector<std::string> Letters(const pb::SearchProgramsResponse& resp) {
    std::vector<std::string> out;
    for (const auto& r : resp.results()) {
      for (const auto& [letter, name] : names_) {
        if (name == r.program().name()) out.push_back(letter);
      }
    }
    return out;
  }

  static pb::CatalogService::Stub& stub() { return *replica_->stub; }

  static inline gnlc::testing::RedisServerProcess* redis_ = nullptr;
  static inline CatalogReplica* replica_ = nullptr;
  static inline std::map<std::string, std::string> names_;
};

TEST_F(SearchTest, ChineseQueryFindsProgramsContainingIt) {
  pb::SearchProgramsRequest req;
  req.set_query("书法");
  EXPECT_THAT(Letters(MustSearch(stub(), req)), UnorderedElementsAreArray({"A"}));
  req.set_query("茶");  // one character
  EXPECT_THAT(Letters(MustSearch(stub(), req)), UnorderedElementsAreArray({"C"}));
  req.set_query("书法茶艺");  // both bigram runs must match
  EXPECT_TRUE(Letters(MustSearch(stub(), req)).empty());
}

TEST_F(SearchTest, EnglishQueryIsCaseInsensitiveOverWords) {
  pb::SearchProgramsRequest req;
  req.set_query("CALLIGRAPHY beginners");
  EXPECT_THAT(Letters(MustSearch(stub(), req)), UnorderedElementsAreArray({"A"}));
  req.set_query("seniors");  // in D's title
  EXPECT_THAT(Letters(MustSearch(stub(), req)), UnorderedElementsAreArray({"D"}));
  req.set_query("tea");  // a topic
  EXPECT_THAT(Letters(MustSearch(stub(), req)), UnorderedElementsAreArray({"C"}));
}

struct FilterCase {
  std::string label;
  std::function<void(pb::SearchProgramsRequest&)> set;
  std::vector<std::string> want;
  friend void PrintTo(const FilterCase& c, std::ostream* os) { *os << c.label; }
};

class SearchFilterTest : public SearchTest, public ::testing::WithParamInterface<FilterCase> {};

TEST_P(SearchFilterTest, SelectsExactlyTheMatchingPrograms) {
  pb::SearchProgramsRequest req;
  GetParam().set(req);
  const auto resp = MustSearch(stub(), req);
  EXPECT_THAT(Letters(resp), UnorderedElementsAreArray(GetParam().want));
  EXPECT_EQ(resp.total_size(), static_cast<int>(GetParam().want.size()));
}

google::protobuf::Timestamp In(absl::Duration d) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now() + d));
}

INSTANTIATE_TEST_SUITE_P(
    EveryFilter, SearchFilterTest,
    ::testing::Values(
        FilterCase{"Kind", [](auto& r) { r.add_kinds(type::PROGRAM_KIND_COURSE); }, {"B", "E"}},
        FilterCase{"Topic", [](auto& r) { r.add_topics("Tea"); }, {"C"}},
        FilterCase{"AgeBandIncludesEveryoneProgrammes",
                   [](auto& r) { r.add_age_bands(type::AGE_BAND_CHILD); },
                   {"B", "C", "E"}},
        FilterCase{"Language", [](auto& r) { r.add_languages("en"); }, {"B"}},
        FilterCase{
            "ModalityOnline", [](auto& r) { r.add_modalities(type::MODALITY_ONLINE); }, {"B"}},
        FilterCase{
            "ModalityHybrid", [](auto& r) { r.add_modalities(type::MODALITY_HYBRID); }, {"C"}},
        FilterCase{"District", [](auto& r) { r.add_districts("jiangning"); }, {"D"}},
        FilterCase{
            "DistrictOfCancelledOfferingOnly", [](auto& r) { r.add_districts("jianye"); }, {}},
        FilterCase{"KindAndDistrict",
                   [](auto& r) {
                     r.add_kinds(type::PROGRAM_KIND_SKILL_TRAINING);
                     r.add_districts("jiangning");
                   },
                   {"D"}},
        FilterCase{"KindNotInDistrict",
                   [](auto& r) {
                     r.add_kinds(type::PROGRAM_KIND_COURSE);
                     r.add_districts("jiangning");
                   },
                   {}},
        FilterCase{"KindsAndDistricts",
                   [](auto& r) {
                     r.add_kinds(type::PROGRAM_KIND_CULTURAL);
                     r.add_kinds(type::PROGRAM_KIND_WORKSHOP);
                     r.add_kinds(type::PROGRAM_KIND_COURSE);
                     r.add_districts("gulou");
                     r.add_districts("qinhuai");
                   },
                   {"A", "C"}},
        FilterCase{
            "Free", [](auto& r) { r.set_price(pb::PRICE_FILTER_FREE); }, {"A", "C", "D", "E"}},
        FilterCase{"Paid", [](auto& r) { r.set_price(pb::PRICE_FILTER_PAID); }, {"B"}},
        FilterCase{
            "OpenNow", [](auto& r) { r.add_availability(pb::AVAILABILITY_OPEN); }, {"A", "B", "D"}},
        FilterCase{"OpeningSoon",
                   [](auto& r) { r.add_availability(pb::AVAILABILITY_OPENING_SOON); },
                   {"C"}},
        FilterCase{"Ended", [](auto& r) { r.add_availability(pb::AVAILABILITY_ENDED); }, {"E"}},
        FilterCase{
            "StartAfter", [](auto& r) { *r.mutable_start_after() = In(15 * kDay); }, {"B", "C"}},
        FilterCase{
            "StartBefore", [](auto& r) { *r.mutable_start_before() = In(5 * kDay); }, {"D", "E"}},
        FilterCase{"Near",
                   [](auto& r) {
                     r.mutable_near()->mutable_center()->set_latitude(32.06);
                     r.mutable_near()->mutable_center()->set_longitude(118.78);
                     r.mutable_near()->set_radius_meters(3000);
                   },
                   {"A", "E"}},
        FilterCase{"TextAndFilterTogether",
                   [](auto& r) {
                     r.set_query("for");
                     r.add_age_bands(type::AGE_BAND_CHILD);
                   },
                   {"B"}}),
    [](const auto& info) { return info.param.label; });

TEST_F(SearchTest, FacetsCountAllMatches) {
  pb::SearchProgramsRequest req;
  req.set_page_size(1);
  const auto resp = MustSearch(stub(), req);
  EXPECT_EQ(resp.total_size(), 5);
  std::map<std::string, int> kinds, availability;
  for (const auto& f : resp.kind_facets()) kinds[f.value()] = f.count();
  for (const auto& f : resp.availability_facets()) availability[f.value()] = f.count();
  EXPECT_EQ(kinds["PROGRAM_KIND_COURSE"], 2);
  EXPECT_EQ(kinds["PROGRAM_KIND_CULTURAL"], 1);
  EXPECT_EQ(availability["AVAILABILITY_OPEN"], 3);
  EXPECT_EQ(availability["AVAILABILITY_ENDED"], 1);
}

TEST_F(SearchTest, DistanceOrderNeedsAPoint) {
  pb::SearchProgramsRequest req;
  req.set_parent("cities/nanjing");
  req.set_order_by(pb::SEARCH_ORDER_DISTANCE);
  pb::SearchProgramsResponse resp;
  EXPECT_EQ(stub().SearchPrograms(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_order_by(pb::SEARCH_ORDER_UNSPECIFIED);
  req.mutable_near()->set_radius_meters(500000);
  EXPECT_EQ(stub().SearchPrograms(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_near();
  req.set_query(std::string(201, 'a'));
  EXPECT_EQ(stub().SearchPrograms(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

class GeoAndPagingTest : public CatalogTest {};

TEST_F(GeoAndPagingTest, NearMeIsOrderedByDistanceWithDistances) {
  auto& stub = *replica_->stub;
  const absl::Time now = absl::Now();
  // Due north of the resident at about 2.5 km, 0.5 km and 1.5 km, created
  // out of order; one more 10 km away.
  const double lat = 32.0, lng = 118.8;
  std::vector<std::pair<double, std::string>> expected;
  for (double km : {2.5, 0.5, 1.5, 10.0}) {
    auto p = MustCreateProgram(stub, NewProgram("社区课堂", "Community class"));
    MustCreateOffering(stub, p.name(), NewOffering(now, kDay, lat + km / 111.195, lng, "gulou"));
    if (km < 3) expected.push_back({km * 1000, p.name()});
  }
  std::sort(expected.begin(), expected.end());
  pb::SearchProgramsRequest req;
  req.mutable_near()->mutable_center()->set_latitude(lat);
  req.mutable_near()->mutable_center()->set_longitude(lng);
  req.mutable_near()->set_radius_meters(3000);
  req.set_order_by(pb::SEARCH_ORDER_DISTANCE);
  const auto resp = MustSearch(stub, req);
  ASSERT_EQ(resp.results_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(resp.results(i).program().name(), expected[i].second);
    EXPECT_NEAR(resp.results(i).distance_meters(), expected[i].first, 20);
  }
}

TEST_F(GeoAndPagingTest, PagingIsStableWhileProgramsAreAdded) {
  auto& stub = *replica_->stub;
  const absl::Time now = absl::Now();
  std::set<std::string> originals;
  for (int i = 0; i < 25; ++i) {
    auto p = MustCreateProgram(stub, NewProgram("园艺", "Gardening"));
    MustCreateOffering(stub, p.name(), NewOffering(now, (i + 1) * kDay, 32, 118.8, "gulou"));
    originals.insert(p.name());
  }
  pb::SearchProgramsRequest req;
  req.set_query("gardening");
  req.set_order_by(pb::SEARCH_ORDER_START_TIME);
  req.set_page_size(10);
  std::set<std::string> seen;
  int64_t last_start = 0;
  for (int page = 0; page < 10; ++page) {
    const auto resp = MustSearch(stub, req);
    for (const auto& r : resp.results()) {
      EXPECT_TRUE(seen.insert(r.program().name()).second) << "duplicate " << r.program().name();
      EXPECT_GE(r.next_start_time().seconds(), last_start);
      last_start = r.next_start_time().seconds();
    }
    // A newcomer that sorts before the cursor must not shift later pages.
    auto early = MustCreateProgram(stub, NewProgram("园艺", "Gardening"));
    MustCreateOffering(stub, early.name(), NewOffering(now, absl::Hours(1), 32, 118.8, "gulou"));
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  for (const auto& name : originals) EXPECT_TRUE(seen.count(name)) << "missed " << name;
}

}  // namespace
}  // namespace gnlc::catalog::testing

namespace gnlc::catalog::testing {
namespace {

TEST_F(GeoAndPagingTest, CancelledAndFullProgramsAreFoundByThatAvailabilityOnly) {
  auto& stub = *replica_->stub;
  const absl::Time now = absl::Now();
  const auto cancelled = MustCreateProgram(stub, NewProgram("书画", "Ink painting"));
  MustCreateOffering(stub, cancelled.name(), NewOffering(now, kDay, 32, 118.8, "gulou"));
  pb::UpdateProgramRequest up;
  up.mutable_program()->set_name(cancelled.name());
  up.mutable_program()->set_state(pb::PROGRAM_STATE_CANCELLED);
  up.mutable_update_mask()->add_paths("state");
  pb::UpdateProgramResponse updated;
  ASSERT_TRUE(stub.UpdateProgram(Ctx().get(), up, &updated).ok());
  const auto full = MustCreateProgram(stub, NewProgram("书画", "Ink painting"));
  MustCreateOffering(stub, full.name(), NewOffering(now, kDay, 32, 118.8, "gulou", /*seats=*/0));

  auto names_with = [&](pb::Availability a) {
    pb::SearchProgramsRequest req;
    req.set_query("书画");
    req.add_availability(a);
    const pb::SearchProgramsResponse resp = MustSearch(stub, req);
    std::vector<std::string> names;
    for (const auto& r : resp.results()) names.push_back(r.program().name());
    return names;
  };
  EXPECT_EQ(names_with(pb::AVAILABILITY_CANCELLED), std::vector<std::string>{cancelled.name()});
  EXPECT_EQ(names_with(pb::AVAILABILITY_FULL), std::vector<std::string>{full.name()});
  EXPECT_TRUE(names_with(pb::AVAILABILITY_OPEN).empty());
}

}  // namespace
}  // namespace gnlc::catalog::testing

namespace gnlc::catalog::testing {
namespace {

TEST_F(GeoAndPagingTest, RepeatedSearchesSeeEveryWrite) {
  auto& stub = *replica_->stub;
  pb::SearchProgramsRequest req;
  req.set_query("陶艺");
  MustCreateProgram(stub, NewProgram("陶艺", "Pottery"));
  EXPECT_EQ(MustSearch(stub, req).total_size(), 1);
  EXPECT_EQ(MustSearch(stub, req).total_size(), 1);  // the same request again
  const auto second = MustCreateProgram(stub, NewProgram("陶艺", "Pottery"));
  EXPECT_EQ(MustSearch(stub, req).total_size(), 2);
  pb::DeleteProgramRequest del;
  del.set_name(second.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(stub.DeleteProgram(Ctx().get(), del, &deleted).ok());
  EXPECT_EQ(MustSearch(stub, req).total_size(), 1);
}

TEST(SearchOverTime, RepeatedSearchesFollowTheClockAcrossEnrollmentWindows) {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const absl::Time t0 = absl::FromUnixSeconds(1800000000);
  auto clock_seconds = std::make_shared<std::atomic<int64_t>>(absl::ToUnixSeconds(t0));
  auto replica = CatalogReplica::Start((*redis)->address(), [clock_seconds] {
    return absl::FromUnixSeconds(clock_seconds->load());
  });
  auto& stub = *replica->stub;
  const auto p = MustCreateProgram(stub, NewProgram("古琴", "Guqin"));
  // Enrollment opens in 20 days and closes 5 days later.
  pb::Offering o = NewOffering(t0, 25 * kDay, 32, 118.8, "gulou");
  o.mutable_enrollment_open_time()->set_seconds(absl::ToUnixSeconds(t0 + 20 * kDay));
  MustCreateOffering(stub, p.name(), o);
  pb::SearchProgramsRequest req;
  req.set_query("古琴");
  req.add_availability(pb::AVAILABILITY_OPEN);
  EXPECT_EQ(MustSearch(stub, req).total_size(), 0);
  *clock_seconds = absl::ToUnixSeconds(t0 + 20 * kDay);  // the window opens
  EXPECT_EQ(MustSearch(stub, req).total_size(), 1);
  *clock_seconds = absl::ToUnixSeconds(t0 + 25 * kDay);  // and closes
  EXPECT_EQ(MustSearch(stub, req).total_size(), 0);
}

}  // namespace
}  // namespace gnlc::catalog::testing
