// Our own protobuf records, read from Redis hash fields under the invariant
// rule (common/status/invariant.h): a record that is absent is the caller's
// NOT_FOUND to word; one that is present but does not parse is a broken
// invariant, never "not found" (corruption must not look like a deletion).
//
//   ASSIGN_OR_RETURN(std::optional<Program> p, ReadStoredRecord<Program>(pool, kPrograms, id));
//   if (!p) return NotFound("PROGRAM_NOT_FOUND", "...");
//
//   ScanHash(pool, kPrograms, [&](absl::string_view id, absl::string_view blob) {
//     Program p;
//     if (ParseStoredRecord(blob, p, kPrograms, id)) index.Add(std::move(p));
//   });
#ifndef GNLC_COMMON_REDIS_STORED_RECORD_H_
#define GNLC_COMMON_REDIS_STORED_RECORD_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/redis/redis_pool.h"
#include "common/status/invariant.h"

namespace gnlc {

// Parses `bytes` (field `id` of `hash`) into `out`; false after reporting a
// broken invariant if it does not parse.
template <typename Record>
bool ParseStoredRecord(absl::string_view bytes, Record& out, absl::string_view hash,
                       absl::string_view id) {
  if (out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
  ReportBrokenInvariant("a stored record does not parse",
                        {{"key", std::string(hash)}, {"field", std::string(id)}});
  return false;
}

// Field `id` of `hash`, parsed; nullopt if absent; INTERNAL if unparseable.
template <typename Record>
absl::StatusOr<std::optional<Record>> ReadStoredRecord(RedisPool& pool, absl::string_view hash,
                                                       absl::string_view id) {
  absl::StatusOr<RedisReply> reply = pool.Command({"HGET", hash, id});
  if (!reply.ok()) return reply.status();
  if (reply->view().is_nil()) return std::nullopt;
  Record record;
  if (!ParseStoredRecord(reply->view().str(), record, hash, id)) {
    return absl::InternalError("internal error: the service logged the cause");
  }
  return record;
}

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_STORED_RECORD_H_
