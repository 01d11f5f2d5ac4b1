// Event streams trimmed only behind their readers (a consumer group, a
// follower's report, a cursor key), never below what is younger than
// min_age, always past what is older than max_age; and readers that were
// away longer than that find the gap and rebuild instead of skipping.
#include "common/events/stream_retention.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/group_consumer.h"
#include "common/events/stream_follower.h"
#include "common/redis/redis_pool.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/redis_server.h"

namespace gnlc {
namespace {

using gnlc::testing::PollUntil;

constexpr char kStream[] = "test:{0}:events";

class StreamRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServerProcess::Start("everysec");
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    pool_ = std::make_unique<RedisPool>(redis_->AdminOptions());
  }

  // An event added with the id `id` ("" for the next one Redis picks).
  std::string Add(int n, const std::string& id = "") {
    Event e = NewEvent("nanjing", absl::StrCat("cities/nanjing/things/", n), absl::Now());
    e.mutable_learner_erased()->set_learner(absl::StrCat(n));
    auto r = pool_->Command({"XADD", kStream, id.empty() ? "*" : id, "e", EncodeEvent(e)});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::string(r->view().str()) : "";
  }
  std::string First() {
    auto r = pool_->Command({"XRANGE", kStream, "-", "+", "COUNT", "1"});
    return r.ok() && r->view().size() > 0 ? std::string(r->view()[0][0].str()) : "";
  }
  std::string Get(const std::string& key) {
    auto r = pool_->Command({"GET", key});
    return r.ok() && !r->view().is_nil() ? std::string(r->view().str()) : "";
  }
  // A follower "index/r1" reporting every 50 ms whose rebuild goes on from
  // the stream's newest entry, and then counts itself in `rebuilt` (so an
  // entry a test adds once it sees the count comes after that point).
  FollowerOptions Rebuilding(std::atomic<int>& rebuilt) {
    return {.reader = "index/r1",
            .on_gap = [this, &rebuilt]() -> absl::StatusOr<std::string> {
              auto from = StreamPosition(*pool_, kStream);
              ++rebuilt;
              return from;
            },
            .report_every = absl::Milliseconds(50)};
  }
  static std::string IdAt(absl::Time t, int seq = 0) {
    return absl::StrCat(absl::ToUnixMillis(t), "-", seq);
  }

  std::unique_ptr<testing::RedisServerProcess> redis_;
  std::unique_ptr<RedisPool> pool_;
};

StreamRetention Quick(absl::Duration max_age) {
  return {.max_age = max_age, .min_age = absl::Milliseconds(1), .every = absl::Milliseconds(50)};
}

TEST_F(StreamRetentionTest, TrimsOnlyBelowWhatEveryReaderStillNeeds) {
  // 20 entries a minute apart, three hours ago.
  const absl::Time start = absl::Now() - absl::Hours(3);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(Add(i, IdAt(start + absl::Minutes(i))));
  // A group that was handed 12 and acknowledged 8 (its oldest need: the 9th).
  ASSERT_TRUE(pool_->Command({"XGROUP", "CREATE", kStream, "g", "0"}).ok());
  ASSERT_TRUE(
      pool_->Command({"XREADGROUP", "GROUP", "g", "c", "COUNT", "12", "STREAMS", kStream, ">"})
          .ok());
  std::vector<absl::string_view> ack = {"XACK", kStream, "g"};
  for (int i = 0; i < 8; ++i) ack.push_back(ids[i]);
  ASSERT_TRUE(pool_->Command(ack).ok());
  // A follower at the 5th, reporting now; a cursor at the 15th.
  const std::string now_ms = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  ASSERT_TRUE(
      pool_->Command({"HSET", ReadersKey(kStream), "f", absl::StrCat(ids[4], " ", now_ms)}).ok());
  ASSERT_TRUE(pool_->Command({"SET", "test:{0}:cursor", ids[14]}).ok());

  StreamTrimmer trimmer(pool_.get(), {.stream = kStream, .position_keys = {"test:{0}:cursor"}},
                        Quick(absl::Hours(24)));
  auto point = trimmer.TrimOnce();
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(*point, ids[4]);
  EXPECT_EQ(First(), ids[4]) << "the follower's entry and everything after it stay";
  EXPECT_EQ(Get(TrimmedKey(kStream)), ids[4]);

  // The follower moves on: the group's oldest pending entry holds.
  ASSERT_TRUE(
      pool_->Command({"HSET", ReadersKey(kStream), "f", absl::StrCat(ids[19], " ", now_ms)}).ok());
  ASSERT_EQ(*trimmer.TrimOnce(), ids[8]);
  EXPECT_EQ(First(), ids[8]);
  // The group acknowledges everything it was handed: its last delivered.
  ack = {"XACK", kStream, "g", ids[8], ids[9], ids[10], ids[11]};
  ASSERT_TRUE(pool_->Command(ack).ok());
  ASSERT_EQ(*trimmer.TrimOnce(), ids[11]);
  // The cursor moves past the end: nothing older than the newest entry is
  // needed, and the newest stays.
  ASSERT_TRUE(pool_->Command({"XGROUP", "SETID", kStream, "g", "$"}).ok());
  ASSERT_TRUE(pool_->Command({"SET", "test:{0}:cursor", ids[19]}).ok());
  ASSERT_EQ(*trimmer.TrimOnce(), ids[19]);
  EXPECT_EQ(First(), ids[19]);
  // A group created now at the start cannot bring the record back down.
  ASSERT_TRUE(pool_->Command({"XGROUP", "CREATE", kStream, "late", "0"}).ok());
  ASSERT_TRUE(trimmer.TrimOnce().ok());
  EXPECT_EQ(Get(TrimmedKey(kStream)), ids[19]);
}

TEST_F(StreamRetentionTest, KeepsWhatIsYoungerThanMinAgeEvenWhenEveryoneReadIt) {
  for (int i = 0; i < 5; ++i) Add(i);
  StreamTrimmer trimmer(pool_.get(), {.stream = kStream},
                        {.max_age = absl::Hours(24), .min_age = absl::Hours(1)});
  auto point = trimmer.TrimOnce();
  ASSERT_TRUE(point.ok());
  auto len = pool_->Command({"XLEN", kStream});
  EXPECT_EQ(len->view().integer(), 5);
}

TEST_F(StreamRetentionTest, TrimsUnreadEntriesPastMaxAgeAndForgetsGoneFollowers) {
  const absl::Time start = absl::Now() - absl::Hours(3);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Add(i, IdAt(start + absl::Minutes(i))));
  for (int i = 0; i < 3; ++i) ids.push_back(Add(10 + i));  // now
  ASSERT_TRUE(pool_->Command({"XGROUP", "CREATE", kStream, "stopped", "0"}).ok());
  // A follower that last reported two hours ago: a replica that is gone.
  const std::string then = absl::StrCat(absl::ToUnixMillis(absl::Now() - absl::Hours(2)));
  ASSERT_TRUE(
      pool_->Command({"HSET", ReadersKey(kStream), "gone", absl::StrCat(ids[0], " ", then)}).ok());
  StreamTrimmer trimmer(pool_.get(), {.stream = kStream}, Quick(absl::Hours(1)));
  ASSERT_TRUE(trimmer.TrimOnce().ok());
  EXPECT_EQ(First(), ids[10]) << "everything older than an hour is gone";
  auto readers = pool_->Command({"HLEN", ReadersKey(kStream)});
  EXPECT_EQ(readers->view().integer(), 0);
}

struct Applied {
  std::mutex mu;
  std::set<std::string> learners;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return learners.size();
  }
  bool has(const std::string& l) {
    std::lock_guard<std::mutex> lock(mu);
    return learners.count(l) > 0;
  }
  void Add(const Event& e) {
    std::lock_guard<std::mutex> lock(mu);
    learners.insert(e.learner_erased().learner());
  }
};

// A follower of kStream from `from`, started, handing what it reads to
// `applied`.
std::unique_ptr<StreamFollower> Follow(const RedisOptions& redis, const std::string& from,
                                       Applied& applied, const FollowerOptions& options) {
  auto follower = std::make_unique<StreamFollower>(
      redis, kStream, from, [&applied](const Event& e) { applied.Add(e); }, options);
  follower->Start();
  return follower;
}

TEST_F(StreamRetentionTest, AGroupStoppedLongerThanTheRetentionRebuildsInsteadOfSkipping) {
  for (int i = 0; i < 5; ++i) Add(i);
  Applied applied;
  std::atomic<int> rebuilt{0};
  std::string rebuilt_at;
  GroupConsumerOptions options{.stream = kStream, .group = "g", .consumer = "c1"};
  options.on_gap = [&]() -> absl::StatusOr<std::string> {
    ++rebuilt;
    // The records as of now stand for everything up to here.
    auto position = StreamPosition(*pool_, kStream);
    if (position.ok()) rebuilt_at = *position;
    return position;
  };
  options.check_gap_every = absl::Milliseconds(50);
  auto handler = [&](const Event& e) {
    applied.Add(e);
    return absl::OkStatus();
  };
  {
    GroupConsumer consumer(redis_->AdminOptions(), options, handler);
    consumer.Start();
    ASSERT_TRUE(PollUntil([&] { return applied.size() == 5; }, absl::Seconds(5)));
  }
  // Stopped; five more come, and the retention passes.
  for (int i = 5; i < 10; ++i) Add(i);
  StreamTrimmer trimmer(pool_.get(), {.stream = kStream}, Quick(absl::Minutes(10)),
                        [] { return absl::Now() + absl::Hours(1); });
  ASSERT_TRUE(trimmer.TrimOnce().ok());
  ASSERT_FALSE(Get(TrimmedKey(kStream)).empty());

  GroupConsumer consumer(redis_->AdminOptions(), options, handler);
  consumer.Start();
  ASSERT_TRUE(PollUntil([&] { return rebuilt.load() == 1; }, absl::Seconds(5)));
  // It goes on after the rebuild's position: new events are applied, the
  // trimmed ones were never handed out one by one, and no second rebuild.
  Add(10);
  ASSERT_TRUE(PollUntil([&] { return applied.has("10"); }, absl::Seconds(5)));
  for (int i = 5; i < 9; ++i) EXPECT_FALSE(applied.has(absl::StrCat(i))) << i;
  absl::SleepFor(absl::Milliseconds(200));  // several gap checks
  EXPECT_EQ(rebuilt.load(), 1);
  EXPECT_EQ(consumer.rebuilds(), 1);
}

TEST_F(StreamRetentionTest, AFollowerReportsItsPositionAndRebuildsAfterAGap) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Add(i));
  Applied applied;
  std::atomic<int> rebuilt{0};
  const FollowerOptions options = Rebuilding(rebuilt);
  {
    auto follower = Follow(redis_->AdminOptions(), "0-0", applied, options);
    ASSERT_TRUE(PollUntil([&] { return applied.size() == 5; }, absl::Seconds(5)));
    // Its report holds its position, which holds back the trim.
    ASSERT_TRUE(PollUntil(
        [&] {
          auto r = pool_->Command({"HGET", ReadersKey(kStream), "index/r1"});
          return r.ok() && absl::StartsWith(r->view().str(), ids[4] + " ");
        },
        absl::Seconds(5)));
  }
  EXPECT_EQ(rebuilt.load(), 0);
  // The same replica, frozen at the 5th entry while ten more came and the
  // retention passed.
  for (int i = 5; i < 15; ++i) Add(i);
  StreamTrimmer trimmer(pool_.get(), {.stream = kStream}, Quick(absl::Minutes(10)),
                        [] { return absl::Now() + absl::Hours(1); });
  ASSERT_TRUE(trimmer.TrimOnce().ok());
  auto thawed = Follow(redis_->AdminOptions(), ids[4], applied, options);
  ASSERT_TRUE(PollUntil([&] { return rebuilt.load() == 1; }, absl::Seconds(5)));
  Add(15);
  ASSERT_TRUE(PollUntil([&] { return applied.has("15"); }, absl::Seconds(5)));
  EXPECT_FALSE(applied.has("5")) << "a trimmed entry was handed on after the rebuild";
  EXPECT_EQ(thawed->rebuilds(), 1);
}

TEST_F(StreamRetentionTest, AFollowerAheadOfTheStreamAfterLostWritesRebuilds) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Add(i));
  Applied applied;
  std::atomic<int> rebuilt{0};
  const FollowerOptions options = Rebuilding(rebuilt);
  auto follower = Follow(redis_->AdminOptions(), "0-0", applied, options);
  ASSERT_TRUE(PollUntil([&] { return applied.size() == 3; }, absl::Seconds(5)));
  // A failover lost the last two entries (the new primary never had them),
  // and new ones come with ids at or below the follower's position.
  ASSERT_TRUE(pool_->Command({"DEL", kStream}).ok());
  Add(10, "1-1");
  EXPECT_TRUE(LostWrites(ids[2], "1-1"));
  ASSERT_TRUE(PollUntil([&] { return rebuilt.load() == 1; }, absl::Seconds(5)))
      << "the follower waits for ids above entries that are gone";
  Add(11, "2-1");
  EXPECT_TRUE(PollUntil([&] { return applied.has("11"); }, absl::Seconds(5)));
  EXPECT_EQ(follower->rebuilds(), 1);
}

}  // namespace
}  // namespace gnlc
