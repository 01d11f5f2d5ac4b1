// Offerings through gRPC over a real Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::catalog::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
constexpr absl::Duration kDay = absl::Hours(24);

class OfferingsTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    program_ = MustCreateProgram(stub(), NewProgram("插花", "Flower arranging"));
  }

  pb::Program program_;
};

TEST_F(OfferingsTest, CreatedOfferingHasDefaultsSeatsAndAvailability) {
  pb::Offering in = NewOffering(absl::Now(), 7 * kDay, 32.05, 118.78, "gulou", 12);
  in.clear_enrollment_open_time();
  const auto o = MustCreateOffering(stub(), program_.name(), in);
  EXPECT_THAT(o.name(), HasSubstr(program_.name() + "/offerings/o"));
  EXPECT_EQ(o.state(), pb::OFFERING_STATE_SCHEDULED);
  EXPECT_EQ(o.enrollment_close_time().seconds(), in.start_time().seconds());
  EXPECT_EQ(o.seats_left(), 12);
  EXPECT_EQ(o.availability(), pb::AVAILABILITY_OPEN);
}

TEST_F(OfferingsTest, UnlimitedCapacityIsNotZero) {
  pb::Offering in = NewOffering(absl::Now(), 7 * kDay, 32.05, 118.78, "gulou");
  in.mutable_capacity()->set_unlimited(true);
  EXPECT_EQ(MustCreateOffering(stub(), program_.name(), in).seats_left(), -1);
  in.mutable_capacity()->set_seats(0);
  const auto zero = MustCreateOffering(stub(), program_.name(), in);
  EXPECT_EQ(zero.seats_left(), 0);
  EXPECT_EQ(zero.availability(), pb::AVAILABILITY_FULL);
}

TEST_F(OfferingsTest, CancelIsAStateChangeWithAReasonAndIdempotent) {
  const auto o = MustCreateOffering(stub(), program_.name(),
                                    NewOffering(absl::Now(), 7 * kDay, 32.05, 118.78, "gulou"));
  pb::CancelOfferingRequest req;
  req.set_name(o.name());
  pb::CancelOfferingResponse resp;
  EXPECT_EQ(stub().CancelOffering(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // reason required
  req.mutable_reason()->set_zh("老师生病");
  ASSERT_TRUE(stub().CancelOffering(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.offering().state(), pb::OFFERING_STATE_CANCELLED);
  EXPECT_EQ(resp.offering().availability(), pb::AVAILABILITY_CANCELLED);
  ASSERT_TRUE(stub().CancelOffering(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.offering().etag(), "2");  // the second cancel wrote nothing

  pb::GetOfferingRequest get;
  get.set_name(o.name());
  pb::GetOfferingResponse got;
  ASSERT_TRUE(stub().GetOffering(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.offering().cancel_reason().zh(), "老师生病");

  pb::UpdateOfferingRequest up;
  up.mutable_offering()->set_name(o.name());
  up.mutable_offering()->mutable_capacity()->set_seats(50);
  up.mutable_update_mask()->add_paths("capacity");
  pb::UpdateOfferingResponse updated;
  EXPECT_EQ(stub().UpdateOffering(Ctx().get(), up, &updated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(OfferingsTest, UpdateCapacityWithEtag) {
  const auto o = MustCreateOffering(stub(), program_.name(),
                                    NewOffering(absl::Now(), 7 * kDay, 32.05, 118.78, "gulou", 5));
  pb::UpdateOfferingRequest up;
  up.mutable_offering()->set_name(o.name());
  up.mutable_offering()->mutable_capacity()->set_seats(50);
  up.mutable_update_mask()->add_paths("capacity");
  up.set_etag(o.etag());
  pb::UpdateOfferingResponse updated;
  ASSERT_TRUE(stub().UpdateOffering(Ctx().get(), up, &updated).ok());
  EXPECT_EQ(updated.offering().seats_left(), 50);
  EXPECT_EQ(updated.offering().venue().district(), "gulou");  // untouched
  EXPECT_EQ(stub().UpdateOffering(Ctx().get(), up, &updated).error_code(),
            grpc::StatusCode::ABORTED);
}

TEST_F(OfferingsTest, ListAndBatchGet) {
  std::vector<std::string> names;
  for (int days : {9, 3, 6}) {
    names.push_back(MustCreateOffering(stub(), program_.name(),
                                       NewOffering(absl::Now(), days * kDay, 32, 118.8, "gulou"))
                        .name());
  }
  pb::ListOfferingsRequest list;
  list.set_parent(program_.name());
  list.set_page_size(2);
  pb::ListOfferingsResponse page1, page2;
  ASSERT_TRUE(stub().ListOfferings(Ctx().get(), list, &page1).ok());
  list.set_page_token(page1.next_page_token());
  ASSERT_TRUE(stub().ListOfferings(Ctx().get(), list, &page2).ok());
  ASSERT_EQ(page1.offerings_size(), 2);
  ASSERT_EQ(page2.offerings_size(), 1);
  EXPECT_EQ(page1.offerings(0).name(), names[1]);  // soonest first
  EXPECT_EQ(page1.offerings(1).name(), names[2]);
  EXPECT_EQ(page2.offerings(0).name(), names[0]);
  EXPECT_TRUE(page2.next_page_token().empty());

  pb::BatchGetOfferingsRequest batch;
  for (auto it = names.rbegin(); it != names.rend(); ++it) batch.add_names(*it);
  pb::BatchGetOfferingsResponse got;
  ASSERT_TRUE(stub().BatchGetOfferings(Ctx().get(), batch, &got).ok());
  ASSERT_EQ(got.offerings_size(), 3);
  EXPECT_EQ(got.offerings(0).name(), names[2]);  // request order
  batch.add_names(program_.name() + "/offerings/onope");
  EXPECT_EQ(stub().BatchGetOfferings(Ctx().get(), batch, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(OfferingsTest, OfferingOfAMissingProgramIsNotFound) {
  pb::CreateOfferingRequest req;
  req.set_parent("cities/nanjing/programs/pmissing");
  *req.mutable_offering() = NewOffering(absl::Now(), kDay, 32, 118.8, "gulou");
  pb::CreateOfferingResponse resp;
  EXPECT_EQ(stub().CreateOffering(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

struct InvalidOfferingCase {
  std::string label;
  std::function<void(pb::Offering&)> mutate;
  std::string field;
  friend void PrintTo(const InvalidOfferingCase& c, std::ostream* os) { *os << c.label; }
};

class InvalidOfferingTest : public OfferingsTest,
                            public ::testing::WithParamInterface<InvalidOfferingCase> {};

TEST_P(InvalidOfferingTest, IsRejectedNamingTheField) {
  pb::Offering o = NewOffering(absl::Now(), 7 * kDay, 32.05, 118.78, "gulou");
  GetParam().mutate(o);
  pb::CreateOfferingRequest req;
  req.set_parent(program_.name());
  *req.mutable_offering() = o;
  pb::CreateOfferingResponse resp;
  const grpc::Status s = stub().CreateOffering(Ctx().get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Validation, InvalidOfferingTest,
    ::testing::Values(
        InvalidOfferingCase{"EndBeforeStart",
                            [](pb::Offering& o) { *o.mutable_end_time() = o.start_time(); },
                            "end_time"},
        InvalidOfferingCase{"TooLong",
                            [](pb::Offering& o) {
                              o.mutable_end_time()->set_seconds(o.start_time().seconds() +
                                                                500 * 86400);
                            },
                            "end_time"},
        InvalidOfferingCase{"WindowClosesAfterEnd",
                            [](pb::Offering& o) {
                              *o.mutable_enrollment_close_time() = o.end_time();
                              o.mutable_enrollment_close_time()->set_seconds(
                                  o.end_time().seconds() + 1);
                            },
                            "enrollment_close_time"},
        InvalidOfferingCase{"WindowOpensYearsEarly",
                            [](pb::Offering& o) {
                              o.mutable_enrollment_open_time()->set_seconds(
                                  o.start_time().seconds() - 400 * 86400);
                            },
                            "enrollment_open_time"},
        InvalidOfferingCase{"NoCapacity", [](pb::Offering& o) { o.clear_capacity(); }, "capacity"},
        InvalidOfferingCase{"NegativeSeats",
                            [](pb::Offering& o) { o.mutable_capacity()->set_seats(-1); },
                            "capacity.seats"},
        InvalidOfferingCase{"UnlimitedFalse",
                            [](pb::Offering& o) { o.mutable_capacity()->set_unlimited(false); },
                            "capacity.unlimited"},
        InvalidOfferingCase{"NoModality", [](pb::Offering& o) { o.clear_modality(); }, "modality"},
        InvalidOfferingCase{
            "LatitudeOutOfRange",
            [](pb::Offering& o) { o.mutable_venue()->mutable_location()->set_latitude(91); },
            "latitude"},
        InvalidOfferingCase{
            "LongitudeOutOfRange",
            [](pb::Offering& o) { o.mutable_venue()->mutable_location()->set_longitude(-181); },
            "longitude"},
        InvalidOfferingCase{"InPersonWithoutVenue", [](pb::Offering& o) { o.clear_venue(); },
                            "venue"},
        InvalidOfferingCase{
            "OnlineWithoutUrl",
            [](pb::Offering& o) { o.set_modality(gnlc::type::v1::MODALITY_ONLINE); }, "online_url"},
        InvalidOfferingCase{"HttpUrl",
                            [](pb::Offering& o) {
                              o.set_modality(gnlc::type::v1::MODALITY_HYBRID);
                              o.set_online_url("http://x");
                            },
                            "online_url"},
        InvalidOfferingCase{"UnknownCurrency",
                            [](pb::Offering& o) {
                              o.mutable_price()->set_currency_code("GBP");
                              o.mutable_price()->set_units(1);
                            },
                            "currency_code"},
        InvalidOfferingCase{"NegativePrice",
                            [](pb::Offering& o) {
                              o.mutable_price()->set_currency_code("CNY");
                              o.mutable_price()->set_units(-5);
                            },
                            "price"},
        InvalidOfferingCase{"UnknownDistrict",
                            [](pb::Offering& o) { o.mutable_venue()->set_district("nowhere"); },
                            "district"}),
    [](const auto& info) { return info.param.label; });

}  // namespace
}  // namespace gnlc::catalog::testing
