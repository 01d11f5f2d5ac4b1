#include "services/catalog/text_tokenizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gnlc::catalog {
namespace {

// Longest Latin word we index, in bytes; longer ones are cut (no DoS by
// megabyte "words").
constexpr size_t kMaxWordBytes = 40;

struct CodePoint {
  char32_t cp;
  absl::string_view bytes;
};

// Decodes leniently: input was validated at the edge, so a bad byte here is
// just skipped.
std::vector<CodePoint> Decode(absl::string_view s) {
  std::vector<CodePoint> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t n = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xE  ? 3
               : (b0 >> 3) == 0x1E ? 4
                                   : 0;
    if (n == 0 || i + n > s.size()) {
      ++i;
      continue;
    }
    char32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({cp, s.substr(i, n)});
    i += n;
  }
  return out;
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  // Latin letters with accents and other alphabets; not CJK, not punctuation.
  return cp >= 0xC0 && cp < 0x2000 && cp != 0xD7 && cp != 0xF7;
}

enum class Mode { kIndex, kQuery };

std::vector<std::string> Tokenize(absl::string_view text, Mode mode) {
  std::vector<std::string> terms;
  const std::vector<CodePoint> cps = Decode(text);
  size_t i = 0;
  while (i < cps.size()) {
    if (IsCjk(cps[i].cp)) {
      size_t j = i;
      while (j < cps.size() && IsCjk(cps[j].cp)) ++j;
      const size_t run = j - i;
      for (size_t k = i; k + 1 < j; ++k) {
        terms.push_back(absl::StrCat(cps[k].bytes, cps[k + 1].bytes));
      }
      if (mode == Mode::kIndex || run == 1) {
        for (size_t k = i; k < j; ++k) terms.emplace_back(cps[k].bytes);
      }
      i = j;
    } else if (IsWordChar(cps[i].cp)) {
      std::string word;
      for (; i < cps.size() && IsWordChar(cps[i].cp); ++i) {
        if (word.size() + cps[i].bytes.size() > kMaxWordBytes) continue;
        if (cps[i].cp < 0x80) {
          word += static_cast<char>(std::tolower(static_cast<int>(cps[i].cp)));
        } else {
          word.append(cps[i].bytes.data(), cps[i].bytes.size());
        }
      }
      terms.push_back(std::move(word));
    } else {
      ++i;
    }
  }
  return terms;
}

}  // namespace

bool IsCjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2A6DF);
}

std::vector<std::string> IndexTerms(absl::string_view text) { return Tokenize(text, Mode::kIndex); }

std::vector<std::string> QueryTerms(absl::string_view query) {
  std::vector<std::string> terms = Tokenize(query, Mode::kQuery);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace gnlc::catalog
