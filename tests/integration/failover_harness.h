// A test city whose Redis can lose its machine: a primary, its replicas (one
// unless ReplicaCount says more) and a Sentinel (quorum 1, the primary judged
// down after 1.5 s), every service finding the primary through the Sentinel
// and acknowledging a write only once a replica has it; plus a load of
// residents enrolling through the gRPC API that records exactly what it was
// told. With one replica, a promoted primary takes writes again once the
// killed server is back as its replica (RestoreReplica); with two, at once.
//
//   class MyTest : public FailoverTest {};
//   TEST_F(MyTest, X) {
//     EnrollmentLoad load(stub(), {CreateOffering(50)}, 64);
//     ... load.acks() > 100 ...
//     const absl::Time killed = KillPrimary();   // the replica is primary now
//     RestoreReplica();                          // the killed one follows it
//     load.Stop();
//   }
#ifndef GNLC_TESTS_INTEGRATION_FAILOVER_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_FAILOVER_HARNESS_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/integration/analytics_harness.h"
#include "tests/support/redis_sentinel.h"

namespace gnlc::analytics::testing {

class FailoverTest : public AnalyticsTest {
 protected:
  virtual int ReplicaCount() const { return 1; }
  void StartRedis() override;
  std::string ServiceRedisAddress() const override;
  RedisOptions InspectOptions() const override;

  // SIGKILLs the primary (redis_) and returns the moment of the kill once
  // the Sentinel names a replica the primary; that one becomes redis_, and
  // the dead one takes its place in replicas_ until RestoreReplica.
  absl::Time KillPrimary();
  // After the primary died some other way (Kill, with replicas paused):
  // waits until the Sentinel has promoted a replica, and swaps as above.
  void AwaitPromotion();
  // Starts the killed server again, as the new primary's replica, and
  // waits until the Sentinel counts it as a replica in good standing.
  void RestoreReplica();

  std::vector<std::unique_ptr<gnlc::testing::RedisServerProcess>> replicas_;
  size_t dead_ = 0;  // which of replicas_ is the killed primary
  std::unique_ptr<gnlc::testing::SentinelProcess> sentinel_;
};

// Residents enrolling into `offerings` (round robin) from `clients` threads,
// one call in flight each, until Stop(): each client creates a learner and
// enrolls it with a request id, and on UNAVAILABLE retries the same call
// after 10 ms, as a mobile backend does. With `learners` given, the clients
// enroll those (client c takes c, c + clients, ...) and stop when out.
class EnrollmentLoad {
 public:
  struct Ack {
    std::string learner, offering, enrollment;
    absl::Time started, answered;  // of the call that succeeded
  };

  EnrollmentLoad(enrollment::v1::EnrollmentService::Stub& stub, std::vector<std::string> offerings,
                 int clients, std::vector<std::string> learners = {});
  ~EnrollmentLoad() { Stop(); }

  void Stop();
  // Until the clients have run out of learners.
  void Join();
  int64_t acks() const { return acks_.load(); }
  int64_t unavailable() const { return unavailable_.load(); }
  std::vector<Ack> acknowledged() const;
  // Failures other than UNAVAILABLE (none is expected).
  std::vector<absl::Status> unexpected() const;
  // When the first call started after `t` succeeded (InfiniteFuture if none).
  absl::Time FirstSuccessStartedAfter(absl::Time t) const;

 private:
  void Client(int c);
  // Calls `call` until it succeeds or the load stops; false if stopped.
  bool UntilDone(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                 absl::Time& started);

  enrollment::v1::EnrollmentService::Stub& stub_;
  const std::vector<std::string> offerings_;
  const std::vector<std::string> learners_;
  const int clients_;
  const int id_;  // tells this load's request ids from another's
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acks_{0}, unavailable_{0};
  mutable absl::Mutex mu_;
  std::vector<Ack> acknowledged_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> unexpected_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace gnlc::analytics::testing

#endif  // GNLC_TESTS_INTEGRATION_FAILOVER_HARNESS_H_
