// gnlc-notification-bench: notifications delivered while enrollments and
// cancellations run at a set rate, and their lag from the change's commit
// to its arrival at the subscriber.
//
//   gnlc-notification-bench --enrollment=HOST:PORT --catalog=HOST:PORT
//       --ca=FILE --token_file=ADMIN --backend_token_file=BACKEND
//       --rate=2000 --seconds=10 --subscribers=4
//
// Set-up (through the APIs): 200 offerings of 5 seats and 2,000 learners of
// the backend. Then 8 workers run changes paced to --rate per second in
// total, each on its own offerings: enrol a learner (confirmed or
// waitlisted), then cancel its oldest enrollment (confirmed) as city staff,
// which notifies its learner (CANCELLED) and promotes the head of the
// waitlist (PROMOTED). --subscribers streams (partitions i/n) receive.
// Lag = arrival - Notification.time (the commit time the enrollment server
// stamped; client and server share this machine's clock).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "tests/bench/bench_setup.h"
#include "tools/gnlcctl/client_channel.h"

namespace {

namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
using gnlc::bench::Call;
using gnlc::bench::Parallel;
using google::protobuf::util::TimeUtil;

constexpr int kOfferings = 200, kSeats = 5, kLearners = 2000, kWorkers = 8;
constexpr char kBackend[] = "bench-app";

int Fail(const std::string& message) {
  std::fprintf(stderr, "gnlc-notification-bench: %s\n", message.c_str());
  return 1;
}

struct Received {
  std::mutex mu;
  std::vector<double> lag_ms;
  std::atomic<int64_t> count{0};
};

void Subscribe(const std::string& addr, const gnlc::ctl::ClientSecurity& security, int partition,
               int partitions, std::atomic<bool>& stop, grpc::ClientContext& ctx,
               std::atomic<bool>& ready, Received& out) {
  auto stub = epb::EnrollmentService::NewStub(gnlc::ctl::ClientChannel(addr, security));
  epb::SubscribeNotificationsRequest req;
  req.set_parent("cities/nanjing");
  req.set_partition(partition);
  req.set_partition_count(partitions);
  auto reader = stub->SubscribeNotifications(&ctx, req);
  epb::SubscribeNotificationsResponse resp;
  std::vector<double> lags;
  while (reader->Read(&resp)) {
    ready = true;
    const absl::Time now = absl::Now();
    for (const auto& n : resp.notifications()) {
      lags.push_back(absl::ToDoubleMilliseconds(
          now - absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(n.time()))));
    }
    out.count += resp.notifications_size();
    if (stop) break;
  }
  std::lock_guard<std::mutex> lock(out.mu);
  out.lag_ms.insert(out.lag_ms.end(), lags.begin(), lags.end());
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string catalog_addr, enrollment_addr, backend_token_file;
  int rate = 2000, seconds = 10, subscribers = 1;
  gnlc::ctl::ClientSecurity security;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (absl::StartsWith(a, "--catalog=")) {
      catalog_addr = a.substr(10);
    } else if (absl::StartsWith(a, "--enrollment=")) {
      enrollment_addr = a.substr(13);
    } else if (absl::StartsWith(a, "--backend_token_file=")) {
      backend_token_file = a.substr(21);
    } else if (absl::StartsWith(a, "--rate=")) {
      rate = std::atoi(a.c_str() + 7);
    } else if (absl::StartsWith(a, "--seconds=")) {
      seconds = std::atoi(a.c_str() + 10);
    } else if (absl::StartsWith(a, "--subscribers=")) {
      subscribers = std::atoi(a.c_str() + 14);
    } else if (!gnlc::bench::ParseSecurityFlag(a, security)) {
      return Fail("unknown argument " + a);
    }
  }
  if (catalog_addr.empty() || enrollment_addr.empty() || backend_token_file.empty() || rate <= 0 ||
      seconds <= 0 || subscribers <= 0 || subscribers > 64) {
    return Fail(
        "usage: --catalog= --enrollment= --ca= --token_file= --backend_token_file= "
        "[--rate=N] [--seconds=N] [--subscribers=1..64]");
  }
  gnlc::ctl::ClientSecurity backend = security;
  {
    std::ifstream in(backend_token_file);
    in >> backend.token;
  }
  auto catalog = cpb::CatalogService::NewStub(gnlc::ctl::ClientChannel(catalog_addr, security));
  auto enrollment =
      epb::EnrollmentService::NewStub(gnlc::ctl::ClientChannel(enrollment_addr, security));

  // Set-up.
  cpb::CreateProgramRequest program_req;
  program_req.set_parent("cities/nanjing");
  program_req.mutable_program()->set_kind(gnlc::type::v1::PROGRAM_KIND_COURSE);
  program_req.mutable_program()->mutable_title()->set_zh("通知基准");
  program_req.mutable_program()->mutable_title()->set_en("Notification benchmark");
  program_req.mutable_program()->set_state(cpb::PROGRAM_STATE_PUBLISHED);
  cpb::CreateProgramResponse program;
  if (!Call([&](grpc::ClientContext* c) {
         return catalog->CreateProgram(c, program_req, &program);
       }).ok()) {
    return Fail("CreateProgram failed");
  }
  const absl::Time now = absl::Now();
  std::vector<std::string> offerings(kOfferings), learners(kLearners);
  if (!Parallel(kOfferings,
                [&](int i) {
                  cpb::CreateOfferingRequest req;
                  req.set_parent(program.program().name());
                  cpb::Offering& o = *req.mutable_offering();
                  *o.mutable_start_time() = TimeUtil::NanosecondsToTimestamp(
                      absl::ToUnixNanos(now + absl::Hours(24 * 30)));
                  *o.mutable_end_time() = TimeUtil::NanosecondsToTimestamp(
                      absl::ToUnixNanos(now + absl::Hours(24 * 60)));
                  *o.mutable_enrollment_open_time() =
                      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(1)));
                  o.mutable_capacity()->set_seats(kSeats);
                  o.set_modality(gnlc::type::v1::MODALITY_ONLINE);
                  o.set_online_url("https://learn.nanjing.example/bench");
                  cpb::CreateOfferingResponse resp;
                  const grpc::Status s = Call([&](grpc::ClientContext* c) {
                    return catalog->CreateOffering(c, req, &resp);
                  });
                  offerings[i] = resp.offering().name();
                  return s.ok();
                }) ||
      !Parallel(kLearners, [&](int i) {
        epb::CreateLearnerRequest req;
        req.set_parent("cities/nanjing");
        req.mutable_learner()->set_district("gulou");
        req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
        req.mutable_learner()->set_backend(kBackend);
        req.mutable_learner()->set_external_subject(absl::StrCat("bench-person-", i));
        epb::CreateLearnerResponse resp;
        const grpc::Status s =
            Call([&](grpc::ClientContext* c) { return enrollment->CreateLearner(c, req, &resp); });
        learners[i] = resp.learner().name();
        return s.ok();
      })) {
    return Fail("set-up failed");
  }

  // Subscribers, each ready (its first response) before the load starts.
  Received received;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<std::atomic<bool>>> ready;
  std::vector<std::thread> readers;
  for (int p = 0; p < subscribers; ++p) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    ready.push_back(std::make_unique<std::atomic<bool>>(false));
    readers.emplace_back(Subscribe, enrollment_addr, backend, p, subscribers, std::ref(stop),
                         std::ref(*contexts.back()), std::ref(*ready.back()), std::ref(received));
  }
  for (auto& r : ready) {
    while (!*r) absl::SleepFor(absl::Milliseconds(10));
  }

  // The paced changes.
  std::atomic<int64_t> changes{0}, failures{0}, expected{0};
  const absl::Time start = absl::Now();
  const absl::Duration every = absl::Seconds(1) * kWorkers / rate;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      auto stub =
          epb::EnrollmentService::NewStub(gnlc::ctl::ClientChannel(enrollment_addr, security));
      std::vector<std::deque<std::string>> active(kOfferings / kWorkers);
      int next_learner = w;
      for (int64_t op = 0;; ++op) {
        const absl::Time due = start + every * op;
        if (due > start + absl::Seconds(seconds)) break;
        const absl::Time t = absl::Now();
        if (due > t) absl::SleepFor(due - t);
        const int slot = (op / 2) % static_cast<int>(active.size());
        const std::string& offering = offerings[w + slot * kWorkers];
        // FIFO: the oldest active enrollment holds a seat; cancelling it
        // promotes the head of the waitlist, kept non-empty by enrolling
        // one more than the seats before the first cancellation.
        auto& queue = active[slot];
        grpc::Status s;
        if (op % 2 == 0 || queue.size() <= static_cast<size_t>(kSeats)) {
          epb::CreateEnrollmentRequest req;
          req.set_parent("cities/nanjing");
          req.set_offering(offering);
          epb::CreateEnrollmentResponse resp;
          // A learner that cycled back to an offering it is still in
          // (ALREADY_EXISTS): the next learner instead.
          for (int attempt = 0; attempt < 4; ++attempt) {
            req.set_learner(learners[next_learner % kLearners]);
            next_learner += kWorkers;
            s = Call([&](grpc::ClientContext* c) { return stub->CreateEnrollment(c, req, &resp); });
            if (s.error_code() != grpc::StatusCode::ALREADY_EXISTS) break;
          }
          if (s.ok()) queue.push_back(resp.enrollment().name());
        } else {
          epb::CancelEnrollmentRequest req;
          req.set_name(queue.front());
          epb::CancelEnrollmentResponse resp;
          s = Call([&](grpc::ClientContext* c) { return stub->CancelEnrollment(c, req, &resp); });
          if (s.ok()) {
            queue.pop_front();
            expected += 2;  // CANCELLED, and PROMOTED
          }
        }
        ++(s.ok() ? changes : failures);
        if (!s.ok() && failures == 1) {
          std::fprintf(stderr, "first failure: %d %s\n", s.error_code(), s.error_message().c_str());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const absl::Duration ran = absl::Now() - start;
  // Let the last notifications arrive (bounded), then stop the readers.
  const absl::Time drain_until = absl::Now() + absl::Seconds(5);
  int64_t last = -1;
  while (absl::Now() < drain_until && received.count != last) {
    last = received.count;
    absl::SleepFor(absl::Milliseconds(300));
  }
  stop = true;
  for (auto& c : contexts) c->TryCancel();
  for (auto& r : readers) r.join();

  std::printf(
      "subscribers=%d target=%d changes/s achieved=%.0f changes/s (failed %lld) "
      "notifications=%lld (expected %lld) delivered=%.0f/s lag p50=%.1f ms p99=%.1f ms max=%.1f "
      "ms\n",
      subscribers, rate, changes / absl::ToDoubleSeconds(ran),
      static_cast<long long>(failures.load()), static_cast<long long>(received.count.load()),
      static_cast<long long>(expected.load()), received.count / absl::ToDoubleSeconds(ran),
      Percentile(received.lag_ms, 0.50), Percentile(received.lag_ms, 0.99),
      Percentile(received.lag_ms, 1.0));
  return 0;
}
