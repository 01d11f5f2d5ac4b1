// gnlc-enrollment-bench-setup: prepares the enrollment benchmark through the
// real APIs: offerings in the catalog, learners in enrollment, one learner
// with 50 enrollments, and the gnlc-load request files (each CreateEnrollment
// request a distinct learner-offering pair, so no run repeats a request).
//
//   gnlc-enrollment-bench-setup --catalog=HOST:PORT --enrollment=HOST:PORT
//       --offerings=10000 --learners=80000 --out=DIR
//
// Files: spread-{a,b}.jsonl (CreateEnrollment over all offerings; a and b
// use disjoint pairs), hot-{a,b}.jsonl (everyone into one of two hot
// offerings of 100 seats), seats.jsonl (GetOfferingSeats), list.jsonl
// (ListEnrollments of the learner with 50 enrollments).
#include <grpcpp/create_channel.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
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

using gnlc::bench::Call;
using gnlc::bench::Parallel;

namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
using google::protobuf::util::TimeUtil;

constexpr int kOfferingsPerProgram = 100;

int Fail(const std::string& message) {
  std::fprintf(stderr, "gnlc-enrollment-bench-setup: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string catalog_addr, enrollment_addr, out;
  int offerings = 10000, learners = 80000;
  // TLS verified with --ca, and a city_admin token from --token_file.
  gnlc::ctl::ClientSecurity security;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (absl::StartsWith(a, "--catalog="))
      catalog_addr = a.substr(10);
    else if (absl::StartsWith(a, "--enrollment="))
      enrollment_addr = a.substr(13);
    else if (absl::StartsWith(a, "--offerings="))
      offerings = std::atoi(a.c_str() + 12);
    else if (absl::StartsWith(a, "--learners="))
      learners = std::atoi(a.c_str() + 11);
    else if (gnlc::bench::ParseSecurityFlag(a, security))
      continue;
    else if (absl::StartsWith(a, "--out="))
      out = a.substr(6);
    else
      return Fail("unknown argument " + a);
  }
  if (catalog_addr.empty() || enrollment_addr.empty() || out.empty()) {
    return Fail("usage: --catalog=HOST:PORT --enrollment=HOST:PORT --out=DIR");
  }
  auto catalog = cpb::CatalogService::NewStub(gnlc::ctl::ClientChannel(catalog_addr, security));
  auto enrollment =
      epb::EnrollmentService::NewStub(gnlc::ctl::ClientChannel(enrollment_addr, security));
  const absl::Time start = absl::Now();

  // Offerings: `offerings` spread ones, 2 hot ones, 50 for the listed learner.
  const int total = offerings + 2 + 50;
  const int programs = (total + kOfferingsPerProgram - 1) / kOfferingsPerProgram;
  std::vector<std::string> program_names(programs), offering_names(total);
  if (!Parallel(programs, [&](int i) {
        cpb::CreateProgramRequest req;
        req.set_parent("cities/nanjing");
        req.mutable_program()->set_kind(gnlc::type::v1::PROGRAM_KIND_COURSE);
        req.mutable_program()->mutable_title()->set_zh(absl::StrCat("基准课程 ", i));
        req.mutable_program()->mutable_title()->set_en(absl::StrCat("Benchmark course ", i));
        req.mutable_program()->set_state(cpb::PROGRAM_STATE_PUBLISHED);
        cpb::CreateProgramResponse resp;
        const grpc::Status s =
            Call([&](grpc::ClientContext* c) { return catalog->CreateProgram(c, req, &resp); });
        program_names[i] = resp.program().name();
        return s.ok();
      })) {
    return Fail("CreateProgram failed");
  }
  const absl::Time now = absl::Now();
  if (!Parallel(total, [&](int i) {
        cpb::CreateOfferingRequest req;
        req.set_parent(program_names[i / kOfferingsPerProgram]);
        cpb::Offering& o = *req.mutable_offering();
        *o.mutable_start_time() =
            TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now + absl::Hours(24 * 30)));
        *o.mutable_end_time() =
            TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now + absl::Hours(24 * 60)));
        *o.mutable_enrollment_open_time() =
            TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(1)));
        o.mutable_capacity()->set_seats(i >= offerings && i < offerings + 2 ? 100 : 30);
        o.set_modality(gnlc::type::v1::MODALITY_ONLINE);
        o.set_online_url("https://learn.nanjing.example/bench");
        cpb::CreateOfferingResponse resp;
        const grpc::Status s =
            Call([&](grpc::ClientContext* c) { return catalog->CreateOffering(c, req, &resp); });
        offering_names[i] = resp.offering().name();
        if (!s.ok()) std::fprintf(stderr, "%s\n", s.error_message().c_str());
        return s.ok();
      })) {
    return Fail("CreateOffering failed");
  }
  std::vector<std::string> learner_names(learners);
  if (!Parallel(learners, [&](int i) {
        epb::CreateLearnerRequest req;
        req.set_parent("cities/nanjing");
        req.mutable_learner()->set_district("gulou");
        req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
        req.mutable_learner()->mutable_consents()->set_city_statistics(true);
        epb::CreateLearnerResponse resp;
        const grpc::Status s =
            Call([&](grpc::ClientContext* c) { return enrollment->CreateLearner(c, req, &resp); });
        learner_names[i] = resp.learner().name();
        return s.ok();
      })) {
    return Fail("CreateLearner failed");
  }
  // The learner with 50 enrollments (learner 0, in the last 50 offerings).
  if (!Parallel(50, [&](int i) {
        epb::CreateEnrollmentRequest req;
        req.set_parent("cities/nanjing");
        req.set_learner(learner_names[0]);
        req.set_offering(offering_names[offerings + 2 + i]);
        epb::CreateEnrollmentResponse resp;
        return Call([&](grpc::ClientContext* c) {
                 return enrollment->CreateEnrollment(c, req, &resp);
               })
            .ok();
      })) {
    return Fail("CreateEnrollment for the listed learner failed");
  }
  auto enroll_line = [&](int learner, int offering) {
    return absl::StrCat(R"({"parent":"cities/nanjing","learner":")", learner_names[learner],
                        R"(","offering":")", offering_names[offering], "\"}\n");
  };
  // Pair i: learner i % L with offering (i / L + i) % O: distinct for i < L*O.
  const int64_t half = static_cast<int64_t>(learners) * offerings / 2;
  for (const char* name : {"spread-a", "spread-b"}) {
    std::ofstream f(absl::StrCat(out, "/", name, ".jsonl"));
    const int64_t first = name[7] == 'a' ? 0 : half;
    for (int64_t i = first; i < first + std::min<int64_t>(half, 150000); ++i) {
      f << enroll_line(static_cast<int>(i % learners),
                       static_cast<int>((i / learners + i) % offerings));
    }
  }
  for (int h = 0; h < 2; ++h) {
    std::ofstream f(absl::StrCat(out, "/hot-", h == 0 ? "a" : "b", ".jsonl"));
    for (int i = 1; i < learners; ++i) f << enroll_line(i, offerings + h);
  }
  {
    std::ofstream f(absl::StrCat(out, "/seats.jsonl"));
    for (int i = 0; i < offerings; i += 7) {
      f << R"({"offering":")" << offering_names[i] << "\"}\n";
    }
    std::ofstream l(absl::StrCat(out, "/list.jsonl"));
    l << R"({"learner":")" << learner_names[0] << R"(","page_size":50})"
      << "\n";
  }
  std::printf("set up %d offerings, %d learners in %.1f s\n", total, learners,
              absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}
