// Refused calls cost the city little (a flood of calls with no or forged
// tokens, or more calls than a replica can take): a source whose tokens
// keep failing gets no more signatures checked, a full handler queue
// refuses at once with RetryInfo, refusals are written as counts, and a
// mobile backend has limits of its own. (What a flood does to a resident's
// latency is measured in tests/bench/flood_bench.sh, not asserted here.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/auth/base64url.h"
#include "common/auth/token_verifier.h"
#include "common/server/logging.h"
#include "common/server/refusal_tarpit.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/http_get.h"
#include "tests/support/test_security.h"

namespace gnlc::catalog::testing {
namespace {

std::unique_ptr<pb::CatalogService::Stub> StubWithToken(const CatalogReplica& replica,
                                                        const std::string& token) {
  return pb::CatalogService::NewStub(
      gnlc::testing::SecureChannel(replica.server->port(), "nanjing", token));
}

std::string ResidentToken(const std::string& subject) {
  return gnlc::testing::TestToken("nanjing",
                                  {.role = "resident", .subject = subject, .partner = ""});
}

// A token of the city's issuer, with its real key id, whose signature is
// `seed`'s random bytes: well formed, so only checking the signature finds
// it out.
std::string ForgedToken(uint32_t seed) {
  std::vector<std::string> parts = absl::StrSplit(ResidentToken("mallory"), '.');
  std::mt19937 random(seed);
  std::string signature(64, '\0');
  for (char& c : signature) c = static_cast<char>(random());
  return absl::StrCat(parts[0], ".", parts[1], ".", auth::Base64UrlEncode(signature));
}

grpc::Status ListPrograms(pb::CatalogService::Stub& stub) {
  grpc::ClientContext ctx;
  pb::ListProgramsRequest req;
  req.set_parent("cities/nanjing");
  pb::ListProgramsResponse resp;
  return stub.ListPrograms(&ctx, req, &resp);
}

// The value of an unlabelled counter in a /metrics page (-1 if absent).
double Counter(const std::string& metrics, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::StartsWith(line, absl::StrCat(name, " "))) {
      return std::stod(std::string(line.substr(name.size() + 1)));
    }
  }
  return -1;
}

class RefusedCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = gnlc::testing::RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
  }
  void StartCatalog(const CityConfig& city) {
    catalog_ = CatalogReplica::Start(redis_->address(), city, [] { return absl::Now(); });
  }
  std::string Metrics() {
    auto page = gnlc::testing::HttpGet(catalog_->server->admin_port(), "/metrics");
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->body : "";
  }

  std::unique_ptr<gnlc::testing::RedisServerProcess> redis_;
  std::unique_ptr<CatalogReplica> catalog_;
};

// 300 calls, each with a new forged token, from one address: after the
// source's few failures (burst 5, one a second) the rest are refused without
// a signature checked, while a resident whose token verified before goes on
// working from the same address. A new token from there waits its turn.
TEST_F(RefusedCallsTest, ASourceOfForgedTokensGetsNoMoreSignaturesChecked) {
  CityConfig city = TestCity();
  city.mutable_rate_limits()->mutable_auth_failures()->set_per_second(1);
  city.mutable_rate_limits()->mutable_auth_failures()->set_burst(5);
  StartCatalog(city);
  auto resident = StubWithToken(*catalog_, ResidentToken("alice"));
  ASSERT_TRUE(ListPrograms(*resident).ok());

  const absl::Time began = absl::Now();
  int unauthenticated = 0, refused = 0;
  absl::Status refusal;
  absl::Duration slowest_refusal;
  for (uint32_t i = 0; i < 40; ++i) {
    const absl::Time sent = absl::Now();
    grpc::Status s = ListPrograms(*StubWithToken(*catalog_, ForgedToken(i)));
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      ++unauthenticated;
    } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      refusal = FromGrpcStatus(s);
      slowest_refusal = std::max(slowest_refusal, absl::Now() - sent);
    } else {
      ADD_FAILURE() << i << ": " << s.error_code() << " " << s.error_message();
    }
    if (i % 10 == 0) {
      EXPECT_TRUE(ListPrograms(*resident).ok()) << i;
    }
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - began);
  // The burst, and one a second while the loop ran, were checked.
  EXPECT_GE(unauthenticated, 5);
  EXPECT_LE(unauthenticated, 5 + static_cast<int>(seconds) + 1);
  EXPECT_EQ(unauthenticated + refused, 40);
  // Refused answers wait (the tarpit): the flood goes no faster than its
  // calls in flight allow.
  EXPECT_GE(slowest_refusal, RefusalTarpit::kMinHold);
  EXPECT_EQ(ErrorReason(refusal), "AUTH_FAILURES_FROM_SOURCE");
  auto delay = RetryDelayOf(refusal);
  ASSERT_TRUE(delay.has_value());
  EXPECT_GT(*delay, absl::ZeroDuration());
  EXPECT_LE(*delay, absl::Seconds(1));

  const std::string metrics = Metrics();
  EXPECT_EQ(Counter(metrics, "gnlc_auth_failed_total"), unauthenticated) << metrics;
  EXPECT_NE(
      metrics.find(absl::StrCat("gnlc_rate_limited_total{class=\"auth_failures\"} ", refused)),
      std::string::npos)
      << metrics;
  // A resident new to this address waits like the forgers (the price of a
  // shared address under attack, documented), then gets in.
  EXPECT_EQ(ListPrograms(*StubWithToken(*catalog_, ResidentToken("bob"))).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// The same forged token sent again and again is checked once: its failure
// is remembered (by its hash), while every new forged token costs a check,
// which is why the source is limited too (above).
TEST(TokenVerifierCache, ARepeatedForgedTokenIsCheckedOnce) {
  CityConfig city = TestCity();
  const auto& issuer = city.auth().issuers(0);
  auth::TokenVerifier verifier(city.auth().audience(), {{issuer.issuer(), issuer.jwks_file()}});
  const absl::Time now = absl::Now();
  const std::string forged = ForgedToken(7);
  EXPECT_FALSE(verifier.Remembers(forged, now));
  for (int i = 0; i < 100; ++i) {
    auto verdict = verifier.Verify(forged, now);
    ASSERT_FALSE(verdict.ok());
    EXPECT_EQ(ErrorReason(verdict.status()), "TOKEN_INVALID") << i;
  }
  EXPECT_EQ(verifier.signature_checks(), 1);
  EXPECT_TRUE(verifier.Remembers(forged, now));
  // Remembered for a minute, not for ever.
  EXPECT_FALSE(verifier.Remembers(forged, now + absl::Minutes(2)));

  // A valid token is checked once too, and its claims checked every time.
  const std::string valid = ResidentToken("alice");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(verifier.Verify(valid, now).ok()) << i;
  EXPECT_EQ(verifier.signature_checks(), 2);

  // Each new forged token is a check of its own.
  for (uint32_t i = 100; i < 110; ++i) EXPECT_FALSE(verifier.Verify(ForgedToken(i), now).ok());
  EXPECT_EQ(verifier.signature_checks(), 12);
}

// Denials and refusals are written as counts: a flood of 200 writes a few
// audit lines, and the count of the rest when the interval ends (here: when
// the server stops).
TEST_F(RefusedCallsTest, AFloodOfDenialsWritesCountsNotLines) {
  const std::string audit = absl::StrCat(::testing::TempDir(), "/refusals-audit.log");
  std::remove(audit.c_str());
  ASSERT_TRUE(SetAuditSink(audit).ok());
  CityConfig city = TestCity();
  city.mutable_rate_limits()->mutable_auth_failures()->set_burst(1000);
  StartCatalog(city);
  auto forger = StubWithToken(*catalog_, ForgedToken(11));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(ListPrograms(*forger).error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  catalog_.reset();  // writes the counts not written yet
  ASSERT_TRUE(SetAuditSink("").ok());

  std::ifstream in(audit);
  int lines = 0, in_full = 0;
  int64_t counted = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    if (line.find("\"reason\":\"TOKEN_INVALID\"") == std::string::npos) continue;
    if (auto at = line.find("\"refused_more\":\""); at != std::string::npos) {
      counted += std::stoll(line.substr(at + 16));
    } else if (line.find("\"denied\":\"true\"") != std::string::npos) {
      ++in_full;
    }
  }
  EXPECT_LE(lines, 10);
  EXPECT_GE(in_full, 1);
  EXPECT_EQ(in_full + counted, 200) << lines << " lines";
}

// A backend proxying residents' searches has the share its config gives
// it, not one phone's; a backend the config does not list has the city's
// default, like anyone else.
TEST_F(RefusedCallsTest, AMobileBackendHasLimitsOfItsOwn) {
  CityConfig city = TestCity();
  auto* limits = city.mutable_rate_limits();
  limits->mutable_search()->set_per_second(1);
  limits->mutable_search()->set_burst(10);
  auto* backend = limits->add_backends();
  backend->set_id("nanjing-app");
  backend->mutable_search()->set_per_second(1000);
  backend->mutable_search()->set_burst(500);
  StartCatalog(city);
  auto search = [](pb::CatalogService::Stub& stub) {
    grpc::ClientContext ctx;
    pb::SearchProgramsRequest req;
    req.set_parent("cities/nanjing");
    req.set_query("calligraphy");
    pb::SearchProgramsResponse resp;
    return stub.SearchPrograms(&ctx, req, &resp);
  };
  auto token = [](const std::string& id) {
    return gnlc::testing::TestToken("nanjing",
                                    {.role = "mobile_backend", .subject = id, .partner = ""});
  };
  auto listed = StubWithToken(*catalog_, token("nanjing-app"));
  auto unlisted = StubWithToken(*catalog_, token("other-app"));
  auto anonymous = StubWithToken(*catalog_, "");
  int listed_limited = 0, unlisted_limited = 0, anonymous_limited = 0;
  for (int i = 0; i < 100; ++i) {
    grpc::Status s = search(*listed);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++listed_limited;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    if (search(*unlisted).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++unlisted_limited;
    if (search(*anonymous).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++anonymous_limited;
    }
  }
  EXPECT_EQ(listed_limited, 0);
  EXPECT_GT(unlisted_limited, 50);
  EXPECT_GT(anonymous_limited, 50);
}

}  // namespace
}  // namespace gnlc::catalog::testing

namespace gnlc::enrollment::testing {
namespace {

// When Redis stalls, calls wait in the handler queue up to its bound; past
// it they are refused at once with SERVER_BUSY and RetryInfo instead of
// piling up, and the calls taken all finish once Redis answers again.
class HandlerQueueTest : public EnrollmentTest {
 protected:
  bool StartEnrollmentInSetUp() const override { return false; }
};

TEST_F(HandlerQueueTest, AFullHandlerQueueRefusesAtOnceWithRetryInfo) {
  enrollment_ = EnrollmentServer::Start(
      redis_->address(), absl::StrCat("127.0.0.1:", catalog_->server->port()),
      [] { return absl::Now(); },
      [](ServerOptions& options) {
        options.handler_threads = 1;
        options.handler_queue = 2;
        options.redis.command_timeout = absl::Seconds(30);  // waits out the pause
      });
  // The service's Redis connection is made (and authenticated) first: a
  // connection made during the pause would time out in AUTH instead of
  // waiting like a command.
  {
    grpc::ClientContext ctx;
    epb::GetLearnerRequest req;
    req.set_name("cities/nanjing/learners/nobody");
    epb::GetLearnerResponse resp;
    ASSERT_EQ(stub().GetLearner(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // Every client of Redis waits for 5 s: long enough for all the calls
  // below to arrive while the first one waits.
  ASSERT_TRUE(pool_->Command({"CLIENT", "PAUSE", "5000", "ALL"}).ok());
  constexpr int kCalls = 8;
  struct Call {
    grpc::ClientContext ctx;
    epb::GetLearnerRequest req;
    epb::GetLearnerResponse resp;
    grpc::Status status;
  };
  std::vector<Call> calls(kCalls);
  absl::BlockingCounter done(kCalls);
  for (Call& call : calls) {
    call.req.set_name("cities/nanjing/learners/nobody");
    call.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    stub().async()->GetLearner(&call.ctx, &call.req, &call.resp, [&](grpc::Status s) {
      call.status = std::move(s);
      done.DecrementCount();
    });
  }
  done.Wait();
  int busy = 0, answered = 0;
  for (Call& call : calls) {
    if (call.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++busy;
      const absl::Status status = FromGrpcStatus(call.status);
      EXPECT_EQ(ErrorReason(status), "SERVER_BUSY");
      EXPECT_TRUE(RetryDelayOf(status).has_value());
    } else {
      EXPECT_EQ(call.status.error_code(), grpc::StatusCode::NOT_FOUND)
          << call.status.error_message();
      ++answered;
    }
  }
  // One running and two waiting at most, the rest refused. (Two answered
  // when the third call came before the thread took the first off the
  // queue: then the queue held both.)
  EXPECT_GE(answered, 2);
  EXPECT_LE(answered, 3);
  EXPECT_EQ(busy, kCalls - answered);
}

}  // namespace
}  // namespace gnlc::enrollment::testing
