// A partnership server for tests, next to a real catalog replica over one
// real Redis, with builders for partners and partnerships.
#ifndef GNLC_TESTS_INTEGRATION_PARTNERSHIP_HARNESS_H_
#define GNLC_TESTS_INTEGRATION_PARTNERSHIP_HARNESS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gnlc/partnership/v1/partnership_service.grpc.pb.h"
#include "services/partnership/partnership_service.h"
#include "tests/integration/catalog_harness.h"

namespace gnlc::partnership::testing {

namespace ppb = gnlc::partnership::v1;

// A partnership server over `redis_address`, reading the catalog at
// `catalog_address`; waits until SERVING.
struct PartnershipServer {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<RedisPool> pool;
  std::unique_ptr<PartnershipService> service;
  std::unique_ptr<GnlcServer> server;
  std::unique_ptr<ppb::PartnershipService::Stub> stub;

  static std::unique_ptr<PartnershipServer> Start(const std::string& redis_address,
                                                  const std::string& catalog_address);
  ~PartnershipServer();
};

class PartnershipTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  ppb::PartnershipService::Stub& stub() { return *stub_; }
  gnlc::catalog::v1::CatalogService::Stub& catalog() { return *catalog_->stub; }

  // A partner of Nanjing; returns its name.
  std::string CreatePartner(const std::string& zh, const std::string& en,
                            ppb::OrganisationType type = ppb::ORGANISATION_TYPE_UNIVERSITY,
                            const std::string& home_city = "nanjing");
  // A PROPOSED partnership with `lead` as LEAD (if given) and `funder` as
  // FUNDER (if given).
  ppb::Partnership CreatePartnership(ppb::PartnershipModel model, const std::string& lead,
                                     const std::string& funder = "");
  absl::StatusOr<ppb::Partnership> Transition(const std::string& name, ppb::PartnershipState to,
                                              const std::string& reason = "");
  absl::StatusOr<ppb::FundingCommitment> Commit(const std::string& partnership,
                                                const std::string& funder,
                                                const gnlc::type::v1::Money& amount);
  absl::StatusOr<ppb::Disbursement> Disburse(const std::string& partnership,
                                             const std::string& recipient,
                                             const gnlc::type::v1::Money& amount,
                                             const std::string& request_id = "");
  ppb::GetFundingSummaryResponse Summary(const std::string& partnership);

  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<catalog::testing::CatalogReplica> catalog_;
  std::unique_ptr<PartnershipServer> partnership_;
  ppb::PartnershipService::Stub* stub_ = nullptr;
};

gnlc::type::v1::Money Cny(int64_t units, int32_t nanos = 0);

}  // namespace gnlc::partnership::testing

#endif  // GNLC_TESTS_INTEGRATION_PARTNERSHIP_HARNESS_H_
