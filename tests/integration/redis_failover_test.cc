// The Redis client across a failover, against real redis-server processes
// on loopback: a server that takes no writes now (a demoted primary) is
// UNAVAILABLE with RetryInfo, never INTERNAL, and its connection goes; with
// Sentinels configured, the client finds the primary, and the new one after
// the old is killed.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_pool.h"
#include "common/redis/redis_script.h"
#include "common/status/errors.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/redis_sentinel.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

using testing::PollUntil;
using testing::RedisServerProcess;
using testing::SentinelProcess;

std::unique_ptr<RedisServerProcess> MustStart() {
  auto redis = RedisServerProcess::Start();
  EXPECT_TRUE(redis.ok()) << redis.status();
  return redis.ok() ? std::move(*redis) : nullptr;
}

// What a caller sees from a server that takes no writes now.
void ExpectFailingOver(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(RetryDelayOf(s).has_value()) << s;
  EXPECT_EQ(s.message().find("READONLY"), absl::string_view::npos) << "leaks Redis' text: " << s;
}

// Which server the pool's connections reached, by its port (each of them
// may still be reconnecting: asked until two answers agree).
int PortOf(RedisPool& pool) {
  int port = 0, agreed = 0;
  PollUntil(
      [&] {
        auto r = pool.Command({"CONFIG", "GET", "port"});
        int p = 0;
        if (!r.ok() || r->view().size() != 2 || !absl::SimpleAtoi(r->view()[1].str(), &p)) {
          return false;
        }
        agreed = p == port ? agreed + 1 : 1;
        port = p;
        return agreed >= 2;
      },
      absl::Seconds(5));
  return port;
}

TEST(RedisFailoverTest, ADemotedPrimaryIsUnavailableWithRetryInfoAndItsConnectionGoes) {
  auto a = MustStart();
  auto b = MustStart();
  ASSERT_TRUE(a && b);
  RedisOptions options = a->AdminOptions();
  options.min_backoff = options.max_backoff = absl::Milliseconds(20);
  RedisPool pool(options);
  RedisConnection blocking(options);
  ASSERT_TRUE(pool.Command({"SET", "k", "1"}).ok());
  ASSERT_TRUE(blocking.Command({"SET", "k", "2"}).ok());

  // A is demoted (as Sentinel does to an old primary that comes back).
  ASSERT_TRUE(a->MakeReplicaOf(*b).ok());
  ExpectFailingOver(pool.Command({"SET", "k", "3"}).status());
  // A script's first write is refused the same way, not as a script error.
  ExpectFailingOver(
      pool.Command({"EVAL", "return redis.call('SET', KEYS[1], '4')", "1", "k"}).status());
  ExpectFailingOver(blocking.Command({"SET", "k", "5"}).status());

  // Promoted again: the next connection writes (after the backoff).
  ASSERT_TRUE(RedisConnection(a->AdminOptions()).Command({"REPLICAOF", "NO", "ONE"}).ok());
  EXPECT_TRUE(PollUntil([&] { return pool.Command({"SET", "k", "6"}).ok(); }, absl::Seconds(5)));
  EXPECT_TRUE(PollUntil(
      [&] {
        return blocking.Command({"SET", "k", "7"}).ok();
      },
      absl::Seconds(5)));
}

TEST(RedisFailoverTest, ABlockedStreamReadEndsWhenItsPrimaryIsDemoted) {
  auto a = MustStart();
  auto b = MustStart();
  ASSERT_TRUE(a && b);
  RedisConnection reader(a->AdminOptions());
  ASSERT_TRUE(reader.Command({"XADD", "s", "*", "f", "v"}).ok());
  absl::Status read;
  absl::Time ended;
  std::thread blocked([&] {
    read = reader.Command({"XREAD", "BLOCK", "10000", "STREAMS", "s", "$"}, absl::Seconds(12))
               .status();
    ended = absl::Now();
  });
  // Demoted while the read waits (once the read is blocked).
  RedisConnection admin(a->AdminOptions());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto info = admin.Command({"INFO", "clients"});
        return info.ok() && absl::StrContains(info->view().str(), "blocked_clients:1");
      },
      absl::Seconds(5)));
  const absl::Time demoted = absl::Now();
  ASSERT_TRUE(a->MakeReplicaOf(*b).ok());
  blocked.join();
  ExpectFailingOver(read);
  EXPECT_LT(ended - demoted, absl::Seconds(5)) << "the read waited out its BLOCK";
}

TEST(RedisFailoverTest, SentinelsLeadToThePrimaryAndToTheNewOneAfterItIsKilled) {
  auto primary = MustStart();
  auto replica = MustStart();
  ASSERT_TRUE(primary && replica);
  ASSERT_TRUE(replica->MakeReplicaOf(*primary).ok());
  auto sentinel = SentinelProcess::Start("gnlc", primary->port());
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();

  RedisOptions options = primary->AdminOptions();
  ASSERT_TRUE(ParseRedisAddress(absl::StrCat("sentinel:gnlc@127.0.0.1:1,", (*sentinel)->address()),
                                options)
                  .ok());  // the first Sentinel is down: the next one answers
  options.connect_timeout = absl::Milliseconds(200);
  options.min_backoff = options.max_backoff = absl::Milliseconds(50);
  RedisPool pool(options);
  ASSERT_TRUE(pool.Command({"SET", "before", "1"}).ok());
  EXPECT_EQ(PortOf(pool), primary->port());
  // Replicated before the kill (WAIT: one replica has it).
  auto waited = pool.Command({"WAIT", "1", "2000"});
  ASSERT_TRUE(waited.ok());
  ASSERT_EQ(waited->view().integer(), 1);

  primary->Kill(SIGKILL);
  // Sentinel promotes the replica; the pool finds it by itself, and no
  // failure on the way is INTERNAL.
  absl::Status last;
  ASSERT_TRUE(PollUntil(
      [&] {
        last = pool.Command({"SET", "after", "1"}).status();
        EXPECT_NE(last.code(), absl::StatusCode::kInternal) << last;
        return last.ok();
      },
      absl::Seconds(30)))
      << last;
  EXPECT_EQ(PortOf(pool), replica->port());
  auto before = pool.Command({"GET", "before"});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->view().str(), "1");
}

// A primary, its replica, and a pool that answers a write once the replica
// has it (or UNAVAILABLE after 300 ms).
class AcknowledgedWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_ = MustStart();
    replica_ = MustStart();
    ASSERT_TRUE(primary_ && replica_);
    ASSERT_TRUE(replica_->MakeReplicaOf(*primary_).ok());
    RedisOptions options = primary_->AdminOptions();
    options.replicas_to_ack = 1;
    options.replica_ack_timeout = absl::Milliseconds(300);
    pool_ = std::make_unique<RedisPool>(options);
  }

  std::unique_ptr<RedisServerProcess> primary_, replica_;
  std::unique_ptr<RedisPool> pool_;
};

TEST_F(AcknowledgedWritesTest, AWriteIsAcknowledgedOnlyOnceAReplicaHasIt) {
  RedisServerProcess* replica = replica_.get();
  RedisPool& pool = *pool_;
  const absl::Status first = pool.Command({"SET", "k", "1"}).status();
  ASSERT_TRUE(first.ok()) << first;
  // Acknowledged: the replica has it already.
  RedisConnection at_replica(replica->AdminOptions());
  auto copy = at_replica.Command({"GET", "k"});
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->view().str(), "1");

  // The replica stops (a lost machine, a partition): the primary applies
  // the write, but its caller is told it is not safe yet, never OK.
  replica->Signal(SIGSTOP);
  const absl::Status refused = pool.Command({"SET", "k", "2"}).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_TRUE(absl::StrContains(refused.ToString(), "STORAGE_NOT_REPLICATED")) << refused;
  // Nor a script's write, nor a read in the same batch.
  EXPECT_EQ(
      pool.Command({"EVAL", "return redis.call('SET', KEYS[1], '3')", "1", "k"}).status().code(),
      absl::StatusCode::kUnavailable);
  // Back: acknowledged again, and the replica has everything.
  replica->Signal(SIGCONT);
  EXPECT_TRUE(PollUntil([&] { return pool.Command({"SET", "k", "4"}).ok(); }, absl::Seconds(5)));
  copy = at_replica.Command({"GET", "k"});
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->view().str(), "4");
}

TEST_F(AcknowledgedWritesTest, ReadsGoOnWhileNoReplicaConfirmsWrites) {
  RedisServerProcess* replica = replica_.get();
  RedisPool& pool = *pool_;
  ASSERT_TRUE(pool.Command({"SET", "k", "1"}).ok());
  static const RedisScript kRead("return redis.call('GET', KEYS[1])", RedisScript::kReadOnly);
  static const RedisScript kWrite("return redis.call('SET', KEYS[1], ARGV[1])");

  replica->Signal(SIGSTOP);
  // Reads answer at once: no WAIT follows a batch that only reads.
  const absl::Time start = absl::Now();
  auto got = pool.Command({"GET", "k"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->view().str(), "1");
  auto read = kRead.Run(pool, {"k"}, {});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->view().str(), "1");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(250)) << "a read waited for the replica";
  // Writes, plain or scripted, are refused until the replica confirms.
  EXPECT_EQ(kWrite.Run(pool, {"k"}, {"2"}).status().code(), absl::StatusCode::kUnavailable);
  // A script declared read-only may not write: Redis refuses it.
  static const RedisScript kSneaky("return redis.call('SET', KEYS[1], 'x')",
                                   RedisScript::kReadOnly);
  const absl::Status sneaky = kSneaky.Run(pool, {"k"}, {}).status();
  EXPECT_FALSE(sneaky.ok());
  EXPECT_NE(sneaky.code(), absl::StatusCode::kUnavailable) << sneaky;
  replica->Signal(SIGCONT);
}

TEST(RedisFailoverTest, SentinelAddressesAreParsedAndCheckedAtStart) {
  RedisOptions o;
  ASSERT_TRUE(ParseRedisAddress("sentinel:city@10.0.0.1:26379,10.0.0.2:26379", o).ok());
  EXPECT_EQ(o.primary_name, "city");
  EXPECT_EQ(o.sentinels, (std::vector<std::string>{"10.0.0.1:26379", "10.0.0.2:26379"}));
  for (const char* bad : {"sentinel:", "sentinel:city", "sentinel:city@", "sentinel:@h:1",
                          "sentinel:city@h:1,", "sentinel:city@h:x", "sentinel:c@sentinel:x@h:1"}) {
    EXPECT_FALSE(ParseRedisAddress(bad, o).ok()) << bad;
  }
  ASSERT_TRUE(ParseRedisAddress("127.0.0.1:6379", o).ok());
  EXPECT_TRUE(o.sentinels.empty());
  EXPECT_TRUE(IsFailoverError("READONLY You can't write against a read only replica."));
  EXPECT_TRUE(IsFailoverError("UNBLOCKED force unblock from blocking operation"));
  EXPECT_FALSE(IsFailoverError("ERR wrong number of arguments"));
  EXPECT_FALSE(IsFailoverError("NOSCRIPT No matching script"));
  for (const char* read : {"GET", "hgetall", "XRANGE", "EVALSHA_RO", "SCAN", "WAIT"}) {
    EXPECT_TRUE(IsReadOnlyCommand(read)) << read;
  }
  for (const char* write : {"SET", "EVALSHA", "EVAL", "XADD", "XREADGROUP", "DEL", "UNKNOWN"}) {
    EXPECT_FALSE(IsReadOnlyCommand(write)) << write;
  }
}

}  // namespace
}  // namespace gnlc
