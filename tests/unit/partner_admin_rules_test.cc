// The partner admin's rules, case by case (services/partnership/
// partner_admin_rules.h): who may change what, in which state. The
// permission matrix drives the same rules through gRPC.
#include "services/partnership/partner_admin_rules.h"

#include <gtest/gtest.h>

#include "common/status/errors.h"

namespace gnlc::partnership {
namespace {

namespace pb = gnlc::partnership::v1;

constexpr char kLead[] = "cities/nanjing/partners/lead";
constexpr char kMember[] = "cities/nanjing/partners/member";
constexpr char kFunder[] = "cities/nanjing/partners/funder";
constexpr char kOutsider[] = "cities/nanjing/partners/outsider";

pb::Partnership With(pb::PartnershipState state) {
  pb::Partnership p;
  p.set_state(state);
  auto add = [&](const char* partner, pb::MemberRole role) {
    auto* m = p.add_members();
    m->set_partner(partner);
    m->set_role(role);
  };
  add(kLead, pb::MEMBER_ROLE_LEAD);
  add(kMember, pb::MEMBER_ROLE_MEMBER);
  add(kFunder, pb::MEMBER_ROLE_FUNDER);
  return p;
}

std::string Outcome(const pb::Partnership& p, const char* who, const PartnerAction& action) {
  const absl::Status s = PartnerAdminMay(p, who, action);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(IsDenied(s)) << "a refusal is audited as a denial";
  return ErrorReason(s);
}

PartnerAction Edit(std::vector<std::string> fields) {
  return PartnerAction::Edit(std::move(fields));
}

TEST(PartnerAdminRules, OnlyTheLeadEditsAndOnlyDescriptionsOnceApproved) {
  const pb::Partnership proposed = With(pb::PARTNERSHIP_STATE_PROPOSED);
  const pb::Partnership active = With(pb::PARTNERSHIP_STATE_ACTIVE);
  EXPECT_EQ(Outcome(proposed, kLead, Edit({"programs", "title"})), "OK");
  EXPECT_EQ(Outcome(active, kLead, Edit({"title", "objectives", "sdg_goals", "end_time"})), "OK");
  EXPECT_EQ(Outcome(active, kLead, Edit({"title", "programs"})), "CITY_APPROVES");
  EXPECT_EQ(Outcome(proposed, kMember, Edit({"title"})), "NOT_THE_LEAD");
  EXPECT_EQ(Outcome(active, kFunder, Edit({"programs"})), "NOT_THE_LEAD");
  EXPECT_EQ(Outcome(proposed, kOutsider, Edit({"title"})), "NOT_A_MEMBER");
}

TEST(PartnerAdminRules, MembersJoinOnlyAProposalThroughTheLead) {
  const PartnerAction add = PartnerAction::AddMember();
  EXPECT_EQ(Outcome(With(pb::PARTNERSHIP_STATE_PROPOSED), kLead, add), "OK");
  EXPECT_EQ(Outcome(With(pb::PARTNERSHIP_STATE_ACTIVE), kLead, add), "CITY_APPROVES");
  EXPECT_EQ(Outcome(With(pb::PARTNERSHIP_STATE_PROPOSED), kMember, add), "NOT_THE_LEAD");
  EXPECT_EQ(Outcome(With(pb::PARTNERSHIP_STATE_PROPOSED), kOutsider, add), "NOT_A_MEMBER");
}

TEST(PartnerAdminRules, AMemberLeavesTheLeadRemovesOthersNobodyRemovesTheLead) {
  const pb::Partnership active = With(pb::PARTNERSHIP_STATE_ACTIVE);
  auto remove = [](const char* partner) { return PartnerAction::RemoveMember(partner); };
  EXPECT_EQ(Outcome(active, kMember, remove(kMember)), "OK");
  EXPECT_EQ(Outcome(active, kLead, remove(kFunder)), "OK");
  EXPECT_EQ(Outcome(active, kMember, remove(kFunder)), "NOT_THE_LEAD");
  EXPECT_EQ(Outcome(active, kMember, remove(kLead)), "NOT_THE_LEAD");
  EXPECT_EQ(Outcome(active, kLead, remove(kLead)), "CITY_APPROVES");
  EXPECT_EQ(Outcome(active, kOutsider, remove(kOutsider)), "NOT_A_MEMBER");
}

TEST(PartnerAdminRules, TheLeadEndsAPartnershipOnlyTheCityActivatesIt) {
  auto to = [](pb::PartnershipState s) { return PartnerAction::Transition(s); };
  const pb::Partnership proposed = With(pb::PARTNERSHIP_STATE_PROPOSED);
  EXPECT_EQ(Outcome(proposed, kLead, to(pb::PARTNERSHIP_STATE_ACTIVE)), "CITY_APPROVES");
  EXPECT_EQ(Outcome(proposed, kLead, to(pb::PARTNERSHIP_STATE_WITHDRAWN)), "OK");
  EXPECT_EQ(Outcome(With(pb::PARTNERSHIP_STATE_ACTIVE), kLead, to(pb::PARTNERSHIP_STATE_CONCLUDED)),
            "OK");
  EXPECT_EQ(Outcome(proposed, kMember, to(pb::PARTNERSHIP_STATE_WITHDRAWN)), "NOT_THE_LEAD");
}

TEST(PartnerAdminRules, FundingByTheFunderOrTheLead) {
  const pb::Partnership active = With(pb::PARTNERSHIP_STATE_ACTIVE);
  const PartnerAction fund = PartnerAction::Fund();
  EXPECT_EQ(Outcome(active, kLead, fund), "OK");
  EXPECT_EQ(Outcome(active, kFunder, fund), "OK");
  EXPECT_EQ(Outcome(active, kMember, fund), "NOT_FUNDER_OR_LEAD");
  EXPECT_EQ(Outcome(active, kOutsider, fund), "NOT_A_MEMBER");
}

}  // namespace
}  // namespace gnlc::partnership
