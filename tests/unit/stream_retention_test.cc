// Where an event stream may be trimmed: below every reader's need, never
// what is younger than min_age nor the newest entry, always what is older
// than max_age; and when a reader has missed entries.
#include "common/events/stream_retention.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace gnlc {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string IdAgo(absl::Duration ago, int seq = 0) {
  return absl::StrCat(absl::ToUnixMillis(kNow - ago), "-", seq);
}

StreamRetention Retention() {
  StreamRetention r;
  r.max_age = absl::Hours(24 * 30);
  r.min_age = absl::Hours(1);
  return r;
}

TEST(TrimPoint, IsTheOldestNeedOfAnyReader) {
  TrimInput in{.needed = {IdAgo(absl::Hours(5)), IdAgo(absl::Hours(30), 2), IdAgo(absl::Hours(2))},
               .last_generated = IdAgo(absl::Minutes(1)),
               .now = kNow};
  EXPECT_EQ(TrimPoint(in, Retention()), IdAgo(absl::Hours(30), 2));
}

TEST(TrimPoint, KeepsWhatIsYoungerThanMinAgeAndTheNewestEntry) {
  // Every reader is at the end: only entries older than an hour go.
  TrimInput in{
      .needed = {IdAgo(absl::Minutes(1))}, .last_generated = IdAgo(absl::Minutes(1)), .now = kNow};
  EXPECT_EQ(TrimPoint(in, Retention()), IdAgo(absl::Hours(1)));
  // No reader, and the newest entry older than an hour: it stays.
  in = {.needed = {}, .last_generated = IdAgo(absl::Hours(3), 7), .now = kNow};
  EXPECT_EQ(TrimPoint(in, Retention()), IdAgo(absl::Hours(3), 7));
}

TEST(TrimPoint, TrimsWhatIsOlderThanMaxAgeEvenIfUnread) {
  // A group that read nothing ("0-0") and a follower stopped 40 days ago.
  TrimInput in{.needed = {"0-0", IdAgo(absl::Hours(24 * 40))},
               .last_generated = IdAgo(absl::Minutes(1)),
               .now = kNow};
  EXPECT_EQ(TrimPoint(in, Retention()), IdAgo(absl::Hours(24 * 30)));
}

TEST(TrimPoint, NothingForAnEmptyStream) {
  TrimInput in{.needed = {}, .last_generated = "0-0", .now = kNow};
  EXPECT_EQ(TrimPoint(in, Retention()), "");
}

TEST(MissedEntries, OnlyWhenTheTrimPassedThePosition) {
  EXPECT_FALSE(MissedEntries("5-0", ""));
  EXPECT_FALSE(MissedEntries("5-0", "5-0"));
  EXPECT_FALSE(MissedEntries("6-0", "5-3"));
  EXPECT_TRUE(MissedEntries("5-2", "5-3"));
  EXPECT_TRUE(MissedEntries("0-0", "1-0"));
  EXPECT_TRUE(MissedEntries("0", "1-0"));
  EXPECT_FALSE(MissedEntries("0", "0-0"));
}

TEST(LostWrites, OnlyWhenThePositionIsAheadOfTheNewestId) {
  EXPECT_TRUE(LostWrites("5-1", "5-0"));
  EXPECT_TRUE(LostWrites("5-0", "0-0"));
  EXPECT_FALSE(LostWrites("5-0", "5-0"));
  EXPECT_FALSE(LostWrites("4-9", "5-0"));
  EXPECT_FALSE(LostWrites("0-0", "0-0"));
  EXPECT_FALSE(LostWrites("0", "7-0"));
}

TEST(StreamIdBefore, IsTheLargestIdBelow) {
  EXPECT_EQ(StreamIdBefore("5-3"), "5-2");
  EXPECT_EQ(StreamIdBefore("5-0"), "4-18446744073709551615");
  EXPECT_EQ(StreamIdBefore("0-1"), "0-0");
  EXPECT_EQ(StreamIdBefore("0-0"), "0-0");
  EXPECT_EQ(StreamIdBefore("junk"), "0-0");
}

}  // namespace
}  // namespace gnlc
