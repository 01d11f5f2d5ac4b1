// An enrollment server for tests, next to a real catalog replica over one
// real Redis, plus helpers that create learners and offerings through the
// gRPC APIs.
//
//   class MyTest : public EnrollmentTest {};
//   TEST_F(MyTest, X) {
//     auto offering = CreateOffering(10);
//     auto learner = CreateLearner();
//     auto e = Enroll(learner, offering);   // StatusOr<Enrollment>
//   }
#ifndef GNLC_TESTS_INTEGRATION_ENROLLMENT_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_ENROLLMENT_HARNESS_H_

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "services/enrollment/enrollment_service.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::enrollment::testing {

namespace epb = gnlc::enrollment::v1;
namespace cpb = gnlc::catalog::v1;

struct EnrollmentServer {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<RedisPool> pool;
  std::unique_ptr<EnrollmentService> service;
  std::unique_ptr<GnlcServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<epb::EnrollmentService::Stub> stub;

  // Starts, follows the catalog's stream, and waits until SERVING.
  static std::unique_ptr<EnrollmentServer> Start(
      const std::string& redis_address, const std::string& catalog_address,
      EnrollmentService::Clock clock = [] { return absl::Now(); },
      const std::function<void(ServerOptions&)>& adjust = nullptr,
      const CityConfig& city = catalog::testing::TestCity());
  ~EnrollmentServer();
};

// What an offering created for a test looks like.
struct OfferingSpec {
  int seats = 10;
  bool unlimited = false;
  std::optional<int> waitlist_limit;
  gnlc::type::v1::ProgramKind kind = gnlc::type::v1::PROGRAM_KIND_WORKSHOP;
  cpb::ProgramState program_state = cpb::PROGRAM_STATE_PUBLISHED;
  absl::Duration opens_in = -absl::Hours(1);  // relative to now
  absl::Duration starts_in = absl::Hours(48);
  absl::Duration lasts = absl::Hours(24 * 30);
};

// A fresh Redis, a catalog replica and an enrollment server per test.
class EnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // The city the catalog and enrollment servers run for (TestCity()
  // unless a test needs another).
  virtual CityConfig City() const { return catalog::testing::TestCity(); }
  // Starts the enrollment server (SetUp does unless told not to).
  void StartEnrollment();
  virtual bool StartEnrollmentInSetUp() const { return true; }
  // The test Redis's AOF policy ("always" for tests that crash it and must
  // lose nothing).
  virtual std::string RedisAppendFsync() const { return "everysec"; }
  // Starts the city's Redis (redis_) before the services; a test with
  // replicas and Sentinel starts them here too.
  virtual void StartRedis();
  // Where the services find Redis (a plain address, or a sentinel: one).
  virtual std::string ServiceRedisAddress() const { return redis_->address(); }
  // How the test itself reaches Redis, as its admin user.
  virtual RedisOptions InspectOptions() const { return redis_->AdminOptions(); }

  epb::EnrollmentService::Stub& stub() { return *enrollment_->stub; }
  cpb::CatalogService::Stub& catalog() { return *catalog_->stub; }

  // The offering's resource name.
  std::string CreateOffering(const OfferingSpec& spec = {});
  std::string CreateOffering(int seats) {
    OfferingSpec spec;
    spec.seats = seats;
    return CreateOffering(spec);
  }
  // A learner's resource name.
  std::string CreateLearner(const std::string& district = "gulou", bool consents = true);
  absl::StatusOr<epb::Enrollment> Enroll(const std::string& learner, const std::string& offering,
                                         const std::string& request_id = "");
  absl::StatusOr<epb::Enrollment> Cancel(const std::string& enrollment);
  absl::StatusOr<epb::Enrollment> Get(const std::string& enrollment);
  absl::StatusOr<epb::OfferingSeats> Seats(const std::string& offering);
  // Completes a confirmed enrollment (outcome PASSED, 12 hours).
  absl::StatusOr<epb::Enrollment> Complete(const std::string& enrollment);
  absl::StatusOr<epb::Enrollment> RecordEmployment(const std::string& enrollment, bool employed,
                                                   absl::Time since);
  absl::StatusOr<epb::Enrollment> Rate(const std::string& enrollment, int rating,
                                       const std::string& comment = "");
  // Every key and its whole content (strings, hash fields and values, set
  // and sorted-set members, stream entries as XRANGE reads them), as (key,
  // text) pairs: what a scan for an erased resident reads.
  std::vector<std::pair<std::string, std::string>> DumpRedis();
  // Every event on the enrollment stream, oldest first.
  std::vector<Event> EnrollmentEvents();

  // Moves the enrollment service's clock (not the catalog's) forward.
  void AdvanceClock(absl::Duration d) { clock_offset_ns_ += absl::ToInt64Nanoseconds(d); }

  std::atomic<int64_t> clock_offset_ns_{0};
  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<catalog::testing::CatalogReplica> catalog_;
  std::unique_ptr<EnrollmentServer> enrollment_;
  std::unique_ptr<RedisPool> pool_;  // for tests that inspect Redis
};

// The status of a failed call with its ErrorInfo reason, e.g.
// "FAILED_PRECONDITION ENROLLMENT_CLOSED".
std::string CodeAndReason(const absl::Status& status);

}  // namespace gnlc::enrollment::testing

#endif  // GNLC_TESTS_INTEGRATION_ENROLLMENT_HARNESS_H_
