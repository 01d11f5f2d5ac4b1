// Finds where a serialized protobuf message breaks proto3's UTF-8 rule, so
// that a request protobuf refused to parse can be answered with the field
// to fix ("program.title.zh") rather than only "malformed".
//
//   if (!req.ParseFromString(bytes)) {
//     std::string field = FindInvalidUtf8Field(*Req::descriptor(), bytes);
//     // "" when the bytes are broken in some other way
//   }
//
// The bytes are untrusted: the walk is bounded in depth, reads nothing past
// the buffer and never allocates more than the field path.
#ifndef GNLC_COMMON_VALIDATION_WIRE_UTF8_H_
#define GNLC_COMMON_VALIDATION_WIRE_UTF8_H_

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/strings/string_view.h"

namespace gnlc {

// The dotted path of the first `string` field of `type` (nested messages and
// map entries included) whose value in `bytes` is not valid UTF-8, or ""
// when there is none or the bytes stop making sense before one is found.
std::string FindInvalidUtf8Field(const google::protobuf::Descriptor& type, absl::string_view bytes);

}  // namespace gnlc

#endif  // GNLC_COMMON_VALIDATION_WIRE_UTF8_H_
