#include "tests/integration/partnership_harness.h"

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc::partnership::testing {

using catalog::testing::Ctx;

gnlc::type::v1::Money Cny(int64_t units, int32_t nanos) {
  gnlc::type::v1::Money m;
  m.set_currency_code("CNY");
  m.set_units(units);
  m.set_nanos(nanos);
  return m;
}

std::unique_ptr<PartnershipServer> PartnershipServer::Start(const std::string& redis_address,
                                                            const std::string& catalog_address) {
  auto r = std::make_unique<PartnershipServer>();
  ServerOptions options =
      TestServerOptions("partnership", catalog::testing::TestCity(), redis_address);
  options.catalog_address = catalog_address;
  r->metrics = std::make_unique<Metrics>("partnership");
  r->pool = std::make_unique<RedisPool>(options.redis);
  r->service = std::make_unique<PartnershipService>(options, r->pool.get(), r->metrics.get());
  r->server = std::make_unique<GnlcServer>(options, r->metrics.get());
  r->server->AddService(r->service.get(), "gnlc.partnership.v1.PartnershipService");
  PartnershipService* service = r->service.get();
  r->server->SetReadiness([service] { return service->ready(); });
  const absl::Status started = r->server->Start();
  EXPECT_TRUE(started.ok()) << started;
  EXPECT_TRUE(r->service->Start().ok());
  auto channel = gnlc::testing::LocalChannel(r->server->port());
  r->stub = ppb::PartnershipService::NewStub(channel);
  EXPECT_TRUE(gnlc::testing::WaitForHealth(channel, "gnlc.partnership.v1.PartnershipService",
                                           grpc::health::v1::HealthCheckResponse::SERVING,
                                           absl::Seconds(10)));
  return r;
}

PartnershipServer::~PartnershipServer() {
  if (server) server->Shutdown();
  if (service) service->Stop();
}

void PartnershipTest::SetUp() {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  catalog_ = catalog::testing::CatalogReplica::Start(redis_->address());
  partnership_ = PartnershipServer::Start(redis_->address(),
                                          absl::StrCat("127.0.0.1:", catalog_->server->port()));
  stub_ = partnership_->stub.get();
}

void PartnershipTest::TearDown() {
  partnership_.reset();
  catalog_.reset();
}

std::string PartnershipTest::CreatePartner(const std::string& zh, const std::string& en,
                                           ppb::OrganisationType type,
                                           const std::string& home_city) {
  ppb::CreatePartnerRequest req;
  req.set_parent("cities/nanjing");
  req.mutable_partner()->set_type(type);
  req.mutable_partner()->mutable_display_name()->set_zh(zh);
  req.mutable_partner()->mutable_display_name()->set_en(en);
  req.mutable_partner()->set_home_city(home_city);
  req.mutable_partner()->set_contact_email("partnerships@example.org");
  ppb::CreatePartnerResponse resp;
  const grpc::Status s = stub().CreatePartner(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.partner().name();
}

ppb::Partnership PartnershipTest::CreatePartnership(ppb::PartnershipModel model,
                                                    const std::string& lead,
                                                    const std::string& funder) {
  ppb::CreatePartnershipRequest req;
  req.set_parent("cities/nanjing");
  ppb::Partnership& p = *req.mutable_partnership();
  p.set_model(model);
  p.mutable_title()->set_zh("社区数字素养联盟");
  p.mutable_title()->set_en("Community digital literacy alliance");
  p.add_sdg_goals(4);
  *p.mutable_start_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now()));
  if (!lead.empty()) {
    auto* m = p.add_members();
    m->set_partner(lead);
    m->set_role(ppb::MEMBER_ROLE_LEAD);
  }
  if (!funder.empty()) {
    auto* m = p.add_members();
    m->set_partner(funder);
    m->set_role(ppb::MEMBER_ROLE_FUNDER);
  }
  ppb::CreatePartnershipResponse resp;
  const grpc::Status s = stub().CreatePartnership(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.partnership();
}

absl::StatusOr<ppb::Partnership> PartnershipTest::Transition(const std::string& name,
                                                             ppb::PartnershipState to,
                                                             const std::string& reason) {
  ppb::TransitionPartnershipRequest req;
  req.set_name(name);
  req.set_to_state(to);
  req.set_reason(reason);
  req.set_actor("staff:wang.li");
  ppb::TransitionPartnershipResponse resp;
  const grpc::Status s = stub().TransitionPartnership(Ctx().get(), req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.partnership();
}

absl::StatusOr<ppb::FundingCommitment> PartnershipTest::Commit(
    const std::string& partnership, const std::string& funder,
    const gnlc::type::v1::Money& amount) {
  ppb::RecordFundingCommitmentRequest req;
  req.set_partnership(partnership);
  req.mutable_commitment()->set_funder(funder);
  *req.mutable_commitment()->mutable_amount() = amount;
  ppb::RecordFundingCommitmentResponse resp;
  const grpc::Status s = stub().RecordFundingCommitment(Ctx().get(), req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.commitment();
}

absl::StatusOr<ppb::Disbursement> PartnershipTest::Disburse(const std::string& partnership,
                                                            const std::string& recipient,
                                                            const gnlc::type::v1::Money& amount,
                                                            const std::string& request_id) {
  ppb::RecordDisbursementRequest req;
  req.set_partnership(partnership);
  if (recipient.find("/programs/") != std::string::npos) {
    req.mutable_disbursement()->set_recipient_program(recipient);
  } else {
    req.mutable_disbursement()->set_recipient_partner(recipient);
  }
  *req.mutable_disbursement()->mutable_amount() = amount;
  req.set_request_id(request_id);
  ppb::RecordDisbursementResponse resp;
  const grpc::Status s = stub().RecordDisbursement(Ctx().get(), req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.disbursement();
}

ppb::GetFundingSummaryResponse PartnershipTest::Summary(const std::string& partnership) {
  ppb::GetFundingSummaryRequest req;
  req.set_partnership(partnership);
  ppb::GetFundingSummaryResponse resp;
  const grpc::Status s = stub().GetFundingSummary(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

}  // namespace gnlc::partnership::testing
