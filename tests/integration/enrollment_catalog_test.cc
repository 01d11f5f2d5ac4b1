// Enrollment and the catalog together: offering facts follow the catalog's
// events (capacity changes promote, cancellation cancels), the catalog shows
// the seats enrollment reports, and a catalog outage only affects offerings
// enrollment has never seen.
#include <gtest/gtest.h>

#include "common/events/event_codec.h"
#include "common/events/stream_retention.h"
#include "common/events/streams.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quick_streams.h"

namespace gnlc::enrollment::testing {
namespace {

using gnlc::testing::PollUntil;

class EnrollmentCatalogTestWithOffering : public EnrollmentTest {
 protected:
  // Enrolls `n` new learners; returns their enrollments in order.
  std::vector<epb::Enrollment> EnrollMany(const std::string& offering, int n) {
    std::vector<epb::Enrollment> out;
    for (int i = 0; i < n; ++i) {
      auto e = Enroll(CreateLearner(), offering);
      EXPECT_TRUE(e.ok()) << e.status();
      out.push_back(e.ok() ? *e : epb::Enrollment());
    }
    return out;
  }
  void SetSeats(const std::string& offering, int seats) {
    cpb::UpdateOfferingRequest req;
    req.mutable_offering()->set_name(offering);
    req.mutable_offering()->mutable_capacity()->set_seats(seats);
    req.mutable_update_mask()->add_paths("capacity");
    cpb::UpdateOfferingResponse resp;
    const grpc::Status s = catalog().UpdateOffering(catalog::testing::Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  bool StateIs(const std::string& enrollment, epb::EnrollmentState state) {
    auto e = Get(enrollment);
    return e.ok() && e->state() == state;
  }
};

TEST_F(EnrollmentCatalogTestWithOffering, CapacityGrowthPromotesInOrder) {
  const std::string offering = CreateOffering(2);
  const auto e = EnrollMany(offering, 5);  // 2 confirmed, 3 waiting
  SetSeats(offering, 4);
  ASSERT_TRUE(PollUntil([&] { return StateIs(e[3].name(), epb::ENROLLMENT_STATE_CONFIRMED); },
                        absl::Seconds(5)));
  EXPECT_TRUE(StateIs(e[2].name(), epb::ENROLLMENT_STATE_CONFIRMED));
  EXPECT_TRUE(StateIs(e[4].name(), epb::ENROLLMENT_STATE_WAITLISTED));
  EXPECT_EQ(Get(e[4].name())->waitlist_position(), 1);
  EXPECT_EQ(Seats(offering)->capacity(), 4);
}

TEST_F(EnrollmentCatalogTestWithOffering, CapacityBelowTakenEvictsNobodyAndPromotesNobody) {
  const std::string offering = CreateOffering(3);
  const auto e = EnrollMany(offering, 5);  // 3 confirmed, 2 waiting
  SetSeats(offering, 1);
  ASSERT_TRUE(PollUntil([&] { return Seats(offering)->capacity() == 1; }, absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(StateIs(e[i].name(), epb::ENROLLMENT_STATE_CONFIRMED));
  auto seats = Seats(offering);
  EXPECT_EQ(seats->taken(), 3);
  EXPECT_EQ(seats->free(), 0);
  // Two cancellations bring taken to 1 = capacity: still nobody promoted.
  ASSERT_TRUE(Cancel(e[0].name()).ok());
  ASSERT_TRUE(Cancel(e[1].name()).ok());
  EXPECT_TRUE(StateIs(e[3].name(), epb::ENROLLMENT_STATE_WAITLISTED));
  // The third frees a seat under the new capacity: the head moves up.
  ASSERT_TRUE(Cancel(e[2].name()).ok());
  EXPECT_TRUE(StateIs(e[3].name(), epb::ENROLLMENT_STATE_CONFIRMED));
  EXPECT_TRUE(StateIs(e[4].name(), epb::ENROLLMENT_STATE_WAITLISTED));
}

TEST_F(EnrollmentCatalogTestWithOffering, CatalogCancellationCancelsEnrollmentsWithItsReason) {
  const std::string offering = CreateOffering(1);
  const auto e = EnrollMany(offering, 3);
  cpb::CancelOfferingRequest req;
  req.set_name(offering);
  req.mutable_reason()->set_zh("场馆维修");
  req.mutable_reason()->set_en("The venue is under repair");
  cpb::CancelOfferingResponse resp;
  ASSERT_TRUE(catalog().CancelOffering(catalog::testing::Ctx().get(), req, &resp).ok());
  for (const auto& one : e) {
    ASSERT_TRUE(PollUntil([&] { return StateIs(one.name(), epb::ENROLLMENT_STATE_CANCELLED); },
                          absl::Seconds(5)));
    auto got = Get(one.name());
    EXPECT_EQ(got->cancel_reason().en(), "The venue is under repair");
    EXPECT_EQ(got->cancel_reason().zh(), "场馆维修");
    EXPECT_EQ(got->history(got->history_size() - 1).reason(), "offering cancelled");
  }
  EXPECT_EQ(Seats(offering)->taken(), 0);
  EXPECT_EQ(Seats(offering)->waitlist_length(), 0);
  EXPECT_EQ(CodeAndReason(Enroll(CreateLearner(), offering).status()),
            "FAILED_PRECONDITION OFFERING_CANCELLED");
}

TEST_F(EnrollmentCatalogTestWithOffering, CatalogShowsSeatsLeftAndFull) {
  const std::string offering = CreateOffering(2);
  auto offering_view = [&] {
    cpb::GetOfferingRequest req;
    req.set_name(offering);
    cpb::GetOfferingResponse resp;
    EXPECT_TRUE(catalog().GetOffering(catalog::testing::Ctx().get(), req, &resp).ok());
    return resp.offering();
  };
  const auto e = EnrollMany(offering, 1);
  ASSERT_TRUE(PollUntil([&] { return offering_view().seats_left() == 1; }, absl::Seconds(5)));
  EnrollMany(offering, 2);
  ASSERT_TRUE(PollUntil([&] { return offering_view().seats_left() == 0; }, absl::Seconds(5)));
  EXPECT_EQ(offering_view().seats_taken(), 2);
  EXPECT_EQ(offering_view().availability(), cpb::AVAILABILITY_FULL);
  // Search results carry it too, and a restarted catalog still knows.
  cpb::SearchProgramsRequest search;
  search.set_query("编程");
  auto found = catalog::testing::MustSearch(catalog(), search);
  ASSERT_EQ(found.results_size(), 1);
  EXPECT_EQ(found.results(0).seats_left(), 0);
  EXPECT_EQ(found.results(0).program().availability(), cpb::AVAILABILITY_FULL);
  catalog_.reset();
  catalog_ = catalog::testing::CatalogReplica::Start(redis_->address());
  EXPECT_EQ(offering_view().seats_taken(), 2);
  // A cancellation frees the seat (the head of the waitlist takes it).
  ASSERT_TRUE(Cancel(e[0].name()).ok());
  EXPECT_EQ(Seats(offering)->waitlist_length(), 0);
}

// Enrollment deployed next to a catalog that already has offerings: it
// learns each over gRPC when first enrolled in.
class EnrollmentJoiningCatalogTest : public EnrollmentTest {
 protected:
  bool StartEnrollmentInSetUp() const override { return false; }
};

TEST_F(EnrollmentJoiningCatalogTest, CatalogDownKnownOfferingsStillEnrollUnknownFailFast) {
  const std::string known = CreateOffering(5);
  const std::string unknown = CreateOffering(5);
  StartEnrollment();
  ASSERT_TRUE(Enroll(CreateLearner(), known).ok());
  const std::string learner = CreateLearner();
  catalog_.reset();  // the catalog is down

  EXPECT_TRUE(Enroll(learner, known).ok());
  epb::CreateEnrollmentRequest req;
  req.set_parent("cities/nanjing");
  req.set_learner(learner);
  req.set_offering(unknown);
  epb::CreateEnrollmentResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(800));
  // UNAVAILABLE (not DEADLINE_EXCEEDED): enrollment answered within the
  // caller's deadline, telling the app to retry later.
  const grpc::Status s = stub().CreateEnrollment(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

// Streams kept one second past what every reader has, trimmed every 50 ms.
class EnrollmentCatalogGapTest : public EnrollmentCatalogTestWithOffering {
 protected:
  gnlc::testing::QuickStreams streams_{{.retention_seconds = 1}};
};

// Enrollment stopped longer than the catalog stream's retention while an
// offering grew: the event is trimmed before enrollment reads it. On its
// return enrollment finds the gap and fetches the offerings it knows from
// the catalog, so the waitlist still moves up.
TEST_F(EnrollmentCatalogGapTest, AfterAGapOfferingFactsAreFetchedAgainFromTheCatalog) {
  const std::string offering = CreateOffering(2);
  const auto e = EnrollMany(offering, 4);  // 2 confirmed, 2 waiting
  enrollment_.reset();
  SetSeats(offering, 4);
  auto change = pool_->Command({"XREVRANGE", "cat:{0}:events", "+", "-", "COUNT", "1"});
  ASSERT_TRUE(change.ok() && change->view().size() == 1);
  const std::string id(change->view()[0][0].str());
  CreateOffering(1);  // newer events: the stream always keeps its newest
  ASSERT_TRUE(PollUntil(
      [&] {
        auto t = pool_->Command({"GET", "cat:{0}:events:trimmed"});
        return t.ok() && !t->view().is_nil() && CompareStreamIds(t->view().str(), id) > 0;
      },
      absl::Seconds(10)));

  StartEnrollment();
  EXPECT_TRUE(PollUntil([&] { return StateIs(e[3].name(), epb::ENROLLMENT_STATE_CONFIRMED); },
                        absl::Seconds(10)))
      << "the capacity change was lost with the trimmed event";
  EXPECT_TRUE(StateIs(e[2].name(), epb::ENROLLMENT_STATE_CONFIRMED));
  EXPECT_EQ(Seats(offering)->capacity(), 4);
}

// The catalog stopped longer than the enrollment stream's retention while
// an offering filled up: the seat reports it missed are trimmed (the newest
// entries are about another offering). Enrollment publishes every
// offering's seats again after such a trim, so the restarted catalog shows
// the offering full instead of the seats it last heard of.
TEST_F(EnrollmentCatalogGapTest, AfterAGapTheCatalogLearnsEverySeatCountAgain) {
  const std::string offering = CreateOffering(3);
  const std::string other = CreateOffering(5);
  auto seats_left = [&]() -> int {
    cpb::GetOfferingRequest req;
    req.set_name(offering);
    cpb::GetOfferingResponse resp;
    if (!catalog().GetOffering(catalog::testing::Ctx().get(), req, &resp).ok()) return -1;
    return resp.offering().seats_left();
  };
  EnrollMany(offering, 1);
  ASSERT_TRUE(PollUntil([&] { return seats_left() == 2; }, absl::Seconds(5)));
  catalog_.reset();
  EnrollMany(offering, 2);  // full now
  auto last = pool_->Command({"XREVRANGE", kEnrollmentStream, "+", "-", "COUNT", "1"});
  ASSERT_TRUE(last.ok() && last->view().size() == 1);
  const std::string id(last->view()[0][0].str());
  EnrollMany(other, 1);  // the newest entries, which the stream always keeps
  ASSERT_TRUE(PollUntil(
      [&] {
        auto t = pool_->Command({"GET", TrimmedKey(kEnrollmentStream)});
        return t.ok() && !t->view().is_nil() && CompareStreamIds(t->view().str(), id) > 0;
      },
      absl::Seconds(10)))
      << "the offering's seat reports were not trimmed";

  catalog_ = catalog::testing::CatalogReplica::Start(redis_->address());
  EXPECT_TRUE(PollUntil([&] { return seats_left() == 0; }, absl::Seconds(10)))
      << "the catalog still shows the seats it last heard of: " << seats_left();
}

}  // namespace
}  // namespace gnlc::enrollment::testing
