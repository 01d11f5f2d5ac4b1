// SIGTERM under load against the real gnlc-catalog binary: in-flight calls
// finish, new ones are refused cleanly, and the process exits 0 within 5 s.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/redis_server.h"

extern char** environ;

namespace gnlc {
namespace {

namespace pb = gnlc::catalog::v1;
using Health = grpc::health::v1::HealthCheckResponse;

TEST(GracefulShutdown, SigtermUnderLoadFinishesCallsAndExitsZeroWithinFiveSeconds) {
  auto redis = testing::RedisServerProcess::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string dir = (*redis)->dir();
  std::string json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(catalog::testing::TestCity(), &json).ok());
  std::ofstream(dir + "/city.json") << json;
  const std::string port_file = dir + "/ports";
  std::vector<std::string> args = {GNLC_CATALOG_BINARY, "--config=" + dir + "/city.json",
                                   "--redis=" + (*redis)->address(), "--port_file=" + port_file,
                                   "--drain_ms=300"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  setenv("GNLC_PAGE_TOKEN_SECRET", "graceful-shutdown-test-secret", 1);
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  int port = 0;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        std::ifstream in(port_file);
        return static_cast<bool>(in >> port);
      },
      absl::Seconds(10)));
  auto channel = testing::LocalChannel(port);
  ASSERT_TRUE(testing::WaitForHealth(channel, "", Health::SERVING, absl::Seconds(10)));

  // Load: 16 callers, each at most 100000 calls or until told to stop.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  // Codes of calls that were already in flight when SIGTERM was sent.
  std::map<grpc::StatusCode, int> in_flight_codes;
  std::atomic<int64_t> sigterm_ns{std::numeric_limits<int64_t>::max()};
  std::vector<std::thread> callers;
  for (int t = 0; t < 16; ++t) {
    callers.emplace_back([&] {
      auto stub = pb::CatalogService::NewStub(channel);
      for (int i = 0; i < 100000 && !stop; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        pb::SearchProgramsRequest req;
        req.set_parent("cities/nanjing");
        req.set_query("书法");
        pb::SearchProgramsResponse resp;
        const int64_t started = absl::GetCurrentTimeNanos();
        const grpc::Status s = stub->SearchPrograms(&ctx, req, &resp);
        std::lock_guard<std::mutex> lock(mu);
        ++codes[s.error_code()];
        if (started < sigterm_ns) ++in_flight_codes[s.error_code()];
        if (s.error_code() == grpc::StatusCode::UNAVAILABLE) break;  // server is going away
      }
    });
  }
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return codes[grpc::StatusCode::OK] > 200;
      },
      absl::Seconds(10)));

  const absl::Time sent = absl::Now();
  sigterm_ns = absl::ToUnixNanos(sent);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  bool exited =
      testing::PollUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, absl::Seconds(10));
  const absl::Duration took = absl::Now() - sent;
  stop = true;
  for (auto& t : callers) t.join();
  if (!exited) kill(pid, SIGKILL);
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(took, absl::Seconds(5));
  for (const auto& [code, count] : in_flight_codes) {
    // Every call in flight when the signal came finished normally.
    EXPECT_EQ(code, grpc::StatusCode::OK)
        << "in-flight call ended with code " << code << " x" << count;
  }
  for (const auto& [code, count] : codes) {
    std::cerr << "code " << code << ": " << count << " calls\n";
  }
}

}  // namespace
}  // namespace gnlc
