#include "tools/demo/partnership_demo.h"

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "tools/demo/demo_rpc.h"

namespace gnlc::demo {
namespace {

namespace pb = gnlc::partnership::v1;
using google::protobuf::util::TimeUtil;

struct PartnerSpec {
  const char* key;
  pb::OrganisationType type;
  const char* zh;
  const char* en;
  const char* website;
  bool verified;
};

// Per city: university, vocational school, cultural body, NGO or learning
// centre, business, senior centre, education bureau, second business.
const std::map<std::string, std::vector<PartnerSpec>>& Partners() {
  static const auto* partners = new std::map<std::string, std::vector<PartnerSpec>>{
      {"nanjing",
       {{"university", pb::ORGANISATION_TYPE_UNIVERSITY, "南京大学", "Nanjing University",
         "https://www.nju.edu.cn", true},
        {"vocational", pb::ORGANISATION_TYPE_VOCATIONAL_SCHOOL, "南京工业职业技术大学",
         "Nanjing Vocational University of Industry Technology", "https://www.niit.edu.cn", true},
        {"cultural", pb::ORGANISATION_TYPE_CULTURAL_ORGANISATION, "南京云锦研究所",
         "Nanjing Yunjin Research Institute", "", true},
        {"community", pb::ORGANISATION_TYPE_NGO, "益邻社区服务中心", "Yilin Community Services", "",
         false},
        {"business", pb::ORGANISATION_TYPE_BUSINESS, "江苏移动南京分公司",
         "China Mobile Jiangsu, Nanjing branch", "", true},
        {"senior", pb::ORGANISATION_TYPE_SENIOR_CENTRE, "鼓楼区老年大学", "Gulou Senior University",
         "", true},
        {"government", pb::ORGANISATION_TYPE_GOVERNMENT, "南京市教育局",
         "Nanjing Municipal Education Bureau", "", true},
        {"bank", pb::ORGANISATION_TYPE_BUSINESS, "南京银行", "Bank of Nanjing", "", true}}},
      {"suzhou",
       {{"university", pb::ORGANISATION_TYPE_UNIVERSITY, "苏州大学", "Soochow University",
         "https://www.suda.edu.cn", true},
        {"vocational", pb::ORGANISATION_TYPE_VOCATIONAL_SCHOOL, "苏州工业园区职业技术学院",
         "Suzhou Industrial Park Institute of Vocational Technology", "", true},
        {"cultural", pb::ORGANISATION_TYPE_CULTURAL_ORGANISATION, "苏州刺绣研究所",
         "Suzhou Embroidery Research Institute", "", true},
        {"community", pb::ORGANISATION_TYPE_COMMUNITY_LEARNING_CENTRE, "姑苏区社区学习中心",
         "Gusu Community Learning Centre", "", false},
        {"business", pb::ORGANISATION_TYPE_BUSINESS, "苏州工业园区科技企业联盟",
         "Suzhou Industrial Park Tech Enterprises", "", true},
        {"senior", pb::ORGANISATION_TYPE_SENIOR_CENTRE, "苏州市老年大学",
         "Suzhou Senior University", "", true},
        {"government", pb::ORGANISATION_TYPE_GOVERNMENT, "苏州市教育局",
         "Suzhou Municipal Education Bureau", "", true},
        {"bank", pb::ORGANISATION_TYPE_BUSINESS, "苏州银行", "Bank of Suzhou", "", true}}},
  };
  return *partners;
}

gnlc::type::v1::Money Cny(int64_t units) {
  gnlc::type::v1::Money m;
  m.set_currency_code("CNY");
  m.set_units(units);
  return m;
}

class Loader {
 public:
  Loader(pb::PartnershipService::Stub& stub, std::string city)
      : stub_(stub), city_(std::move(city)) {}

  bool ok() const { return ok_; }

  std::string Partner(const PartnerSpec& spec) {
    pb::CreatePartnerRequest req;
    req.set_parent("cities/" + city_);
    req.set_request_id(absl::StrCat("demo-partner-", spec.key));
    pb::Partner& p = *req.mutable_partner();
    p.set_type(spec.type);
    p.mutable_display_name()->set_zh(spec.zh);
    p.mutable_display_name()->set_en(spec.en);
    p.set_home_city(city_);
    p.set_website(spec.website);
    p.set_contact_email(absl::StrCat("partnerships@", spec.key, ".", city_, ".example"));
    p.set_verified(spec.verified);
    pb::CreatePartnerResponse resp;
    Check(Call([&](grpc::ClientContext* c) { return stub_.CreatePartner(c, req, &resp); }),
          spec.en);
    return resp.partner().name();
  }

  // A partnership with members (partner, role) and linked programs.
  std::string Partnership(const std::string& key, pb::PartnershipModel model, const char* zh,
                          const char* en, const char* objectives_en,
                          const std::vector<std::pair<std::string, pb::MemberRole>>& members,
                          const std::vector<std::string>& programs, std::vector<int> sdgs) {
    pb::CreatePartnershipRequest req;
    req.set_parent("cities/" + city_);
    req.set_request_id(absl::StrCat("demo-partnership-", key));
    pb::Partnership& p = *req.mutable_partnership();
    p.set_model(model);
    p.mutable_title()->set_zh(zh);
    p.mutable_title()->set_en(en);
    p.mutable_objectives()->set_en(objectives_en);
    for (int g : sdgs) p.add_sdg_goals(g);
    *p.mutable_start_time() =
        TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now() - absl::Hours(24 * 120)));
    for (const auto& [partner, role] : members) {
      auto* m = p.add_members();
      m->set_partner(partner);
      m->set_role(role);
    }
    for (const auto& program : programs) p.add_programs(program);
    pb::CreatePartnershipResponse resp;
    Check(Call([&](grpc::ClientContext* c) { return stub_.CreatePartnership(c, req, &resp); }), en);
    ++partnerships_;
    return resp.partnership().name();
  }

  void Transition(const std::string& name, pb::PartnershipState to, const char* reason) {
    pb::TransitionPartnershipRequest req;
    req.set_name(name);
    req.set_to_state(to);
    req.set_reason(reason);
    req.set_actor(absl::StrCat("staff:", city_, "-learning-city-office"));
    pb::TransitionPartnershipResponse resp;
    Check(Call([&](grpc::ClientContext* c) { return stub_.TransitionPartnership(c, req, &resp); }),
          name);
  }

  void Commit(const std::string& partnership, const std::string& funder, int64_t units,
              const std::string& key) {
    pb::RecordFundingCommitmentRequest req;
    req.set_partnership(partnership);
    req.set_request_id(key);
    req.mutable_commitment()->set_funder(funder);
    *req.mutable_commitment()->mutable_amount() = Cny(units);
    pb::RecordFundingCommitmentResponse resp;
    Check(
        Call([&](grpc::ClientContext* c) { return stub_.RecordFundingCommitment(c, req, &resp); }),
        key);
  }

  void Disburse(const std::string& partnership, const std::string& recipient, bool program,
                int64_t units, const std::string& key) {
    pb::RecordDisbursementRequest req;
    req.set_partnership(partnership);
    req.set_request_id(key);
    if (program) {
      req.mutable_disbursement()->set_recipient_program(recipient);
    } else {
      req.mutable_disbursement()->set_recipient_partner(recipient);
    }
    *req.mutable_disbursement()->mutable_amount() = Cny(units);
    pb::RecordDisbursementResponse resp;
    Check(Call([&](grpc::ClientContext* c) { return stub_.RecordDisbursement(c, req, &resp); }),
          key);
  }

  int partnerships() const { return partnerships_; }

 private:
  void Check(const grpc::Status& s, const std::string& what) {
    if (s.ok()) return;
    std::fprintf(stderr, "gnlc-demo-load: %s: %s\n", what.c_str(), s.error_message().c_str());
    ok_ = false;
  }

  pb::PartnershipService::Stub& stub_;
  const std::string city_;
  bool ok_ = true;
  int partnerships_ = 0;
};

}  // namespace

int LoadPartnershipDemo(pb::PartnershipService::Stub& stub, const std::string& city,
                        const std::vector<std::string>& programs) {
  auto specs = Partners().find(city);
  if (specs == Partners().end()) return 0;  // no demo partners for this city
  Loader l(stub, city);
  std::map<std::string, std::string> partner;
  for (const PartnerSpec& spec : specs->second) partner[spec.key] = l.Partner(spec);
  if (!l.ok()) return 1;
  const std::vector<std::string> linked(programs.begin(),
                                        programs.begin() + std::min<size_t>(2, programs.size()));

  const std::string alliance = l.Partnership(
      "alliance", pb::PARTNERSHIP_MODEL_PUBLIC_PRIVATE_ALLIANCE, "数字包容行动联盟",
      "Digital Inclusion Alliance",
      "Pooled funding from the city and local businesses for digital skills of seniors and "
      "newcomers.",
      {{partner["government"], pb::MEMBER_ROLE_LEAD},
       {partner["business"], pb::MEMBER_ROLE_FUNDER},
       {partner["bank"], pb::MEMBER_ROLE_FUNDER},
       {partner["senior"], pb::MEMBER_ROLE_HOST}},
      linked, {4, 10, 17});
  l.Transition(alliance, pb::PARTNERSHIP_STATE_ACTIVE, "agreement signed by all members");
  l.Commit(alliance, partner["business"], 500000, "demo-commit-business");
  l.Commit(alliance, partner["bank"], 200000, "demo-commit-bank");
  if (!linked.empty()) l.Disburse(alliance, linked[0], true, 120000, "demo-disburse-program");
  l.Disburse(alliance, partner["senior"], false, 30000, "demo-disburse-senior");

  const std::string academic =
      l.Partnership("academic", pb::PARTNERSHIP_MODEL_ACADEMIC, "高校—职校学分互认",
                    "University–college credit bridge",
                    "Credits earned in vocational courses count towards university certificates.",
                    {{partner["university"], pb::MEMBER_ROLE_LEAD},
                     {partner["vocational"], pb::MEMBER_ROLE_MEMBER}},
                    {}, {4, 8});
  l.Transition(academic, pb::PARTNERSHIP_STATE_ACTIVE, "memorandum signed");

  l.Partnership(
      "community", pb::PARTNERSHIP_MODEL_COMMUNITY_ENGAGEMENT_COLLABORATIVE, "社区学习伙伴计划",
      "Neighbourhood learning partners",
      "Volunteers and community centres run weekly learning circles.",
      {{partner["community"], pb::MEMBER_ROLE_LEAD}, {partner["cultural"], pb::MEMBER_ROLE_HOST}},
      {}, {4, 11});

  const std::string curriculum = l.Partnership(
      "curriculum", pb::PARTNERSHIP_MODEL_CURRICULUM_DEVELOPMENT, "非遗技艺课程开发",
      "Heritage crafts curriculum",
      "A twelve-week curriculum on local heritage crafts, written with master artisans.",
      {{partner["cultural"], pb::MEMBER_ROLE_LEAD},
       {partner["vocational"], pb::MEMBER_ROLE_RESEARCH_PARTNER}},
      {}, {4, 11});
  l.Transition(curriculum, pb::PARTNERSHIP_STATE_ACTIVE, "work plan approved");
  l.Transition(curriculum, pb::PARTNERSHIP_STATE_CONCLUDED, "curriculum published");

  std::printf(
      "%s: %zu partners, %d partnerships (a public-private alliance with a funding pool: "
      "700,000 CNY committed, 150,000 disbursed)\n",
      city.c_str(), partner.size(), l.partnerships());
  return l.ok() ? 0 : 1;
}

int LinkPeerCity(pb::PartnershipService::Stub& local, const std::string& city,
                 pb::PartnershipService::Stub& peer, const std::string& peer_city) {
  pb::ListPartnershipsRequest existing;
  existing.set_parent("cities/" + city);
  existing.set_member_city(peer_city);
  pb::ListPartnershipsResponse found;
  if (!Call([&](grpc::ClientContext* c) {
         return local.ListPartnerships(c, existing, &found);
       }).ok()) {
    return 1;
  }
  if (found.partnerships_size() > 0) return 0;
  auto host = [&](pb::PartnershipService::Stub& stub, const std::string& c) {
    pb::ListPartnersRequest req;
    req.set_parent("cities/" + c);
    req.set_type(pb::ORGANISATION_TYPE_CULTURAL_ORGANISATION);
    pb::ListPartnersResponse resp;
    const bool ok =
        Call([&](grpc::ClientContext* ctx) { return stub.ListPartners(ctx, req, &resp); }).ok();
    return ok && resp.partners_size() > 0 ? resp.partners(0).name() : std::string();
  };
  const std::string ours = host(local, city), theirs = host(peer, peer_city);
  if (ours.empty() || theirs.empty()) return 1;
  Loader l(local, city);
  const std::string series = l.Partnership(
      absl::StrCat("international-", peer_city),
      pb::PARTNERSHIP_MODEL_CROSS_CULTURAL_WORKSHOP_SERIES, "南京—苏州非遗工作坊系列",
      "Nanjing–Suzhou heritage workshop series",
      "Yunjin brocade and Su embroidery masters teach in each other's city, with residents of "
      "all ages.",
      {{ours, pb::MEMBER_ROLE_LEAD}, {"//gnlc/" + theirs, pb::MEMBER_ROLE_HOST}}, {}, {4, 11, 17});
  l.Transition(series, pb::PARTNERSHIP_STATE_ACTIVE, "both cities' bureaus agreed");
  std::printf("%s: international partnership with %s (%s)\n", city.c_str(), peer_city.c_str(),
              series.c_str());
  return l.ok() ? 0 : 1;
}

}  // namespace gnlc::demo
