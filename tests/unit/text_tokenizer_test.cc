#include "services/catalog/text_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gnlc::catalog {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

TEST(IndexTerms, ChineseIsIndexedAsBigramsAndCharacters) {
  EXPECT_THAT(IndexTerms("书法入门"),
              IsSupersetOf({"书法", "法入", "入门", "书", "法", "入", "门"}));
}

TEST(IndexTerms, EnglishIsLowerCasedWords) {
  EXPECT_THAT(IndexTerms("Calligraphy for Beginners!"),
              ElementsAre("calligraphy", "for", "beginners"));
}

TEST(IndexTerms, MixedTextSplitsAtScriptBoundaries) {
  const auto terms = IndexTerms("AI人工智能课程");
  EXPECT_THAT(terms, Contains("ai"));
  EXPECT_THAT(terms, Contains("人工"));
  EXPECT_THAT(terms, Not(Contains("ai人")));
}

TEST(QueryTerms, MultiCharacterChineseQueryUsesBigramsOnly) {
  EXPECT_THAT(QueryTerms("书法"), ElementsAre("书法"));
  EXPECT_THAT(QueryTerms("书法入门"), UnorderedElementsAre("书法", "法入", "入门"));
}

TEST(QueryTerms, SingleChineseCharacterUsesTheCharacter) {
  EXPECT_THAT(QueryTerms("茶"), ElementsAre("茶"));
}

TEST(QueryTerms, DeduplicatesAndDropsPunctuation) {
  EXPECT_THAT(QueryTerms("  Tea, tea; TEA  "), ElementsAre("tea"));
  EXPECT_TRUE(QueryTerms("，。!?").empty());
}

TEST(IndexTerms, VeryLongWordIsCut) {
  const std::string word(10000, 'a');
  const auto terms = IndexTerms(word);
  ASSERT_EQ(terms.size(), 1u);
  EXPECT_LE(terms[0].size(), 40u);
}

}  // namespace
}  // namespace gnlc::catalog
