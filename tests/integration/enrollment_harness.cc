#include "tests/integration/enrollment_harness.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc::enrollment::testing {
namespace {

void Flatten(const ReplyView& r, std::string& out) {
  if (r.is_array()) {
    for (size_t i = 0; i < r.size(); ++i) Flatten(r[i], out);
    return;
  }
  out.append(r.str().data(), r.str().size());
  out += ' ';
}

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp At(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

template <typename Response>
absl::StatusOr<epb::Enrollment> EnrollmentOf(const grpc::Status& s, const Response& resp) {
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.enrollment();
}

}  // namespace

std::unique_ptr<EnrollmentServer> EnrollmentServer::Start(
    const std::string& redis_address, const std::string& catalog_address,
    EnrollmentService::Clock clock, const std::function<void(ServerOptions&)>& adjust,
    const CityConfig& city) {
  auto r = std::make_unique<EnrollmentServer>();
  ServerOptions options = TestServerOptions("enrollment", city, redis_address);
  options.catalog_address = catalog_address;
  if (adjust) adjust(options);
  r->metrics = std::make_unique<Metrics>("enrollment");
  r->pool = std::make_unique<RedisPool>(options.redis);
  r->service = std::make_unique<EnrollmentService>(options, r->pool.get(), r->metrics.get(),
                                                   std::move(clock));
  r->server = std::make_unique<GnlcServer>(options, r->metrics.get());
  r->server->AddService(r->service.get(), "gnlc.enrollment.v1.EnrollmentService");
  r->server->OnShutdown([service = r->service.get()] { service->CloseNotificationStreams(); });
  const absl::Status started = r->server->Start();
  EXPECT_TRUE(started.ok()) << started;
  EXPECT_TRUE(r->service->Start().ok());
  r->channel = gnlc::testing::LocalChannel(r->server->port(), city.city_id());
  r->stub = epb::EnrollmentService::NewStub(r->channel);
  EXPECT_TRUE(gnlc::testing::WaitForHealth(r->channel, "gnlc.enrollment.v1.EnrollmentService",
                                           grpc::health::v1::HealthCheckResponse::SERVING,
                                           absl::Seconds(10)));
  return r;
}

EnrollmentServer::~EnrollmentServer() {
  if (server) server->Shutdown();
  if (service) service->Stop();
}

void EnrollmentTest::StartRedis() {
  auto redis = gnlc::testing::RedisServerProcess::Start(RedisAppendFsync(), City().city_id());
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
}

void EnrollmentTest::SetUp() {
  StartRedis();
  if (HasFatalFailure()) return;
  catalog_ = catalog::testing::CatalogReplica::Start(ServiceRedisAddress(), City(),
                                                     [] { return absl::Now(); });
  if (StartEnrollmentInSetUp()) StartEnrollment();
  pool_ = std::make_unique<RedisPool>(InspectOptions());
}

void EnrollmentTest::StartEnrollment() {
  enrollment_ = EnrollmentServer::Start(
      ServiceRedisAddress(), absl::StrCat("127.0.0.1:", catalog_->server->port()),
      [this] { return absl::Now() + absl::Nanoseconds(clock_offset_ns_.load()); }, nullptr, City());
}

void EnrollmentTest::TearDown() {
  enrollment_.reset();
  catalog_.reset();
}

std::string EnrollmentTest::CreateOffering(const OfferingSpec& spec) {
  cpb::Program program = catalog::testing::NewProgram("编程入门", "Coding basics", spec.kind);
  program.set_state(spec.program_state);
  program = catalog::testing::MustCreateProgram(catalog(), program);
  const absl::Time now = absl::Now();
  cpb::Offering offering =
      catalog::testing::NewOffering(now, spec.starts_in, 32.05, 118.78, "gulou", spec.seats);
  if (spec.unlimited) offering.mutable_capacity()->set_unlimited(true);
  if (spec.waitlist_limit.has_value()) offering.set_waitlist_limit(*spec.waitlist_limit);
  *offering.mutable_enrollment_open_time() = At(now + spec.opens_in);
  *offering.mutable_enrollment_close_time() = At(now + spec.starts_in);
  *offering.mutable_end_time() = At(now + spec.starts_in + spec.lasts);
  return catalog::testing::MustCreateOffering(catalog(), program.name(), offering).name();
}

std::string EnrollmentTest::CreateLearner(const std::string& district, bool consents) {
  epb::CreateLearnerRequest req;
  req.set_parent("cities/nanjing");
  req.mutable_learner()->set_district(district);
  req.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
  req.mutable_learner()->mutable_consents()->set_city_statistics(consents);
  epb::CreateLearnerResponse resp;
  const grpc::Status s = stub().CreateLearner(catalog::testing::Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.learner().name();
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::Enroll(const std::string& learner,
                                                       const std::string& offering,
                                                       const std::string& request_id) {
  epb::CreateEnrollmentRequest req;
  req.set_parent("cities/nanjing");
  req.set_learner(learner);
  req.set_offering(offering);
  req.set_request_id(request_id);
  epb::CreateEnrollmentResponse resp;
  return EnrollmentOf(stub().CreateEnrollment(catalog::testing::Ctx().get(), req, &resp), resp);
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::Cancel(const std::string& enrollment) {
  epb::CancelEnrollmentRequest req;
  req.set_name(enrollment);
  epb::CancelEnrollmentResponse resp;
  return EnrollmentOf(stub().CancelEnrollment(catalog::testing::Ctx().get(), req, &resp), resp);
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::Get(const std::string& enrollment) {
  epb::GetEnrollmentRequest req;
  req.set_name(enrollment);
  epb::GetEnrollmentResponse resp;
  return EnrollmentOf(stub().GetEnrollment(catalog::testing::Ctx().get(), req, &resp), resp);
}

absl::StatusOr<epb::OfferingSeats> EnrollmentTest::Seats(const std::string& offering) {
  epb::GetOfferingSeatsRequest req;
  req.set_offering(offering);
  epb::GetOfferingSeatsResponse resp;
  const grpc::Status s = stub().GetOfferingSeats(catalog::testing::Ctx().get(), req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.seats();
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::Complete(const std::string& enrollment) {
  epb::CompleteEnrollmentRequest req;
  req.set_name(enrollment);
  req.mutable_completion()->set_outcome(epb::COMPLETION_OUTCOME_PASSED);
  req.mutable_completion()->set_hours(12);
  epb::CompleteEnrollmentResponse resp;
  return EnrollmentOf(stub().CompleteEnrollment(catalog::testing::Ctx().get(), req, &resp), resp);
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::RecordEmployment(const std::string& enrollment,
                                                                 bool employed, absl::Time since) {
  epb::RecordEmploymentOutcomeRequest req;
  req.set_enrollment(enrollment);
  req.mutable_outcome()->set_employed(employed);
  if (employed) *req.mutable_outcome()->mutable_employed_since() = At(since);
  epb::RecordEmploymentOutcomeResponse resp;
  return EnrollmentOf(stub().RecordEmploymentOutcome(catalog::testing::Ctx().get(), req, &resp),
                      resp);
}

absl::StatusOr<epb::Enrollment> EnrollmentTest::Rate(const std::string& enrollment, int rating,
                                                     const std::string& comment) {
  epb::SubmitFeedbackRequest req;
  req.set_enrollment(enrollment);
  req.mutable_feedback()->set_rating(rating);
  req.mutable_feedback()->set_comment(comment);
  epb::SubmitFeedbackResponse resp;
  return EnrollmentOf(stub().SubmitFeedback(catalog::testing::Ctx().get(), req, &resp), resp);
}

std::vector<std::pair<std::string, std::string>> EnrollmentTest::DumpRedis() {
  std::vector<std::pair<std::string, std::string>> out;
  std::string cursor = "0";
  do {
    auto scan = pool_->Command({"SCAN", cursor, "COUNT", "1000"});
    EXPECT_TRUE(scan.ok());
    if (!scan.ok()) break;
    cursor = std::string(scan->view()[0].str());
    for (size_t i = 0; i < scan->view()[1].size(); ++i) {
      const std::string key(scan->view()[1][i].str());
      auto type = pool_->Command({"TYPE", key});
      const std::string t(type->view().str());
      std::vector<absl::string_view> read;
      if (t == "string") read = {"GET", key};
      if (t == "hash") read = {"HGETALL", key};
      if (t == "set") read = {"SMEMBERS", key};
      if (t == "zset") read = {"ZRANGE", key, "0", "-1"};
      if (t == "stream") read = {"XRANGE", key, "-", "+"};
      auto content = pool_->Command(read);
      EXPECT_TRUE(content.ok()) << key;
      std::string text = key + " ";
      Flatten(content->view(), text);
      out.emplace_back(key, std::move(text));
    }
  } while (cursor != "0");
  return out;
}

std::vector<Event> EnrollmentTest::EnrollmentEvents() {
  std::vector<Event> events;
  auto reply = pool_->Command({"XRANGE", "enr:{0}:events", "-", "+"});
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok()) return events;
  const ReplyView entries = reply->view();
  for (size_t i = 0; i < entries.size(); ++i) {
    auto event = DecodeEvent(entries[i][0].str(), entries[i][1][1].str());
    EXPECT_TRUE(event.ok()) << event.status();
    if (event.ok()) events.push_back(std::move(*event));
  }
  return events;
}

std::string CodeAndReason(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), " ", ErrorReason(status));
}

}  // namespace gnlc::enrollment::testing
