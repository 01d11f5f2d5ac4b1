// Turns Chinese and English text into search terms.
//
// Chinese has no spaces, so a run of CJK characters is indexed as its
// overlapping character pairs (bigrams) plus its single characters:
// 书法入门 -> 书法 法入 入门 书 法 入 门. A query of two or more characters is
// matched by its bigrams (书法 finds 书法入门), a one-character query by the
// character. Latin text is split into lower-cased words of letters and
// digits ("Calligraphy for Beginners" -> calligraphy for beginners).
//
//   std::vector<std::string> terms = IndexTerms("书法入门 Calligraphy");
//   std::vector<std::string> query = QueryTerms("书法");   // {"书法"}
#ifndef GNLC_SERVICES_CATALOG_TEXT_TOKENIZER_H_
#define GNLC_SERVICES_CATALOG_TEXT_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gnlc::catalog {

// Every term `text` should be found by (may repeat).
std::vector<std::string> IndexTerms(absl::string_view text);

// The terms a document must all contain to match `query` (deduplicated).
std::vector<std::string> QueryTerms(absl::string_view query);

// True for code points of the CJK ideograph blocks.
bool IsCjk(char32_t cp);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_TEXT_TOKENIZER_H_
