#include "tests/support/redis_sentinel.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_connection.h"
#include "tests/support/redis_server.h"

namespace gnlc::testing {

absl::StatusOr<std::unique_ptr<SentinelProcess>> SentinelProcess::Start(
    const std::string& primary_name, int primary_port, const std::string& city) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gnlc-sentinel-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<SentinelProcess> p(new SentinelProcess(tmpl));
  const RedisOptions admin = TestRedisAdminOptions(absl::StrCat("127.0.0.1:", primary_port), city);
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {  // the port can be taken meanwhile
    p->port_ = PickFreePort();
    // Sentinel rewrites its file as it learns; the timers make a failover
    // take seconds (a production Sentinel waits longer before it acts).
    // Down after 1.5 s: a newly promoted primary busy with a loaded test
    // must not look dead at once (500 ms did, and was failed over again).
    const std::string config = absl::StrCat(
        "port ", p->port_, "\nbind 127.0.0.1\ndir ", p->dir_, "\nsentinel monitor ", primary_name,
        " 127.0.0.1 ", primary_port, " 1\nsentinel auth-user ", primary_name, " ", admin.user,
        "\nsentinel auth-pass ", primary_name, " ", admin.password,
        "\nsentinel down-after-milliseconds ", primary_name, " 1500\nsentinel failover-timeout ",
        primary_name, " 3000\nsentinel parallel-syncs ", primary_name, " 1\n");
    last = p->Spawn(config);
    if (last.ok()) return p;
  }
  return last;
}

absl::Status SentinelProcess::Spawn(const std::string& config) {
  const std::string file = dir_ + "/sentinel.conf";
  std::ofstream(file) << config;
  std::vector<std::string> args = {"redis-server", file, "--sentinel", "--logfile",
                                   dir_ + "/sentinel.log"};
  RedisOptions options;
  (void)ParseRedisAddress(address(), options);
  return SpawnRedisAndWait(std::move(args), options, pid_,
                           absl::StrCat("sentinel on port ", port_));
}

SentinelProcess::~SentinelProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace gnlc::testing
