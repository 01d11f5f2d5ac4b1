// gnlc-partnership-bench-setup: prepares the partnership benchmark through
// the real API: N partners (a fifth of another city, named in full), M
// partnerships of every model with 2–4 members, each ACTIVE with a large CNY
// commitment, and the gnlc-load request files.
//
//   gnlc-partnership-bench-setup --partnership=HOST:PORT --partners=10000
//       --partnerships=5000 --out=DIR
//
// Files: get.jsonl (GetPartnership), list.jsonl (ListPartnerships by model
// and member city), disburse.jsonl (RecordDisbursement of 1 CNY to the lead).
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
#include "gnlc/partnership/v1/partnership_service.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "tests/bench/bench_setup.h"
#include "tools/gnlcctl/client_channel.h"

namespace {

using gnlc::bench::Call;
using gnlc::bench::Parallel;

namespace pb = gnlc::partnership::v1;

int Fail(const std::string& message) {
  std::fprintf(stderr, "gnlc-partnership-bench-setup: %s\n", message.c_str());
  return 1;
}

const char* const kCities[] = {"suzhou", "wuxi", "changzhou", "yangzhou"};

}  // namespace

int main(int argc, char** argv) {
  std::string addr, out;
  int partners = 10000, partnerships = 5000;
  // TLS verified with --ca, and a city_admin token from --token_file.
  gnlc::ctl::ClientSecurity security;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (absl::StartsWith(a, "--partnership="))
      addr = a.substr(14);
    else if (absl::StartsWith(a, "--partners="))
      partners = std::atoi(a.c_str() + 11);
    else if (absl::StartsWith(a, "--partnerships="))
      partnerships = std::atoi(a.c_str() + 15);
    else if (gnlc::bench::ParseSecurityFlag(a, security))
      continue;
    else if (absl::StartsWith(a, "--out="))
      out = a.substr(6);
    else
      return Fail("unknown argument " + a);
  }
  if (addr.empty() || out.empty()) return Fail("usage: --partnership=HOST:PORT --out=DIR");
  auto stub = pb::PartnershipService::NewStub(gnlc::ctl::ClientChannel(addr, security));
  const absl::Time start = absl::Now();
  std::vector<std::string> partner_names(partners);
  if (!Parallel(partners, [&](int i) {
        pb::CreatePartnerRequest req;
        req.set_parent("cities/nanjing");
        pb::Partner& p = *req.mutable_partner();
        p.set_type(static_cast<pb::OrganisationType>(1 + i % 11));
        p.mutable_display_name()->set_zh(absl::StrCat("合作机构", i));
        p.mutable_display_name()->set_en(absl::StrCat("Partner organisation ", i));
        p.set_home_city("nanjing");
        p.set_verified(i % 3 == 0);
        pb::CreatePartnerResponse resp;
        const grpc::Status s =
            Call([&](grpc::ClientContext* c) { return stub->CreatePartner(c, req, &resp); });
        partner_names[i] = resp.partner().name();
        return s.ok();
      })) {
    return Fail("CreatePartner failed");
  }
  std::vector<std::string> names(partnerships), leads(partnerships);
  if (!Parallel(partnerships, [&](int i) {
        pb::CreatePartnershipRequest req;
        req.set_parent("cities/nanjing");
        pb::Partnership& p = *req.mutable_partnership();
        p.set_model(static_cast<pb::PartnershipModel>(1 + i % 7));
        p.mutable_title()->set_zh(absl::StrCat("合作项目", i));
        p.mutable_title()->set_en(absl::StrCat("Partnership ", i));
        p.add_sdg_goals(4);
        *p.mutable_start_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
            absl::ToUnixNanos(absl::Now()));
        const int members = 2 + i % 3;
        for (int m = 0; m < members; ++m) {
          auto* member = p.add_members();
          member->set_role(m == 0 ? pb::MEMBER_ROLE_LEAD
                                  : (m == 1 ? pb::MEMBER_ROLE_FUNDER : pb::MEMBER_ROLE_MEMBER));
          // Every fifth partnership has a member from another city.
          if (m == members - 1 && i % 5 == 0) {
            member->set_partner(
                absl::StrCat("//gnlc/cities/", kCities[(i / 5) % 4], "/partners/p", i));
          } else {
            member->set_partner(partner_names[(i * 7 + m * 13) % partners]);
          }
        }
        pb::CreatePartnershipResponse resp;
        if (!Call([&](grpc::ClientContext* c) {
               return stub->CreatePartnership(c, req, &resp);
             }).ok()) {
          return false;
        }
        names[i] = resp.partnership().name();
        leads[i] = p.members(0).partner();
        pb::TransitionPartnershipRequest activate;
        activate.set_name(names[i]);
        activate.set_to_state(pb::PARTNERSHIP_STATE_ACTIVE);
        activate.set_actor("bench");
        pb::TransitionPartnershipResponse activated;
        if (!Call([&](grpc::ClientContext* c) {
               return stub->TransitionPartnership(c, activate, &activated);
             }).ok()) {
          return false;
        }
        pb::RecordFundingCommitmentRequest commit;
        commit.set_partnership(names[i]);
        commit.mutable_commitment()->set_funder(p.members(1).partner());
        commit.mutable_commitment()->mutable_amount()->set_currency_code("CNY");
        commit.mutable_commitment()->mutable_amount()->set_units(1000000000);
        pb::RecordFundingCommitmentResponse committed;
        return Call([&](grpc::ClientContext* c) {
                 return stub->RecordFundingCommitment(c, commit, &committed);
               })
            .ok();
      })) {
    return Fail("CreatePartnership/Transition/Commit failed");
  }
  std::ofstream get(absl::StrCat(out, "/get.jsonl")), list(absl::StrCat(out, "/list.jsonl")),
      pay(absl::StrCat(out, "/disburse.jsonl"));
  for (int i = 0; i < partnerships; i += 3) get << R"({"name":")" << names[i] << "\"}\n";
  for (int model = 1; model <= 7; ++model) {
    for (const char* city : {"nanjing", "suzhou", "wuxi", "changzhou", "yangzhou"}) {
      list << R"({"parent":"cities/nanjing","model":)" << model << R"(,"member_city":")" << city
           << R"(","page_size":20})"
           << "\n";
    }
  }
  for (int i = 0; i < partnerships; ++i) {
    pay << R"({"partnership":")" << names[i] << R"(","disbursement":{"recipient_partner":")"
        << leads[i] << R"(","amount":{"currency_code":"CNY","units":"1"}}})"
        << "\n";
  }
  std::printf("set up %d partners and %d active partnerships in %.1f s\n", partners, partnerships,
              absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}
