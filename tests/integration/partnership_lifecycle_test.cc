// Partners and partnerships through the gRPC API: lookup by name in both
// languages, filters, the lifecycle and its history, members across cities,
// linked catalog programs, and the events.
#include <gtest/gtest.h>

#include "common/events/event_codec.h"
#include "tests/integration/catalog_harness.h"
#include "tests/integration/partnership_harness.h"

namespace gnlc::partnership::testing {
namespace {

using catalog::testing::Ctx;
using PartnershipLifecycleTest = PartnershipTest;

std::vector<std::string> PartnerNames(ppb::PartnershipService::Stub& stub,
                                      ppb::ListPartnersRequest req) {
  std::vector<std::string> names;
  req.set_parent("cities/nanjing");
  for (int pages = 0; pages < 20; ++pages) {
    ppb::ListPartnersResponse resp;
    const grpc::Status s = stub.ListPartners(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& p : resp.partners()) names.push_back(p.display_name().en());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return names;
}

TEST_F(PartnershipLifecycleTest, PartnersAreFoundByNameTypeCityAndVerification) {
  CreatePartner("南京大学", "Nanjing University");
  CreatePartner("南京师范大学", "Nanjing Normal University");
  CreatePartner("苏州大学", "Soochow University", ppb::ORGANISATION_TYPE_UNIVERSITY, "suzhou");
  const std::string ngo =
      CreatePartner("益邻社区服务中心", "Yilin Community Services", ppb::ORGANISATION_TYPE_NGO);

  ppb::ListPartnersRequest zh;
  zh.set_query("南京");
  EXPECT_EQ(PartnerNames(stub(), zh),
            (std::vector<std::string>{"Nanjing University", "Nanjing Normal University"}));
  ppb::ListPartnersRequest en;
  en.set_query("UNIVERSITY");
  en.set_page_size(1);  // paging through
  EXPECT_EQ(PartnerNames(stub(), en).size(), 3u);
  ppb::ListPartnersRequest city;
  city.set_home_city("suzhou");
  EXPECT_EQ(PartnerNames(stub(), city), (std::vector<std::string>{"Soochow University"}));
  ppb::ListPartnersRequest type;
  type.set_type(ppb::ORGANISATION_TYPE_NGO);
  EXPECT_EQ(PartnerNames(stub(), type), (std::vector<std::string>{"Yilin Community Services"}));

  // Verified by city staff, with the etag.
  ppb::UpdatePartnerRequest verify;
  verify.mutable_partner()->set_name(ngo);
  verify.mutable_partner()->set_verified(true);
  verify.mutable_update_mask()->add_paths("verified");
  verify.set_etag("1");
  ppb::UpdatePartnerResponse verified;
  ASSERT_TRUE(stub().UpdatePartner(Ctx().get(), verify, &verified).ok());
  EXPECT_EQ(verified.partner().etag(), "2");
  EXPECT_EQ(stub().UpdatePartner(Ctx().get(), verify, &verified).error_code(),
            grpc::StatusCode::ABORTED);
  ppb::ListPartnersRequest only_verified;
  only_verified.set_verified_only(true);
  EXPECT_EQ(PartnerNames(stub(), only_verified),
            (std::vector<std::string>{"Yilin Community Services"}));

  // Bad input says what to fix.
  ppb::CreatePartnerRequest bad;
  bad.set_parent("cities/nanjing");
  bad.mutable_partner()->set_type(ppb::ORGANISATION_TYPE_NGO);
  bad.mutable_partner()->mutable_display_name()->set_en("X");
  bad.mutable_partner()->set_home_city("nanjing");
  bad.mutable_partner()->set_website("http://insecure.example");
  ppb::CreatePartnerResponse created;
  EXPECT_EQ(stub().CreatePartner(Ctx().get(), bad, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PartnershipLifecycleTest, EveryInvalidTransitionIsRejectedAndHistoryIsExact) {
  using S = ppb::PartnershipState;
  const std::vector<S> all = {ppb::PARTNERSHIP_STATE_PROPOSED, ppb::PARTNERSHIP_STATE_ACTIVE,
                              ppb::PARTNERSHIP_STATE_CONCLUDED, ppb::PARTNERSHIP_STATE_WITHDRAWN};
  const std::map<S, std::set<S>> allowed = {
      {ppb::PARTNERSHIP_STATE_PROPOSED,
       {ppb::PARTNERSHIP_STATE_ACTIVE, ppb::PARTNERSHIP_STATE_WITHDRAWN}},
      {ppb::PARTNERSHIP_STATE_ACTIVE,
       {ppb::PARTNERSHIP_STATE_CONCLUDED, ppb::PARTNERSHIP_STATE_WITHDRAWN}},
      {ppb::PARTNERSHIP_STATE_CONCLUDED, {}},
      {ppb::PARTNERSHIP_STATE_WITHDRAWN, {}}};
  const std::string lead = CreatePartner("南京大学", "Nanjing University");
  // Paths that reach each state, then every step tried from there.
  const std::vector<std::vector<S>> paths = {
      {},
      {ppb::PARTNERSHIP_STATE_ACTIVE},
      {ppb::PARTNERSHIP_STATE_ACTIVE, ppb::PARTNERSHIP_STATE_CONCLUDED},
      {ppb::PARTNERSHIP_STATE_WITHDRAWN},
      {ppb::PARTNERSHIP_STATE_ACTIVE, ppb::PARTNERSHIP_STATE_WITHDRAWN}};
  for (const auto& path : paths) {
    const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_ACADEMIC, lead);
    S state = ppb::PARTNERSHIP_STATE_PROPOSED;
    for (S step : path) {
      ASSERT_TRUE(Transition(p.name(), step, "planned").ok());
      state = step;
    }
    for (S to : all) {
      if (allowed.at(state).contains(to)) continue;
      auto refused = Transition(p.name(), to);
      EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
          << ppb::PartnershipState_Name(state) << " -> " << ppb::PartnershipState_Name(to);
    }
    ppb::GetPartnershipRequest get;
    get.set_name(p.name());
    ppb::GetPartnershipResponse got;
    ASSERT_TRUE(stub().GetPartnership(Ctx().get(), get, &got).ok());
    EXPECT_EQ(got.partnership().state(), state);
    ASSERT_EQ(got.partnership().history_size(), static_cast<int>(path.size()) + 1);
    for (size_t i = 0; i < path.size(); ++i) {
      const auto& t = got.partnership().history(static_cast<int>(i) + 1);
      EXPECT_EQ(t.to_state(), path[i]);
      EXPECT_EQ(t.actor(), "staff:wang.li");
      EXPECT_EQ(t.reason(), "planned");
      EXPECT_TRUE(t.has_time());
    }
  }
  // The refusal names what is allowed.
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_ACADEMIC, lead);
  auto refused = Transition(p.name(), ppb::PARTNERSHIP_STATE_CONCLUDED);
  EXPECT_EQ(refused.status().message(),
            "PARTNERSHIP_STATE_PROPOSED cannot become PARTNERSHIP_STATE_CONCLUDED; allowed: "
            "PARTNERSHIP_STATE_ACTIVE, PARTNERSHIP_STATE_WITHDRAWN");
  // Activating needs a lead.
  const ppb::Partnership leaderless = CreatePartnership(ppb::PARTNERSHIP_MODEL_ACADEMIC, "");
  EXPECT_EQ(Transition(leaderless.name(), ppb::PARTNERSHIP_STATE_ACTIVE).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PartnershipLifecycleTest, MembersAcrossCitiesAndOneLead) {
  const std::string lead = CreatePartner("南京大学", "Nanjing University");
  const ppb::Partnership p =
      CreatePartnership(ppb::PARTNERSHIP_MODEL_CROSS_CULTURAL_WORKSHOP_SERIES, lead);
  EXPECT_FALSE(p.international());
  ppb::AddPartnershipMemberRequest add;
  add.set_partnership(p.name());
  add.mutable_member()->set_partner("//gnlc/cities/suzhou/partners/p17");
  add.mutable_member()->set_role(ppb::MEMBER_ROLE_HOST);
  ppb::AddPartnershipMemberResponse added;
  ASSERT_TRUE(stub().AddPartnershipMember(Ctx().get(), add, &added).ok());
  EXPECT_TRUE(added.partnership().international());
  EXPECT_EQ(stub().AddPartnershipMember(Ctx().get(), add, &added).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  add.mutable_member()->set_partner(CreatePartner("南京博物院", "Nanjing Museum"));
  add.mutable_member()->set_role(ppb::MEMBER_ROLE_LEAD);
  EXPECT_EQ(stub().AddPartnershipMember(Ctx().get(), add, &added).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // a second lead
  add.mutable_member()->set_partner("cities/nanjing/partners/pmissing");
  add.mutable_member()->set_role(ppb::MEMBER_ROLE_MEMBER);
  EXPECT_EQ(stub().AddPartnershipMember(Ctx().get(), add, &added).error_code(),
            grpc::StatusCode::NOT_FOUND);

  ppb::ListPartnershipsRequest list;
  list.set_parent("cities/nanjing");
  list.set_member_city("suzhou");
  list.set_model(ppb::PARTNERSHIP_MODEL_CROSS_CULTURAL_WORKSHOP_SERIES);
  ppb::ListPartnershipsResponse listed;
  ASSERT_TRUE(stub().ListPartnerships(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.partnerships_size(), 1);
  list.set_model(ppb::PARTNERSHIP_MODEL_ACADEMIC);
  ASSERT_TRUE(stub().ListPartnerships(Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.partnerships_size(), 0);

  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());
  ppb::RemovePartnershipMemberRequest remove;
  remove.set_partnership(p.name());
  remove.set_partner(lead);
  ppb::RemovePartnershipMemberResponse removed;
  EXPECT_EQ(stub().RemovePartnershipMember(Ctx().get(), remove, &removed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // the active lead stays
  remove.set_partner("//gnlc/cities/suzhou/partners/p17");
  ASSERT_TRUE(stub().RemovePartnershipMember(Ctx().get(), remove, &removed).ok());
  EXPECT_FALSE(removed.partnership().international());
}

TEST_F(PartnershipLifecycleTest, LinkedProgramsAreCheckedAndShowArchival) {
  auto program = catalog::testing::MustCreateProgram(
      catalog(), catalog::testing::NewProgram("云锦织造", "Yunjin brocade weaving",
                                              gnlc::type::v1::PROGRAM_KIND_CULTURAL));
  const std::string lead = CreatePartner("南京云锦研究所", "Nanjing Yunjin Institute",
                                         ppb::ORGANISATION_TYPE_CULTURAL_ORGANISATION);
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_CURRICULUM_DEVELOPMENT, lead);
  ppb::UpdatePartnershipRequest link;
  link.mutable_partnership()->set_name(p.name());
  link.mutable_partnership()->add_programs("cities/nanjing/programs/pnothere");
  link.mutable_update_mask()->add_paths("programs");
  ppb::UpdatePartnershipResponse linked;
  EXPECT_EQ(stub().UpdatePartnership(Ctx().get(), link, &linked).error_code(),
            grpc::StatusCode::NOT_FOUND);
  link.mutable_partnership()->set_programs(0, program.name());
  ASSERT_TRUE(stub().UpdatePartnership(Ctx().get(), link, &linked).ok());

  ppb::ListPartnershipProgramsRequest req;
  req.set_partnership(p.name());
  ppb::ListPartnershipProgramsResponse resp;
  ASSERT_TRUE(stub().ListPartnershipPrograms(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.programs_size(), 1);
  EXPECT_EQ(resp.programs(0).state(), "PROGRAM_STATE_PUBLISHED");

  gnlc::catalog::v1::DeleteProgramRequest del;
  del.set_name(program.name());
  gnlc::catalog::v1::DeleteProgramResponse deleted;
  ASSERT_TRUE(catalog().DeleteProgram(Ctx().get(), del, &deleted).ok());
  ppb::ListPartnershipProgramsResponse after;
  ASSERT_TRUE(stub().ListPartnershipPrograms(Ctx().get(), req, &after).ok());
  ASSERT_EQ(after.programs_size(), 1);
  EXPECT_EQ(after.programs(0).state(), "PROGRAM_STATE_ARCHIVED");
}

TEST_F(PartnershipLifecycleTest, EveryChangeIsAnEventOnThePartnershipStream) {
  const std::string lead = CreatePartner("南京大学", "Nanjing University");
  const std::string bank =
      CreatePartner("南京银行", "Bank of Nanjing", ppb::ORGANISATION_TYPE_BUSINESS);
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_FUNDING_POOL, lead, bank);
  ppb::AddPartnershipMemberRequest add;
  add.set_partnership(p.name());
  add.mutable_member()->set_partner("//gnlc/cities/suzhou/partners/p3");
  add.mutable_member()->set_role(ppb::MEMBER_ROLE_MEMBER);
  ppb::AddPartnershipMemberResponse added;
  ASSERT_TRUE(stub().AddPartnershipMember(Ctx().get(), add, &added).ok());
  ppb::RemovePartnershipMemberRequest remove;
  remove.set_partnership(p.name());
  remove.set_partner("//gnlc/cities/suzhou/partners/p3");
  ppb::RemovePartnershipMemberResponse removed;
  ASSERT_TRUE(stub().RemovePartnershipMember(Ctx().get(), remove, &removed).ok());
  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());
  ASSERT_TRUE(Commit(p.name(), bank, Cny(500)).ok());
  ASSERT_TRUE(Disburse(p.name(), lead, Cny(200)).ok());

  auto reply = partnership_->pool->Command({"XRANGE", "par:{0}:events", "-", "+"});
  ASSERT_TRUE(reply.ok());
  std::vector<std::string> seen;
  for (size_t i = 0; i < reply->view().size(); ++i) {
    auto e = DecodeEvent(reply->view()[i][0].str(), reply->view()[i][1][1].str());
    ASSERT_TRUE(e.ok());
    if (e->has_partner_changed()) seen.push_back("partner");
    if (e->has_partnership_changed()) seen.push_back(e->partnership_changed().change());
    if (e->has_funding_recorded()) {
      seen.push_back(e->funding_recorded().kind());
      EXPECT_EQ(e->funding_recorded().partnership(), p.name());
    }
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"partner", "partner", "created", "member_added",
                                      "member_removed", "transitioned", "committed", "disbursed"}));
}

}  // namespace
}  // namespace gnlc::partnership::testing
