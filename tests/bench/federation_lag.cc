// gnlc-federation-lag: how long a change at one city takes to show in
// another city's network search. Each probe renames one program at the
// origin to a fresh word and polls the mirroring city's network-wide search
// for that word every 10 ms; the time from the origin's acknowledgement to
// the first hit is the lag. Probes are spaced by --interval_ms plus a random
// 0-1000 ms, so that they fall at every phase of the harvester's polling
// instead of locking onto it. Prints p50, p99 and max. Bounded: --probes
// probes, each given up after 10 s (counted as lost).
//
//   gnlc-federation-lag --origin=127.0.0.1:P --origin_city=suzhou --origin_ca=CA
//       --origin_token_file=T --mirror=127.0.0.1:Q --mirror_city=nanjing
//       --mirror_ca=CA --mirror_token_file=T --probes=200 --interval_ms=100
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "tools/gnlcctl/client_channel.h"

namespace pb = gnlc::catalog::v1;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(s.str()));
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  std::string origin, origin_city = "suzhou", origin_ca, origin_token, mirror;
  std::string mirror_city = "nanjing", mirror_ca, mirror_token;
  int probes = 200, interval_ms = 100;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto flag = [&](absl::string_view name, std::string& out) {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (!absl::StartsWith(a, prefix)) return false;
      out = a.substr(prefix.size());
      return true;
    };
    std::string number;
    if (flag("origin", origin) || flag("origin_city", origin_city) ||
        flag("origin_ca", origin_ca) || flag("mirror", mirror) ||
        flag("mirror_city", mirror_city) || flag("mirror_ca", mirror_ca)) {
      continue;
    }
    if (flag("origin_token_file", number)) {
      origin_token = ReadFile(number);
    } else if (flag("mirror_token_file", number)) {
      mirror_token = ReadFile(number);
    } else if (flag("probes", number)) {
      probes = std::clamp(std::stoi(number), 1, 10000);
    } else if (flag("interval_ms", number)) {
      interval_ms = std::clamp(std::stoi(number), 0, 60000);
    } else {
      std::fprintf(stderr, "gnlc-federation-lag: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  auto origin_stub = pb::CatalogService::NewStub(gnlc::ctl::ClientChannel(
      origin, {.plaintext = false, .ca_file = origin_ca, .token = origin_token}));
  auto mirror_stub = pb::CatalogService::NewStub(gnlc::ctl::ClientChannel(
      mirror, {.plaintext = false, .ca_file = mirror_ca, .token = mirror_token}));

  // The probe program, created once at the origin.
  pb::CreateProgramRequest create;
  create.set_parent(absl::StrCat("cities/", origin_city));
  pb::Program& p = *create.mutable_program();
  p.set_kind(gnlc::type::v1::PROGRAM_KIND_WORKSHOP);
  p.mutable_title()->set_en("lag probe");
  p.set_state(pb::PROGRAM_STATE_PUBLISHED);
  pb::CreateProgramResponse created;
  if (grpc::Status s = origin_stub->CreateProgram(Ctx().get(), create, &created); !s.ok()) {
    std::fprintf(stderr, "cannot create the probe program: %s\n", s.error_message().c_str());
    return 1;
  }
  std::vector<double> lags_ms;
  int lost = 0;
  std::mt19937 rng(20261130);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()) % 100000000);
  for (int i = 0; i < probes; ++i) {
    const std::string word = absl::StrCat("probe", run, "x", i);
    pb::UpdateProgramRequest update;
    update.mutable_program()->set_name(created.program().name());
    update.mutable_program()->mutable_title()->set_en(word);
    update.mutable_update_mask()->add_paths("title");
    pb::UpdateProgramResponse updated;
    if (grpc::Status s = origin_stub->UpdateProgram(Ctx().get(), update, &updated); !s.ok()) {
      std::fprintf(stderr, "update failed: %s\n", s.error_message().c_str());
      ++lost;
      continue;
    }
    const absl::Time acked = absl::Now();
    bool seen = false;
    while (absl::Now() - acked < absl::Seconds(10)) {
      pb::SearchProgramsRequest search;
      search.set_parent(absl::StrCat("cities/", mirror_city));
      search.set_query(word);
      search.set_scope(pb::SEARCH_SCOPE_NETWORK);
      pb::SearchProgramsResponse found;
      if (mirror_stub->SearchPrograms(Ctx().get(), search, &found).ok() &&
          found.results_size() > 0) {
        seen = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (seen) {
      lags_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - acked));
    } else {
      ++lost;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms + rng() % 1000));
  }
  std::sort(lags_ms.begin(), lags_ms.end());
  auto pct = [&](double q) {
    if (lags_ms.empty()) return 0.0;
    return lags_ms[std::min(lags_ms.size() - 1, static_cast<size_t>(q * lags_ms.size()))];
  };
  std::printf("federation lag over %zu probes: p50 %.0f ms  p99 %.0f ms  max %.0f ms  lost %d\n",
              lags_ms.size(), pct(0.5), pct(0.99), lags_ms.empty() ? 0.0 : lags_ms.back(), lost);
  return lost == 0 ? 0 : 1;
}
