// UTF-8 and text validation, and the catalog's tokenizer, on arbitrary bytes.
// Oracles: our UTF-8 check agrees with protobuf's; a valid text is indexed
// under every term a query of the same text looks for (a program is always
// found by its own title).
#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "common/validation/validate.h"
#include "services/catalog/text_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool ours = gnlc::IsValidUtf8(text);
  const bool theirs =
      google::protobuf::internal::IsStructurallyValidUTF8(text.data(), static_cast<int>(size));
  if (ours != theirs) std::abort();
  (void)gnlc::ValidateText("field", text, 200);
  if (!ours) return 0;
  if (gnlc::Utf8Length(text) > size) std::abort();
  const std::vector<std::string> indexed = gnlc::catalog::IndexTerms(text);
  const std::set<std::string> index(indexed.begin(), indexed.end());
  for (const std::string& term : gnlc::catalog::QueryTerms(text)) {
    if (!index.contains(term)) std::abort();
  }
  return 0;
}
