// A network search over this city's index and a mirror's, with the
// mirror's pages cached: the same answers as without the cache whenever
// the mirror, the other index's statistics, the clock or the request move.
#include "services/catalog/mirror_page_cache.h"

#include <gtest/gtest.h>

#include "services/catalog/network_search.h"
#include "services/catalog/text_tokenizer.h"

namespace gnlc::catalog {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15

Program MakeProgram(const std::string& city, const std::string& id, const std::string& en) {
  Program p;
  p.set_name("cities/" + city + "/programs/" + id);
  p.set_etag("1");
  p.set_kind(gnlc::type::v1::PROGRAM_KIND_WORKSHOP);
  p.mutable_title()->set_en(en);
  p.set_state(v1::PROGRAM_STATE_PUBLISHED);
  return p;
}

SearchQuery Query(const std::string& text) {
  SearchQuery q;
  q.terms = QueryTerms(text);
  q.page_size = 10;
  return q;
}

// The merged page (names, records, relevance) and its total.
std::string Answer(const NetworkPage& page) {
  std::string out = std::to_string(page.page.total) + ":";
  for (const NetworkPage::Hit& h : page.hits) {
    out += h.hit.cursor.name + "=" + h.hit.program + "@" + std::to_string(h.hit.relevance) + " ";
  }
  return out;
}

class MirrorPageCacheTest : public ::testing::Test {
 protected:
  MirrorPageCacheTest() : mirror_(std::make_shared<SearchIndex>()) {
    local_.UpsertProgram(MakeProgram("nanjing", "p1", "Pottery for beginners"));
    mirror_->UpsertProgram(MakeProgram("suzhou", "p2", "Pottery and tea"));
    mirror_->UpsertProgram(MakeProgram("suzhou", "p3", "Tea ceremony"));
  }

  // The same search with the cache and without: equal, and the cached one's.
  std::string Search(const std::string& text, const std::string& key, int64_t now = kNow) {
    const std::vector<OriginIndex> uncached = {{"nanjing", &local_, nullptr, nullptr},
                                               {"suzhou", mirror_.get(), nullptr, nullptr}};
    const std::vector<OriginIndex> cached = {{"nanjing", &local_, nullptr, nullptr},
                                             {"suzhou", mirror_.get(), mirror_, &cache_}};
    const std::string want = Answer(SearchOrigins(uncached, Query(text), now));
    const std::string got = Answer(SearchOrigins(cached, Query(text), now, key));
    EXPECT_EQ(got, want) << text;
    return got;
  }

  SearchIndex local_;
  std::shared_ptr<SearchIndex> mirror_;
  MirrorPageCache cache_{100};
};

TEST_F(MirrorPageCacheTest, ARepeatedSearchReusesTheMirrorsPage) {
  Search("pottery", "k-pottery");
  EXPECT_EQ(cache_.hits(), 0u);
  EXPECT_EQ(cache_.misses(), 1u);
  Search("pottery", "k-pottery");
  Search("pottery", "k-pottery");
  EXPECT_EQ(cache_.hits(), 2u);
  EXPECT_EQ(cache_.misses(), 1u);
}

TEST_F(MirrorPageCacheTest, AChangeOfTheMirrorIsSeenAtOnce) {
  EXPECT_EQ(Search("tea", "k-tea").substr(0, 2), "2:");
  mirror_->UpsertProgram(MakeProgram("suzhou", "p4", "Tea for two"));
  EXPECT_EQ(Search("tea", "k-tea").substr(0, 2), "3:");
  mirror_->RemoveProgram("p2");
  EXPECT_EQ(Search("tea", "k-tea").substr(0, 2), "2:");
  // A change that leaves every count as it was: only the generation tells.
  Program renamed = MakeProgram("suzhou", "p3", "Tea ceremony, renewed");
  renamed.set_etag("2");
  mirror_->UpsertProgram(renamed);
  EXPECT_NE(Search("tea", "k-tea").find("renewed"), std::string::npos);
}

TEST_F(MirrorPageCacheTest, AChangeOfThisCityReweighsTheMirrorsHits) {
  const std::string before = Search("pottery", "k");
  // More local programs with the term: its weight, and so every relevance
  // (the mirror's included), changes; the cached mirror page must not be reused.
  local_.UpsertProgram(MakeProgram("nanjing", "p5", "Pottery wheel"));
  local_.UpsertProgram(MakeProgram("nanjing", "p6", "Pottery glaze"));
  const std::string after = Search("pottery", "k");
  EXPECT_NE(before, after);
}

TEST_F(MirrorPageCacheTest, ANewIndexAtTheSameGenerationIsNotTakenForTheOld) {
  Search("tea", "k");
  // A swapped-in generation: a new index object whose generation counter
  // may equal the old one's. The same counts, too: only its identity tells.
  auto fresh = std::make_shared<SearchIndex>();
  fresh->UpsertProgram(MakeProgram("suzhou", "p9", "Tea garden walk"));
  fresh->UpsertProgram(MakeProgram("suzhou", "p8", "Tea house"));
  ASSERT_EQ(fresh->generation(), mirror_->generation());
  mirror_ = fresh;
  EXPECT_NE(Search("tea", "k").find("suzhou/programs/p9"), std::string::npos);
}

TEST_F(MirrorPageCacheTest, DifferentRequestsDoNotShareAPage) {
  Search("tea", "k-tea");
  EXPECT_EQ(Search("pottery", "k-pottery").substr(0, 2), "2:");
}

TEST(MirrorPageCache, ServesOnlyTheSameIndexAtTheSameGenerationBeforeValidUntil) {
  auto index = std::make_shared<SearchIndex>();
  index->UpsertProgram(MakeProgram("suzhou", "p1", "Tea"));
  const std::shared_ptr<const SearchIndex> shared = index;
  MirrorPageCache cache(10);
  SearchPage page = index->Search(Query("tea"), kNow);
  page.valid_until = kNow + 60;
  cache.Put(shared, "k", page);
  ASSERT_TRUE(cache.Get(shared, "k", kNow).has_value());
  EXPECT_EQ(cache.Get(shared, "k", kNow)->hits.size(), 1u);
  EXPECT_FALSE(cache.Get(shared, "other", kNow).has_value());
  EXPECT_FALSE(cache.Get(shared, "k", kNow + 60).has_value()) << "past valid_until";
  const std::shared_ptr<const SearchIndex> other = std::make_shared<SearchIndex>();
  EXPECT_FALSE(cache.Get(other, "k", kNow).has_value()) << "another index";
  index->UpsertProgram(MakeProgram("suzhou", "p2", "Tea II"));
  EXPECT_FALSE(cache.Get(shared, "k", kNow).has_value()) << "a newer generation";
  SearchPage timed_out;
  timed_out.timed_out = true;
  timed_out.generation = index->generation();
  cache.Put(shared, "t", timed_out);
  EXPECT_FALSE(cache.Get(shared, "t", kNow).has_value()) << "a timed-out search is never kept";
  MirrorPageCache off(0);
  off.Put(shared, "k", index->Search(Query("tea"), kNow));
  EXPECT_FALSE(off.Get(shared, "k", kNow).has_value());
}

}  // namespace
}  // namespace gnlc::catalog
