// Funding through the gRPC API: disbursements never exceed commitments, even
// when they race; money is fixed point and strictly checked.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/catalog_harness.h"
#include "tests/integration/partnership_harness.h"

namespace gnlc::partnership::testing {
namespace {

using catalog::testing::Ctx;
using FundingTest = PartnershipTest;

TEST_F(FundingTest, FiftyConcurrentDisbursementsNeverExceedTheCommitment) {
  const std::string lead = CreatePartner("南京大学", "Nanjing University");
  const std::string bank =
      CreatePartner("紫金农商银行", "Zijin Rural Bank", ppb::ORGANISATION_TYPE_BUSINESS);
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_FUNDING_POOL, lead, bank);
  ASSERT_TRUE(Commit(p.name(), bank, Cny(1000)).ok());
  // Not yet active: money is promised, not paid out.
  EXPECT_EQ(Disburse(p.name(), lead, Cny(100)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());

  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      auto d = Disburse(p.name(), lead, Cny(100));
      if (d.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition) << d.status();
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(refused.load(), 40);

  const auto summary = Summary(p.name());
  ASSERT_EQ(summary.by_currency_size(), 1);
  EXPECT_EQ(summary.by_currency(0).currency_code(), "CNY");
  EXPECT_EQ(summary.by_currency(0).committed().units(), 1000);
  EXPECT_EQ(summary.by_currency(0).disbursed().units(), 1000);
  EXPECT_EQ(summary.by_currency(0).available().units(), 0);
  EXPECT_EQ(summary.by_currency(0).available().nanos(), 0);
  ASSERT_EQ(summary.by_funder_size(), 1);
  EXPECT_EQ(summary.by_funder(0).funder(), bank);
  EXPECT_EQ(summary.by_funder(0).committed().units(), 1000);
}

TEST_F(FundingTest, CentsAddUpExactlyPerCurrencyFunderAndProgram) {
  auto program = catalog::testing::MustCreateProgram(
      catalog(), catalog::testing::NewProgram("老年人智能手机课", "Smartphones for seniors"));
  const std::string lead = CreatePartner("鼓楼区老年大学", "Gulou Senior University",
                                         ppb::ORGANISATION_TYPE_SENIOR_CENTRE);
  const std::string telco =
      CreatePartner("江苏移动", "Jiangsu Mobile", ppb::ORGANISATION_TYPE_BUSINESS);
  ppb::Partnership p =
      CreatePartnership(ppb::PARTNERSHIP_MODEL_PUBLIC_PRIVATE_ALLIANCE, lead, telco);
  ppb::UpdatePartnershipRequest link;
  link.mutable_partnership()->set_name(p.name());
  link.mutable_partnership()->add_programs(program.name());
  link.mutable_update_mask()->add_paths("programs");
  ppb::UpdatePartnershipResponse linked;
  ASSERT_TRUE(stub().UpdatePartnership(Ctx().get(), link, &linked).ok());
  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());

  ASSERT_TRUE(Commit(p.name(), telco, Cny(0, 100000000)).ok());  // 0.10
  ASSERT_TRUE(Commit(p.name(), telco, Cny(0, 200000000)).ok());  // 0.20
  gnlc::type::v1::Money usd = Cny(5000);
  usd.set_currency_code("USD");
  ASSERT_TRUE(Commit(p.name(), telco, usd).ok());
  ASSERT_TRUE(Disburse(p.name(), program.name(), Cny(0, 300000000)).ok());  // 0.30, exactly all
  EXPECT_EQ(Disburse(p.name(), program.name(), Cny(0, 10000000)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // one cent too many

  const auto summary = Summary(p.name());
  ASSERT_EQ(summary.by_currency_size(), 2);
  const auto& cny = summary.by_currency(0);
  EXPECT_EQ(cny.currency_code(), "CNY");
  EXPECT_EQ(cny.committed().units(), 0);
  EXPECT_EQ(cny.committed().nanos(), 300000000);  // 0.1 + 0.2 is exactly 0.3 here
  EXPECT_EQ(cny.available().nanos(), 0);
  EXPECT_EQ(summary.by_currency(1).currency_code(), "USD");
  EXPECT_EQ(summary.by_currency(1).available().units(), 5000);
  ASSERT_EQ(summary.by_program_size(), 1);
  EXPECT_EQ(summary.by_program(0).program(), program.name());
  EXPECT_EQ(summary.by_program(0).disbursed().nanos(), 300000000);
}

TEST_F(FundingTest, BadMoneyIsRejectedWithAClearMessage) {
  const std::string lead = CreatePartner("南京市图书馆", "Nanjing Library",
                                         ppb::ORGANISATION_TYPE_CULTURAL_ORGANISATION);
  const std::string fund =
      CreatePartner("南京教育基金会", "Nanjing Education Foundation", ppb::ORGANISATION_TYPE_NGO);
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_FUNDING_POOL, lead, fund);
  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());
  auto reason = [](const absl::Status& s) {
    return std::string(absl::StatusCodeToString(s.code())) + " " + std::string(s.message());
  };
  EXPECT_EQ(reason(Commit(p.name(), fund, Cny(-5)).status()),
            "INVALID_ARGUMENT commitment.amount must be a positive amount");
  EXPECT_EQ(reason(Commit(p.name(), fund, Cny(0)).status()),
            "INVALID_ARGUMENT commitment.amount must be a positive amount");
  EXPECT_EQ(reason(Commit(p.name(), fund, Cny(5, -10000000)).status()),
            "INVALID_ARGUMENT commitment.amount units and nanos must have the same sign");
  EXPECT_EQ(reason(Commit(p.name(), fund, Cny(5, 1)).status()),
            "INVALID_ARGUMENT commitment.amount has more precision than a cent: round it to 2 "
            "decimals");
  EXPECT_EQ(reason(Commit(p.name(), fund, Cny(int64_t{1} << 62)).status()),
            "INVALID_ARGUMENT commitment.amount does not fit: at most 9999999999999 units");
  gnlc::type::v1::Money yen = Cny(100);
  yen.set_currency_code("JPY");
  EXPECT_EQ(reason(Commit(p.name(), fund, yen).status()),
            "INVALID_ARGUMENT commitment.amount.currency_code 'JPY' is not accepted: use CNY, "
            "USD or EUR");
  // Totals that would stop fitting are refused too.
  ASSERT_TRUE(Commit(p.name(), fund, Cny(9999999999999)).ok());
  EXPECT_EQ(Commit(p.name(), fund, Cny(9999999999999)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Currencies never mix: no EUR committed, no EUR paid.
  gnlc::type::v1::Money eur = Cny(10);
  eur.set_currency_code("EUR");
  auto mixed = Disburse(p.name(), lead, eur);
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(mixed.status().message(),
            "nothing is committed in EUR: disburse in a currency with commitments (currencies "
            "never mix)");
  // Only a FUNDER member commits; only a member or a linked program receives.
  EXPECT_EQ(Commit(p.name(), lead, Cny(10)).status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string outsider = CreatePartner("外人", "Outsider");
  EXPECT_EQ(Disburse(p.name(), outsider, Cny(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Disburse(p.name(), "cities/nanjing/programs/pnotlinked", Cny(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FundingTest, ARetriedDisbursementIsRecordedOnce) {
  const std::string lead = CreatePartner("南京工业职业技术大学", "Nanjing Vocational University",
                                         ppb::ORGANISATION_TYPE_VOCATIONAL_SCHOOL);
  const std::string fund =
      CreatePartner("南京人社局", "Nanjing HR Bureau", ppb::ORGANISATION_TYPE_GOVERNMENT);
  const ppb::Partnership p = CreatePartnership(ppb::PARTNERSHIP_MODEL_FUNDING_POOL, lead, fund);
  ASSERT_TRUE(Transition(p.name(), ppb::PARTNERSHIP_STATE_ACTIVE).ok());
  ASSERT_TRUE(Commit(p.name(), fund, Cny(100)).ok());
  auto first = Disburse(p.name(), lead, Cny(60), "pay-2026-11-001");
  auto again = Disburse(p.name(), lead, Cny(60), "pay-2026-11-001");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->name(), again->name());
  EXPECT_EQ(Summary(p.name()).by_currency(0).disbursed().units(), 60);
  EXPECT_EQ(Disburse(p.name(), lead, Cny(61), "pay-2026-11-001").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gnlc::partnership::testing
