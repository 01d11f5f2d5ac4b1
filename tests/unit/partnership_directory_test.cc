// The partnership directory: newest version wins, filters use indexes that
// follow every change, paging resumes exactly where it stopped.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/partnership/directory.h"

namespace gnlc::partnership {
namespace {

pb::Partnership Make(int i, pb::PartnershipModel model, const std::string& member_city,
                     const std::string& etag = "1") {
  pb::Partnership p;
  p.set_name(absl::StrCat("cities/nanjing/partnerships/s", i));
  p.set_model(model);
  p.set_etag(etag);
  p.mutable_create_time()->set_seconds(1000 + i);
  auto* lead = p.add_members();
  lead->set_partner(absl::StrCat("cities/nanjing/partners/p", i));
  if (!member_city.empty()) {
    p.add_members()->set_partner(absl::StrCat("//gnlc/cities/", member_city, "/partners/x", i));
  }
  return p;
}

std::vector<std::string> Names(const Page<pb::Partnership>& page) {
  std::vector<std::string> out;
  for (const auto& p : page.records) out.push_back(p.name().substr(p.name().rfind('/') + 1));
  return out;
}

TEST(PartnershipDirectoryTest, NewestVersionWinsAndIndexesFollowChanges) {
  Directory d;
  d.Upsert(Make(1, pb::PARTNERSHIP_MODEL_ACADEMIC, "suzhou", "2"));
  d.Upsert(Make(1, pb::PARTNERSHIP_MODEL_FUNDING_POOL, "", "1"));  // older: ignored
  EXPECT_EQ(d.GetPartnership("s1")->model(), pb::PARTNERSHIP_MODEL_ACADEMIC);
  PartnershipFilter suzhou{.model = 0, .state = 0, .member_city = "suzhou"};
  EXPECT_EQ(Names(d.ListPartnerships(suzhou, "", 10)), (std::vector<std::string>{"s1"}));
  // The Suzhou member leaves and the model changes: both indexes follow.
  d.Upsert(Make(1, pb::PARTNERSHIP_MODEL_FUNDING_POOL, "", "3"));
  EXPECT_TRUE(d.ListPartnerships(suzhou, "", 10).records.empty());
  PartnershipFilter academic{
      .model = pb::PARTNERSHIP_MODEL_ACADEMIC, .state = 0, .member_city = ""};
  EXPECT_TRUE(d.ListPartnerships(academic, "", 10).records.empty());
  PartnershipFilter pool{
      .model = pb::PARTNERSHIP_MODEL_FUNDING_POOL, .state = 0, .member_city = ""};
  EXPECT_EQ(Names(d.ListPartnerships(pool, "", 10)), (std::vector<std::string>{"s1"}));
}

TEST(PartnershipDirectoryTest, FilteredPagesResumeWhereTheyStopped) {
  Directory d;
  for (int i = 0; i < 30; ++i) {
    d.Upsert(
        Make(i, i % 3 == 0 ? pb::PARTNERSHIP_MODEL_ACADEMIC : pb::PARTNERSHIP_MODEL_JOINT_RESEARCH,
             i % 2 == 0 ? "suzhou" : "wuxi"));
  }
  // Academic with a Suzhou member: i % 6 == 0 -> s0 s6 s12 s18 s24, in order.
  PartnershipFilter f{.model = pb::PARTNERSHIP_MODEL_ACADEMIC, .state = 0, .member_city = "suzhou"};
  std::vector<std::string> all;
  std::string after;
  int pages = 0;
  do {
    auto page = d.ListPartnerships(f, after, 2, /*budget=*/3);
    for (const auto& n : Names(page)) all.push_back(n);
    after = page.next;
    ++pages;
  } while (!after.empty() && pages < 50);
  EXPECT_EQ(all, (std::vector<std::string>{"s0", "s6", "s12", "s18", "s24"}));
  EXPECT_GT(pages, 3);  // the budget made short pages, none lost
}

TEST(PartnershipDirectoryTest, MemberCityOfNames) {
  EXPECT_EQ(MemberCity("cities/nanjing/partners/p1"), "nanjing");
  EXPECT_EQ(MemberCity("//gnlc/cities/suzhou/partners/p17"), "suzhou");
  EXPECT_EQ(MemberCity("partners/p1"), "");
}

}  // namespace
}  // namespace gnlc::partnership
