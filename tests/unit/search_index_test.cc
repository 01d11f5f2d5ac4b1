// The index directly, with an explicit clock: versions, removal, and the
// availability cache crossing window boundaries.
#include "services/catalog/search_index.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1800000000;  // 2027-01-15

Program MakeProgram(const std::string& id, const std::string& etag, const std::string& en) {
  Program p;
  p.set_name("cities/nanjing/programs/" + id);
  p.set_etag(etag);
  p.set_kind(gnlc::type::v1::PROGRAM_KIND_WORKSHOP);
  p.mutable_title()->set_en(en);
  p.set_state(v1::PROGRAM_STATE_PUBLISHED);
  return p;
}

Offering MakeOffering(const std::string& program, const std::string& id, int64_t open,
                      int64_t close, int64_t start, int64_t end) {
  Offering o;
  o.set_name("cities/nanjing/programs/" + program + "/offerings/" + id);
  o.set_etag("1");
  o.mutable_enrollment_open_time()->set_seconds(open);
  o.mutable_enrollment_close_time()->set_seconds(close);
  o.mutable_start_time()->set_seconds(start);
  o.mutable_end_time()->set_seconds(end);
  o.mutable_capacity()->set_seats(10);
  o.set_modality(gnlc::type::v1::MODALITY_ONLINE);
  return o;
}

Availability OnlyHit(const SearchIndex& index, int64_t now) {
  SearchQuery q;
  q.terms = {"pottery"};
  const SearchPage page = index.Search(q, now);
  EXPECT_EQ(page.hits.size(), 1u);
  EXPECT_EQ(page.availability_facets.size(), 1u);
  return page.hits.empty() ? v1::AVAILABILITY_UNSPECIFIED : page.hits[0].availability;
}

TEST(SearchIndex, AvailabilityFollowsTheClockAcrossEveryBoundary) {
  SearchIndex index;
  index.UpsertProgram(MakeProgram("p1", "1", "Pottery"));
  const int64_t open = kT0 + 20 * kDay, close = open + 5 * kDay, start = close,
                end = start + 3 * kDay;
  index.UpsertOffering(MakeOffering("p1", "o1", open, close, start, end));
  // Each search fills the cache; the next one, past a boundary, must not reuse it.
  EXPECT_EQ(OnlyHit(index, kT0), v1::AVAILABILITY_CLOSED);
  EXPECT_EQ(OnlyHit(index, open - 14 * kDay), v1::AVAILABILITY_OPENING_SOON);
  EXPECT_EQ(OnlyHit(index, open - 1), v1::AVAILABILITY_OPENING_SOON);
  EXPECT_EQ(OnlyHit(index, open), v1::AVAILABILITY_OPEN);
  index.SetSeatsTaken("o1", 10);  // a seat change is not a clock boundary
  EXPECT_EQ(OnlyHit(index, open + 1), v1::AVAILABILITY_FULL);
  EXPECT_EQ(OnlyHit(index, close), v1::AVAILABILITY_CLOSED);
  EXPECT_EQ(OnlyHit(index, end), v1::AVAILABILITY_ENDED);
}

TEST(SearchIndex, OlderVersionsAndDeletedProgramsAreIgnored) {
  SearchIndex index;
  EXPECT_TRUE(index.UpsertProgram(MakeProgram("p1", "2", "Pottery")));
  EXPECT_FALSE(index.UpsertProgram(MakeProgram("p1", "1", "Weaving")));  // late, older
  EXPECT_FALSE(index.UpsertProgram(MakeProgram("p1", "2", "Weaving")));  // same version again
  SearchQuery q;
  q.terms = {"pottery"};
  EXPECT_EQ(index.Search(q, kT0).total, 1);
  index.RemoveProgram("p1");
  EXPECT_FALSE(index.UpsertProgram(MakeProgram("p1", "3", "Pottery")));  // no resurrection
  EXPECT_EQ(index.Search(q, kT0).total, 0);
  EXPECT_EQ(index.program_count(), 0u);
}

TEST(SearchIndex, UpdatedTitleMovesPostings) {
  SearchIndex index;
  index.UpsertProgram(MakeProgram("p1", "1", "Pottery"));
  index.UpsertProgram(MakeProgram("p1", "2", "Weaving"));
  SearchQuery q;
  q.terms = {"pottery"};
  EXPECT_EQ(index.Search(q, kT0).total, 0);
  q.terms = {"weaving"};
  EXPECT_EQ(index.Search(q, kT0).total, 1);
}

TEST(NextAvailabilityChange, IsTheNextBoundaryOrNever) {
  OfferingTimes o{/*start=*/100 * kDay, /*end=*/110 * kDay, /*open=*/50 * kDay,
                  /*close=*/100 * kDay};
  EXPECT_EQ(NextAvailabilityChange(o, 0), 36 * kDay);  // opening soon from open - 14 days
  EXPECT_EQ(NextAvailabilityChange(o, 36 * kDay), 50 * kDay);
  EXPECT_EQ(NextAvailabilityChange(o, 60 * kDay), 100 * kDay);
  EXPECT_EQ(NextAvailabilityChange(o, 100 * kDay), 110 * kDay);
  EXPECT_EQ(NextAvailabilityChange(o, 200 * kDay), INT64_MAX);
  o.cancelled = true;
  EXPECT_EQ(NextAvailabilityChange(o, 0), INT64_MAX);
}

}  // namespace
}  // namespace gnlc::catalog

namespace gnlc::catalog {
namespace {

TEST(SearchIndex, PageIsValidUntilTheNextAvailabilityBoundaryAndGenerationMovesOnWrites) {
  SearchIndex index;
  index.UpsertProgram(MakeProgram("p1", "1", "Pottery"));
  const int64_t open = kT0 + 20 * kDay;
  index.UpsertOffering(
      MakeOffering("p1", "o1", open, open + 5 * kDay, open + 5 * kDay, open + 9 * kDay));
  const uint64_t before = index.generation();
  SearchQuery q;
  q.terms = {"pottery"};
  const SearchPage page = index.Search(q, kT0);
  EXPECT_EQ(page.generation, before);
  EXPECT_EQ(page.valid_until, open - 14 * kDay);                  // when it becomes OPENING_SOON
  EXPECT_EQ(index.Search(q, open).valid_until, open + 5 * kDay);  // when it closes
  index.SetSeatsTaken("o1", 3);
  EXPECT_GT(index.generation(), before);
  SearchQuery other;
  other.terms = {"weaving"};  // evaluates nothing: valid until a write
  EXPECT_EQ(index.Search(other, kT0).valid_until, INT64_MAX);
}

}  // namespace
}  // namespace gnlc::catalog

namespace gnlc::catalog {
namespace {

TEST(SearchIndex, ASearchPastItsDeadlineStopsAndSaysSo) {
  SearchIndex index;
  for (int i = 0; i < 10000; ++i) {
    index.UpsertProgram(MakeProgram(absl::StrCat("p", i), "1", "Pottery"));
  }
  SearchQuery q;
  q.terms = QueryTerms("pottery");
  q.page_size = 10;
  const SearchPage in_time = index.Search(q, 0);
  EXPECT_FALSE(in_time.timed_out);
  EXPECT_EQ(in_time.total, 10000);
  q.deadline = absl::Now() - absl::Seconds(1);
  const SearchPage late = index.Search(q, 0);
  EXPECT_TRUE(late.timed_out);
  EXPECT_TRUE(late.hits.empty());
}

}  // namespace
}  // namespace gnlc::catalog
