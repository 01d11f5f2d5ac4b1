// What gnlc does when one of its own invariants breaks, as opposed to bad
// input from the network:
//
//  - Untrusted input (a caller's request, a peer city's feed, an uploaded
//    file) is never an invariant: it gets a status that tells the caller
//    what to fix (INVALID_ARGUMENT, FAILED_PRECONDITION, ...).
//  - Our own data or code broken where the service can go on safely (a
//    stored record that does not parse, a script reply of the wrong shape):
//    BrokenInvariant() logs an error line, counts it in
//    gnlc_broken_invariants_total (alert on any increase) and returns
//    INTERNAL. A read of that record fails; a scan that builds an index or a
//    page leaves the record out, so that one bad record does not take every
//    listing down, and the count says it happened.
//  - Broken where going on could corrupt data, or a programming error found
//    at start-up (a Lua script naming a protobuf field that does not
//    exist): GNLC_CHECK, which logs and aborts. A restarted process starts
//    from Redis, the state of record.
//
//   if (!record.ParseFromString(blob)) {
//     return BrokenInvariant("enrollment record does not parse", {{"enrollment", id}});
//   }
//   GNLC_CHECK(field != nullptr, "no field " + name);
#ifndef GNLC_COMMON_STATUS_INVARIANT_H_
#define GNLC_COMMON_STATUS_INVARIANT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/server/logging.h"

namespace gnlc {

// Logs `what` (and `fields`) at error level, counts it, and returns
// INTERNAL with a message that names no internals.
absl::Status BrokenInvariant(absl::string_view what, absl::Span<const LogField> fields = {});

// The same, for a scan that leaves the broken record out and goes on.
void ReportBrokenInvariant(absl::string_view what, absl::Span<const LogField> fields = {});

// Broken invariants counted since the process started (for /metrics).
int64_t BrokenInvariantCount();

namespace internal_invariant {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              absl::string_view message);
}  // namespace internal_invariant

}  // namespace gnlc

// Aborts with the file, line, condition and `message` when `condition` is
// false. For invariants whose breach would corrupt data if the process went
// on; anything a caller can cause is a status instead.
#define GNLC_CHECK(condition, message)                                                    \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      ::gnlc::internal_invariant::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                                     \
  } while (false)

#endif  // GNLC_COMMON_STATUS_INVARIANT_H_
