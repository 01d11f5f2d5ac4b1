#include "tests/integration/catalog_harness.h"

#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "tests/support/test_security.h"

namespace gnlc::catalog::testing {

using google::protobuf::util::TimeUtil;

CityConfig TestCity(const std::string& city_id) {
  CityConfig c;
  c.set_city_id(city_id);
  for (const char* d : {"gulou", "xuanwu", "qinhuai", "jianye", "jiangning"}) {
    auto* district = c.add_districts();
    district->set_id(d);
    district->set_population(500000);
  }
  gnlc::testing::AddTestSecurity(c);
  // Tests call far faster than any person: limits stay on (their code runs
  // on every call) but out of the way; the rate-limit tests set their own.
  for (auto* limit :
       {c.mutable_rate_limits()->mutable_read(), c.mutable_rate_limits()->mutable_search(),
        c.mutable_rate_limits()->mutable_write(), c.mutable_rate_limits()->mutable_data_rights()}) {
    limit->set_per_second(1e6);
    limit->set_burst(1e6);
  }
  return c;
}

std::unique_ptr<CatalogReplica> CatalogReplica::Start(const std::string& redis_address,
                                                      CatalogService::Clock clock) {
  return Start(redis_address, TestCity(), std::move(clock));
}

std::unique_ptr<CatalogReplica> CatalogReplica::Start(const std::string& redis_address,
                                                      const CityConfig& city,
                                                      CatalogService::Clock clock) {
  auto r = std::make_unique<CatalogReplica>();
  ServerOptions options = TestServerOptions("catalog", city, redis_address);
  r->metrics = std::make_unique<Metrics>("catalog");
  r->pool = std::make_unique<RedisPool>(options.redis);
  r->service = std::make_unique<CatalogService>(options, r->pool.get(), r->metrics.get(), clock);
  r->server = std::make_unique<GnlcServer>(options, r->metrics.get());
  r->server->AddService(r->service.get(), "gnlc.catalog.v1.CatalogService");
  r->server->AcceptPeers();
  CatalogService* service = r->service.get();
  r->server->SetReadiness([service] { return service->ready(); });
  const absl::Status started = r->server->Start();
  EXPECT_TRUE(started.ok()) << started;
  EXPECT_TRUE(r->service->Start().ok());
  r->channel = gnlc::testing::LocalChannel(r->server->port(), city.city_id());
  r->stub = pb::CatalogService::NewStub(r->channel);
  EXPECT_TRUE(gnlc::testing::WaitForHealth(r->channel, "gnlc.catalog.v1.CatalogService",
                                           grpc::health::v1::HealthCheckResponse::SERVING,
                                           absl::Seconds(10)));
  return r;
}

CatalogReplica::~CatalogReplica() {
  if (server) server->Shutdown();
  if (service) service->Stop();
}

pb::Program NewProgram(const std::string& zh, const std::string& en,
                       gnlc::type::v1::ProgramKind kind) {
  pb::Program p;
  p.set_kind(kind);
  p.mutable_title()->set_zh(zh);
  p.mutable_title()->set_en(en);
  p.set_state(pb::PROGRAM_STATE_PUBLISHED);
  return p;
}

pb::Offering NewOffering(absl::Time now, absl::Duration start_in, double lat, double lng,
                         const std::string& district, int seats) {
  pb::Offering o;
  const absl::Time start = now + start_in;
  *o.mutable_start_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(start));
  *o.mutable_end_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(start + absl::Hours(24 * 30)));
  *o.mutable_enrollment_open_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(1)));
  o.mutable_capacity()->set_seats(seats);
  o.set_modality(gnlc::type::v1::MODALITY_IN_PERSON);
  o.mutable_venue()->mutable_name()->set_zh("社区学习中心");
  o.mutable_venue()->set_district(district);
  o.mutable_venue()->mutable_location()->set_latitude(lat);
  o.mutable_venue()->mutable_location()->set_longitude(lng);
  return o;
}

void CatalogTest::SetUp() {
  auto redis = gnlc::testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  replica_ = CatalogReplica::Start(redis_->address());
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

pb::Program MustCreateProgram(pb::CatalogService::Stub& stub, const pb::Program& program,
                              const std::string& request_id, const std::string& parent) {
  pb::CreateProgramRequest req;
  req.set_parent(parent);
  *req.mutable_program() = program;
  req.set_request_id(request_id);
  pb::CreateProgramResponse resp;
  const grpc::Status s = stub.CreateProgram(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.program();
}

pb::Offering MustCreateOffering(pb::CatalogService::Stub& stub, const std::string& program_name,
                                const pb::Offering& offering) {
  pb::CreateOfferingRequest req;
  req.set_parent(program_name);
  *req.mutable_offering() = offering;
  pb::CreateOfferingResponse resp;
  const grpc::Status s = stub.CreateOffering(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.offering();
}

pb::SearchProgramsResponse MustSearch(pb::CatalogService::Stub& stub,
                                      pb::SearchProgramsRequest request) {
  request.set_parent("cities/nanjing");
  pb::SearchProgramsResponse resp;
  const grpc::Status s = stub.SearchPrograms(Ctx().get(), request, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

}  // namespace gnlc::catalog::testing
