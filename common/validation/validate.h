// Validation of untrusted strings shared by every service: UTF-8, length in
// characters, ids, resource names. Each returns INVALID_ARGUMENT naming the
// field and what to send instead.
//
//   RETURN_IF_ERROR(ValidateText("program.title.zh", title.zh(), 200));
//   ASSIGN_OR_RETURN(auto ids, ParseName(req.name(), {"cities", "programs"},
//                                         "name"));
//   // ids[0] == "nanjing", ids[1] == "p8k2..."
#ifndef GNLC_COMMON_VALIDATION_VALIDATE_H_
#define GNLC_COMMON_VALIDATION_VALIDATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc {

// True for well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool IsValidUtf8(absl::string_view s);
// Code points in valid UTF-8.
size_t Utf8Length(absl::string_view s);

// Valid UTF-8, no control characters except \n and \t, at most `max_chars`
// code points. Empty is allowed (check presence separately).
absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_chars);

// An id segment of a resource name: 1 to 63 of [a-z0-9-], starting with a
// letter or digit.
absl::Status ValidateId(absl::string_view field, absl::string_view value);

// A client-chosen idempotency key: 1 to 64 of [A-Za-z0-9_-]. Empty is
// allowed (no idempotency).
absl::Status ValidateRequestId(absl::string_view field, absl::string_view value);

// Splits "cities/nanjing/programs/p1" against {"cities", "programs"} into
// the ids {"nanjing", "p1"}, validating each.
absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view name, const std::vector<absl::string_view>& collections,
    absl::string_view field);

}  // namespace gnlc

#endif  // GNLC_COMMON_VALIDATION_VALIDATE_H_
