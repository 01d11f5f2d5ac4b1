#include "common/status/invariant.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"

namespace gnlc {
namespace {
std::atomic<int64_t> broken{0};
}  // namespace

void ReportBrokenInvariant(absl::string_view what, absl::Span<const LogField> fields) {
  broken.fetch_add(1, std::memory_order_relaxed);
  std::vector<LogField> all = {{"invariant", std::string(what)}};
  all.insert(all.end(), fields.begin(), fields.end());
  LogJson(LogLevel::kError, "broken invariant", all);
}

absl::Status BrokenInvariant(absl::string_view what, absl::Span<const LogField> fields) {
  ReportBrokenInvariant(what, fields);
  return absl::InternalError("internal error: the service logged the cause");
}

int64_t BrokenInvariantCount() { return broken.load(std::memory_order_relaxed); }

namespace internal_invariant {
void CheckFailed(const char* file, int line, const char* condition, absl::string_view message) {
  const std::string where = absl::StrCat(file, ":", line);
  LogJson(LogLevel::kError, "check failed",
          {{"where", where}, {"condition", condition}, {"detail", std::string(message)}});
  // Also to stderr, unbuffered: stdout may not be flushed before the abort.
  std::fprintf(stderr, "GNLC_CHECK failed at %s: %s (%.*s)\n", where.c_str(), condition,
               static_cast<int>(message.size()), message.data());
  std::abort();
}
}  // namespace internal_invariant

}  // namespace gnlc
