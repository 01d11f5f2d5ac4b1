// Our own broken invariants, through the real service and Redis: a stored
// record that does not parse answers INTERNAL (never NOT_FOUND, which would
// pass corruption off as an erasure), names no internals, and is counted on
// /metrics; and an enrollment script refuses a key its caller did not pass
// in KEYS before it writes anything.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/enrollment_scripts.h"
#include "tests/integration/enrollment_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/http_get.h"

namespace gnlc::enrollment::testing {
namespace {

// The enrollment service's gnlc_broken_invariants_total, from /metrics.
std::string BrokenLine(int admin_port) {
  auto metrics = gnlc::testing::HttpGet(admin_port, "/metrics");
  if (!metrics.ok()) return metrics.status().ToString();
  for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
    if (absl::StartsWith(line, "gnlc_broken_invariants_total{")) return std::string(line);
  }
  return "";
}

using BrokenInvariantTest = EnrollmentTest;

TEST_F(BrokenInvariantTest, AnUnreadableLearnerIsInternalAndCountedNotNotFound) {
  const std::string learner = CreateLearner();
  const std::string id = learner.substr(learner.rfind('/') + 1);
  const int port = enrollment_->server->admin_port();
  EXPECT_TRUE(absl::EndsWith(BrokenLine(port), " 0")) << BrokenLine(port);

  // A record cut short: protobuf cannot parse a truncated length prefix.
  ASSERT_TRUE(pool_->Command({"HSET", Key("learners"), id, "\x0a\x7f"}).ok());
  epb::GetLearnerRequest get;
  get.set_name(learner);
  epb::GetLearnerResponse got;
  const grpc::Status status = stub().GetLearner(catalog::testing::Ctx().get(), get, &got);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_FALSE(absl::StrContains(status.error_message(), "enr:")) << status.error_message();
  EXPECT_FALSE(absl::StrContains(status.error_message(), "parse")) << status.error_message();
  EXPECT_TRUE(absl::EndsWith(BrokenLine(port), " 1")) << BrokenLine(port);
}

TEST_F(BrokenInvariantTest, AScriptRefusesAKeyItsCallerDidNotPassInKeys) {
  const RedisScript* probe = MakeEnrollmentScript(R"lua(
if ARGV[5] == 'read' then read_id(ARGV[4]) end
redis.call('SET', k('le', ARGV[4]), 'x')
return 'OK'
)lua");
  auto args = [](absl::string_view how) {
    return std::vector<absl::string_view>{"nanjing", "0", "0", "L1", how};
  };
  // Not in KEYS: refused before the write.
  auto refused = probe->Run(*pool_, ScriptKeys(), args("undeclared"));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "key not passed in KEYS: enr:{0}:le:L1"))
      << refused.status();
  EXPECT_TRUE(pool_->Command({"GET", Key("le", "L1")})->view().is_nil());
  // In KEYS, or built from an id the script read: allowed.
  const std::vector<std::string> declared = {Key("le", "L1")};
  auto passed = probe->Run(*pool_, ScriptKeys(declared), args("declared"));
  ASSERT_TRUE(passed.ok()) << passed.status();
  auto read = probe->Run(*pool_, ScriptKeys(), args("read"));
  ASSERT_TRUE(read.ok()) << read.status();
  delete probe;
}

}  // namespace
}  // namespace gnlc::enrollment::testing
