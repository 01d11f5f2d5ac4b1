#include "tests/support/redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/auth/dev_pki.h"
#include "common/redis/redis_connection.h"
#include "tests/support/test_security.h"

extern char** environ;

namespace gnlc::testing {

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

RedisOptions TestRedisAdminOptions(const std::string& address, const std::string& city) {
  RedisOptions options;
  (void)ParseRedisAddress(address, options);
  options.user = "admin";
  auto password =
      auth::ReadFileToString(absl::StrCat(TestPkiDir(), "/", city, "/redis/admin.password"));
  if (password.ok()) options.password = std::string(absl::StripAsciiWhitespace(*password));
  return options;
}

absl::Status SpawnRedisAndWait(std::vector<std::string> args, RedisOptions options, pid_t& pid,
                               absl::string_view what) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid = -1;
  if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    pid = -1;
    return absl::FailedPreconditionError("cannot run redis-server: is it installed?");
  }
  options.connect_timeout = absl::Milliseconds(200);
  options.min_backoff = options.max_backoff = absl::ZeroDuration();
  RedisConnection conn(options);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {  // exited: port taken?
      pid = -1;
      return absl::UnavailableError(absl::StrCat(what, " exited"));
    }
    if (conn.Command({"PING"}).ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(10));  // polling readiness, not waiting blind
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  pid = -1;
  return absl::DeadlineExceededError(absl::StrCat(what, " did not answer PING within 10 s"));
}

absl::StatusOr<std::unique_ptr<RedisServerProcess>> RedisServerProcess::Start(
    std::string appendfsync, std::string city) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gnlc-redis-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<RedisServerProcess> p(
      new RedisServerProcess(tmpl, std::move(appendfsync), std::move(city)));
  // The port can be taken between PickFreePort and bind: try a few.
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    p->port_ = PickFreePort();
    last = p->Spawn();
    if (last.ok()) return p;
  }
  return last;
}

RedisServerProcess::~RedisServerProcess() {
  Kill(SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServerProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  // Redis may refuse a SIGTERM and stay up: a replica still writing its
  // first AOF after a full sync logs "Writing initial AOF, can't exit" and
  // forgets the signal. So the signal is sent again until the server goes,
  // and SIGKILL ends it after 10 s; a test's teardown never waits forever.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  absl::Time next_signal = absl::InfinitePast();
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    const absl::Time now = absl::Now();
    if (now >= deadline) signal = SIGKILL;
    if (now >= next_signal || signal == SIGKILL) {
      ::kill(pid_, signal);
      ::kill(pid_, SIGCONT);  // a paused server (Signal(SIGSTOP)) must see it too
      if (signal == SIGKILL) {
        waitpid(pid_, &status, 0);
        break;
      }
      next_signal = now + absl::Milliseconds(200);
    }
    absl::SleepFor(absl::Milliseconds(5));  // polling the exit, not waiting blind
  }
  pid_ = -1;
}

std::string LogTail(const std::string& path, size_t lines) {
  std::ifstream log(path);
  std::deque<std::string> tail;
  for (std::string line; std::getline(log, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  return absl::StrJoin(tail, "\n");
}

absl::Status RedisServerProcess::Restart() { return Respawn({}); }

absl::Status RedisServerProcess::Respawn(const std::vector<std::string>& more_args) {
  Kill(SIGKILL);
  absl::Status s;
  for (int attempt = 0; attempt < 20; ++attempt) {  // the old socket may linger briefly
    s = Spawn(more_args);
    if (s.ok()) return s;
  }
  return s;
}

absl::Status RedisServerProcess::Spawn(std::vector<std::string> more_args) {
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {
      "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir_, "--appendonly", "yes",
      "--appendfsync", appendfsync_,
      // Plain commands in the AOF, so tests can
      // check what is (not) on disk.
      "--aof-use-rdb-preamble", "no", "--save", "", "--daemonize", "no", "--logfile",
      dir_ + "/redis.log",
      // As the launchers run it.
      "--zset-max-listpack-entries", "256", "--hash-max-listpack-value", "256",
      // Each service as its own user (redis_acl.h).
      "--aclfile", absl::StrCat(TestPkiDir(), "/", city_, "/redis/users.acl")};
  args.insert(args.end(), more_args.begin(), more_args.end());
  return SpawnRedisAndWait(std::move(args), AdminOptions(), pid_,
                           absl::StrCat("redis-server on port ", port_));
}

namespace {
// The primary sends its data at once, not after the 5 s Redis waits for
// more replicas to share a diskless sync.
absl::Status SyncAtOnce(const RedisServerProcess& primary) {
  return RedisConnection(primary.AdminOptions())
      .Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"})
      .status();
}
}  // namespace

absl::Status RedisServerProcess::MakeReplicaOf(const RedisServerProcess& primary) {
  const RedisOptions admin = AdminOptions();
  if (absl::Status s = SyncAtOnce(primary); !s.ok()) return s;
  RedisConnection conn(admin);
  for (const auto& [name, value] : {std::pair<std::string, std::string>{"masteruser", admin.user},
                                    {"masterauth", admin.password}}) {
    if (absl::Status s = conn.Command({"CONFIG", "SET", name, value}).status(); !s.ok()) return s;
  }
  if (absl::Status s =
          conn.Command({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}).status();
      !s.ok()) {
    return s;
  }
  return WaitForReplicationLink(primary);
}

absl::Status RedisServerProcess::RestartAsReplicaOf(const RedisServerProcess& primary) {
  if (absl::Status s = SyncAtOnce(primary); !s.ok()) return s;
  const RedisOptions admin = AdminOptions();
  // Never promoted until it has the primary's data: until its first sync,
  // what it holds is its own old AOF, and a Sentinel would otherwise count
  // it a candidate like any other replica.
  if (absl::Status s =
          Respawn({"--replicaof", "127.0.0.1", std::to_string(primary.port()), "--masteruser",
                   admin.user, "--masterauth", admin.password, "--replica-priority", "0"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WaitForReplicationLink(primary); !s.ok()) return s;
  return RedisConnection(admin).Command({"CONFIG", "SET", "replica-priority", "100"}).status();
}

absl::Status RedisServerProcess::WaitForReplicationLink(const RedisServerProcess& primary) {
  RedisConnection conn(AdminOptions());
  RedisConnection at_primary(primary.AdminOptions());
  // Up here, and online there: the primary counts this replica's
  // acknowledgements (WAIT) only from then on.
  const std::string online = absl::StrCat("port=", port_, ",state=online");
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    auto info = conn.Command({"INFO", "replication"});
    auto there = at_primary.Command({"INFO", "replication"});
    if (info.ok() && absl::StrContains(info->view().str(), "master_link_status:up") && there.ok() &&
        absl::StrContains(there->view().str(), online)) {
      // And acknowledging: right after its first sync a replica may answer
      // the primary's request for an acknowledgement only with its
      // once-a-second report, so a test's first WAIT could time out. One
      // write (undone at once) and a WAIT for it settle that here.
      const std::string probe = "gnlc-test-replication-probe";
      if (at_primary.Command({"SET", probe, "1"}).ok() && at_primary.Command({"DEL", probe}).ok()) {
        auto acked = at_primary.Command({"WAIT", "1", "5000"}, absl::Seconds(6));
        if (acked.ok() && acked->view().integer() >= 1) return absl::OkStatus();
      }
    }
    absl::SleepFor(absl::Milliseconds(10));  // polling the link, not waiting blind
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the replica's link did not come up within 10 s; its log ends:\n",
                   LogTail(dir_ + "/redis.log")));
}

}  // namespace gnlc::testing
