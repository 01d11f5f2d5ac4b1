// A catalog replica frozen for longer than the stream retention (a paused
// VM, a stopped process) while programs were deleted and created: the
// catalog stream was trimmed past it, so on waking it finds the gap and
// rebuilds its index from the records. It must not serve the deleted
// program, whose deletion event it never read.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/events/stream_retention.h"
#include "common/events/streams.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/integration/catalog_harness.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quick_streams.h"

extern char** environ;

namespace gnlc::catalog::testing {
namespace {

using Health = grpc::health::v1::HealthCheckResponse;

class CatalogStreamGapTest : public CatalogTest {
 protected:
  void TearDown() override {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
  }

  // A retention that passes within the test, for this process's replica
  // and the spawned one (set before either starts).
  gnlc::testing::QuickStreams streams_{{.retention_seconds = 2, .trim_every_ms = 100}};

  // The gnlc-catalog binary on the same Redis; its port.
  int SpawnReplica() {
    const std::string dir = redis_->dir();
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(TestCity(), &json).ok());
    std::ofstream(dir + "/city.json") << json;
    const std::string port_file = dir + "/replica.ports";
    std::vector<std::string> args = {GNLC_CATALOG_BINARY, "--config=" + dir + "/city.json",
                                     "--redis=" + redis_->address(), "--port_file=" + port_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    setenv("GNLC_PAGE_TOKEN_SECRET", "catalog-stream-gap-test-secret", 1);
    EXPECT_EQ(posix_spawn(&child_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    int port = 0;
    EXPECT_TRUE(gnlc::testing::PollUntil(
        [&] {
          std::ifstream in(port_file);
          return static_cast<bool>(in >> port);
        },
        absl::Seconds(10)));
    return port;
  }

  std::string Redis(std::vector<absl::string_view> command) {
    auto r = replica_->pool->Command(command);
    return r.ok() && r->view().is_string() ? std::string(r->view().str()) : "";
  }

  pid_t child_ = -1;
};

grpc::StatusCode GetProgram(pb::CatalogService::Stub& stub, const std::string& name) {
  pb::GetProgramRequest req;
  req.set_name(name);
  pb::GetProgramResponse out;
  return stub.GetProgram(Ctx().get(), req, &out).error_code();
}

TEST_F(CatalogStreamGapTest, AReplicaFrozenPastTheRetentionRebuildsItsIndexFromTheRecords) {
  const int port = SpawnReplica();
  auto channel = gnlc::testing::LocalChannel(port);
  ASSERT_TRUE(gnlc::testing::WaitForHealth(channel, "", Health::SERVING, absl::Seconds(20)));
  auto replica = pb::CatalogService::NewStub(channel);

  const pb::Program gone = MustCreateProgram(stub(), NewProgram("旧课程", "Old course"));
  ASSERT_TRUE(gnlc::testing::PollUntil(
      [&] { return GetProgram(*replica, gone.name()) == grpc::StatusCode::OK; }, absl::Seconds(5)));

  ASSERT_EQ(kill(child_, SIGSTOP), 0);
  pb::DeleteProgramRequest del;
  del.set_name(gone.name());
  pb::DeleteProgramResponse deleted;
  ASSERT_TRUE(stub().DeleteProgram(Ctx().get(), del, &deleted).ok());
  auto newest = replica_->pool->Command({"XREVRANGE", kCatalogStream, "+", "-", "COUNT", "1"});
  ASSERT_TRUE(newest.ok() && newest->view().size() == 1);
  const std::string deletion(newest->view()[0][0].str());
  const pb::Program added = MustCreateProgram(stub(), NewProgram("新课程", "New course"));
  // The frozen replica stops reporting; once its report is older than the
  // retention, the stream is trimmed past the deletion it never read.
  ASSERT_TRUE(gnlc::testing::PollUntil(
      [&] {
        const std::string trimmed = Redis({"GET", TrimmedKey(kCatalogStream)});
        return !trimmed.empty() && CompareStreamIds(trimmed, deletion) > 0;
      },
      absl::Seconds(20)));
  auto still = replica_->pool->Command({"XRANGE", kCatalogStream, deletion, deletion});
  ASSERT_TRUE(still.ok());
  ASSERT_EQ(still->view().size(), 0u) << "the deletion event is still there to read";

  ASSERT_EQ(kill(child_, SIGCONT), 0);
  grpc::StatusCode gone_code = grpc::StatusCode::UNKNOWN, added_code = grpc::StatusCode::UNKNOWN;
  EXPECT_TRUE(gnlc::testing::PollUntil(
      [&] {
        gone_code = GetProgram(*replica, gone.name());
        added_code = GetProgram(*replica, added.name());
        return gone_code == grpc::StatusCode::NOT_FOUND && added_code == grpc::StatusCode::OK;
      },
      absl::Seconds(20)))
      << "the woken replica still serves a deleted program, or lacks the new one: the "
         "deleted one answers "
      << gone_code << ", the new one " << added_code;
}

}  // namespace
}  // namespace gnlc::catalog::testing
