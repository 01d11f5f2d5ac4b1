// gnlc-demo-load: loads a city's demo catalog (deploy/demo/<city>.json), or N
// synthetic programs, through the real CatalogService API; with
// --enrollment, also demo learners and their enrollments (enrollment_demo.h).
//
//   gnlc-demo-load --addr=127.0.0.1:PORT --config=deploy/cities/nanjing.json
//                  --data=deploy/demo/nanjing.json [--enrollment=HOST:PORT]
//                  [--partnership=HOST:PORT]
//   gnlc-demo-load --config=deploy/cities/nanjing.json --partnership=HOST:PORT
//                  --link_peer=suzhou@HOST:PORT   # the cross-city partnership
//   gnlc-demo-load --addr=... --config=... --synthetic=100000 --threads=8
// Every call uses TLS verified with --ca and the city_admin token in
// --token_file (--peer_ca and --peer_token_file for the peer city of
// --link_peer), or --plaintext against servers started without TLS.
//
// Demo data is loaded only into an empty catalog (so running the launcher
// twice is harmless); creates carry request ids, so a retry never doubles.
#include <grpcpp/create_channel.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "tools/demo/demo_rpc.h"
#include "tools/demo/enrollment_demo.h"
#include "tools/demo/partnership_demo.h"
#include "tools/demo/synthetic_catalog.h"
#include "tools/gnlcctl/client_channel.h"

namespace {

using gnlc::demo::Call;

namespace pb = gnlc::catalog::v1;
using google::protobuf::util::TimeUtil;

struct Flags {
  std::string addr, config, data, enrollment, partnership, link_peer;
  int synthetic = 0, threads = 8;
  // This city's services (a city_admin token), and the peer's for --link_peer.
  gnlc::ctl::ClientSecurity local, peer;
};

std::string ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  in >> token;
  return token;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "gnlc-demo-load: %s\n", message.c_str());
  return 1;
}

google::protobuf::Timestamp At(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// Loads the demo catalog into an empty catalog, filling `created`; leaves
// `created` empty if the catalog already had programs.
int LoadDemo(pb::CatalogService::Stub& stub, const std::string& city, const std::string& path,
             std::vector<gnlc::demo::DemoOffering>& created_offerings) {
  pb::ListProgramsRequest list;
  list.set_parent("cities/" + city);
  list.set_page_size(1);
  pb::ListProgramsResponse listed;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub.ListPrograms(c, list, &listed); });
  if (!s.ok()) return Fail("ListPrograms: " + s.error_message());
  if (listed.programs_size() > 0) {
    std::printf("%s: catalog already has programs; demo data not loaded again\n", city.c_str());
    return 0;
  }
  std::ifstream in(path);
  nlohmann::json data = nlohmann::json::parse(in, nullptr, false);
  if (data.is_discarded()) return Fail("cannot parse " + path);
  const absl::Time now = absl::Now();
  int programs = 0, offerings = 0;
  for (const auto& entry : data["programs"]) {
    pb::CreateProgramRequest req;
    req.set_parent("cities/" + city);
    req.set_request_id(entry["key"].get<std::string>());
    auto parsed =
        google::protobuf::util::JsonStringToMessage(entry["program"].dump(), req.mutable_program());
    if (!parsed.ok())
      return Fail(absl::StrCat(req.request_id(), ": ", parsed.message().ToString()));
    pb::CreateProgramResponse created;
    s = Call([&](grpc::ClientContext* c) { return stub.CreateProgram(c, req, &created); });
    if (!s.ok()) return Fail(req.request_id() + ": " + s.error_message());
    ++programs;
    int index = 0;
    for (const auto& o : entry["offerings"]) {
      pb::CreateOfferingRequest oreq;
      oreq.set_parent(created.program().name());
      oreq.set_request_id(absl::StrCat(req.request_id(), "-o", index++));
      parsed = google::protobuf::util::JsonStringToMessage(o["offering"].dump(),
                                                           oreq.mutable_offering());
      if (!parsed.ok())
        return Fail(absl::StrCat(oreq.request_id(), ": ", parsed.message().ToString()));
      const absl::Time start = now + absl::Hours(24 * o["startInDays"].get<int>());
      *oreq.mutable_offering()->mutable_start_time() = At(start);
      *oreq.mutable_offering()->mutable_end_time() =
          At(start + absl::Hours(24 * o["durationDays"].get<int>()));
      *oreq.mutable_offering()->mutable_enrollment_open_time() =
          At(now + absl::Hours(24 * o["openInDays"].get<int>()));
      pb::CreateOfferingResponse made;
      s = Call([&](grpc::ClientContext* c) { return stub.CreateOffering(c, oreq, &made); });
      if (!s.ok()) return Fail(oreq.request_id() + ": " + s.error_message());
      ++offerings;
      const pb::Offering& o_made = made.offering();
      created_offerings.push_back(
          {.name = o_made.name(),
           .program = created.program().name(),
           .seats = o_made.capacity().has_unlimited() ? -1 : o_made.capacity().seats(),
           .kind = created.program().kind(),
           .open_now = created.program().state() == pb::PROGRAM_STATE_PUBLISHED &&
                       o["openInDays"].get<int>() <= 0 && o["startInDays"].get<int>() > 0});
    }
  }
  std::printf("%s: loaded %d programs and %d offerings\n", city.c_str(), programs, offerings);
  return 0;
}

int LoadSynthetic(pb::CatalogService::Stub& stub, const gnlc::CityConfig& config, int count,
                  int threads) {
  std::atomic<int> next{0}, programs{0}, offerings{0}, failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      gnlc::demo::SyntheticCatalog gen(config, 1000 + t);
      for (int i; (i = next.fetch_add(1)) < count;) {
        pb::CreateProgramRequest req;
        req.set_parent("cities/" + config.city_id());
        *req.mutable_program() = gen.NextProgram();
        pb::CreateProgramResponse created;
        if (!Call([&](grpc::ClientContext* c) {
               return stub.CreateProgram(c, req, &created);
             }).ok()) {
          ++failures;
          continue;
        }
        ++programs;
        for (auto& o : gen.OfferingsFor(start)) {
          pb::CreateOfferingRequest oreq;
          oreq.set_parent(created.program().name());
          *oreq.mutable_offering() = std::move(o);
          pb::CreateOfferingResponse made;
          if (Call([&](grpc::ClientContext* c) {
                return stub.CreateOffering(c, oreq, &made);
              }).ok()) {
            ++offerings;
          } else {
            ++failures;
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("%s: loaded %d programs and %d offerings in %.1f s (%.0f writes/s), %d failures\n",
              config.city_id().c_str(), programs.load(), offerings.load(), secs,
              (programs + offerings) / secs, failures.load());
  return failures > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (absl::StartsWith(a, "--addr="))
      f.addr = a.substr(7);
    else if (absl::StartsWith(a, "--config="))
      f.config = a.substr(9);
    else if (absl::StartsWith(a, "--data="))
      f.data = a.substr(7);
    else if (absl::StartsWith(a, "--enrollment="))
      f.enrollment = a.substr(13);
    else if (absl::StartsWith(a, "--partnership="))
      f.partnership = a.substr(14);
    else if (absl::StartsWith(a, "--link_peer="))
      f.link_peer = a.substr(12);
    else if (absl::StartsWith(a, "--synthetic="))
      f.synthetic = std::atoi(a.c_str() + 12);
    else if (absl::StartsWith(a, "--ca="))
      f.local.ca_file = a.substr(5);
    else if (absl::StartsWith(a, "--token_file="))
      f.local.token = ReadToken(a.substr(13));
    else if (absl::StartsWith(a, "--peer_ca="))
      f.peer.ca_file = a.substr(10);
    else if (absl::StartsWith(a, "--peer_token_file="))
      f.peer.token = ReadToken(a.substr(18));
    else if (a == "--plaintext")
      f.local.plaintext = f.peer.plaintext = true;
    else if (absl::StartsWith(a, "--threads="))
      f.threads = std::max(1, std::atoi(a.c_str() + 10));
    else
      return Fail("unknown argument " + a);
  }
  auto partnership_stub = [](const std::string& addr, const gnlc::ctl::ClientSecurity& security) {
    return gnlc::partnership::v1::PartnershipService::NewStub(
        gnlc::ctl::ClientChannel(addr, security));
  };
  if (!f.link_peer.empty()) {
    const size_t at = f.link_peer.find('@');
    auto config = gnlc::LoadCityConfig(f.config);
    if (at == std::string::npos || f.partnership.empty() || !config.ok()) {
      return Fail("usage: --config=CITY.json --partnership=HOST:PORT --link_peer=CITY@HOST:PORT");
    }
    auto local = partnership_stub(f.partnership, f.local);
    auto peer = partnership_stub(f.link_peer.substr(at + 1), f.peer);
    return gnlc::demo::LinkPeerCity(*local, config->city_id(), *peer, f.link_peer.substr(0, at));
  }
  if (f.addr.empty() || f.config.empty() || (f.data.empty() && f.synthetic <= 0)) {
    return Fail("usage: --addr=HOST:PORT --config=CITY.json (--data=FILE | --synthetic=N)");
  }
  auto config = gnlc::LoadCityConfig(f.config);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  auto channel = gnlc::ctl::ClientChannel(f.addr, f.local);
  auto stub = pb::CatalogService::NewStub(channel);
  if (f.synthetic > 0) return LoadSynthetic(*stub, *config, f.synthetic, f.threads);
  std::vector<gnlc::demo::DemoOffering> offerings;
  if (int rc = LoadDemo(*stub, config->city_id(), f.data, offerings); rc != 0) return rc;
  if (offerings.empty()) return 0;  // the catalog had its demo already
  if (!f.enrollment.empty()) {
    auto enrollment = gnlc::enrollment::v1::EnrollmentService::NewStub(
        gnlc::ctl::ClientChannel(f.enrollment, f.local));
    if (int rc = gnlc::demo::LoadEnrollmentDemo(*enrollment, *config, offerings); rc != 0) {
      return rc;
    }
  }
  if (f.partnership.empty()) return 0;
  std::vector<std::string> programs;
  for (const auto& o : offerings) {
    if (programs.empty() || programs.back() != o.program) programs.push_back(o.program);
  }
  return gnlc::demo::LoadPartnershipDemo(*partnership_stub(f.partnership, f.local),
                                         config->city_id(), programs);
}
