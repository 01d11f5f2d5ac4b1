#include "common/redis/redis_acl.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/redis/live_latency.h"

namespace gnlc {
namespace {

// Every command but the dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG, ...),
// and INFO and ROLE (dangerous only for what they tell): memory used against
// the limit is every service's metric, and a client that found its primary
// through Sentinel checks with ROLE that it is one.
constexpr char kCommands[] = "resetkeys resetchannels +@all -@dangerous +info +role";

// What a member of a consumer group does to the stream it consumes, and
// nothing else: its writes (XREADGROUP moves the group's cursor; SETID past
// a trim, stream_retention.h) on that key only, and it reads how far the
// owner trimmed.
std::string ConsumerOf(absl::string_view stream, absl::string_view group) {
  return absl::StrCat(
      "%R~", stream, " %R~", stream, ":trimmed ~", stream, ":applied:", group, ":* (~", stream,
      " -@all +xreadgroup +xack +xautoclaim +xclaim +xpending +xgroup|create +xgroup|setid)");
}

// A follower of another service's stream: reads it and how far it was
// trimmed, and reports its position (stream_retention.h).
std::string FollowerOf(absl::string_view stream) {
  return absl::StrCat("%R~", stream, " %R~", stream, ":trimmed ~", stream, ":readers");
}

// Every service publishes the p99 of its live calls and reads the others'
// (live_latency.h: bulk work yields to any service's callers).
std::string LiveLatencyOf(absl::string_view service) {
  return absl::StrCat("~", LiveLatencyKey(service), " %R~", LiveLatencyKey("*"));
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

const std::vector<std::string>& RedisAclUsers() {
  static const auto* users =
      new std::vector<std::string>{"catalog", "enrollment", "partnership", "analytics", "admin"};
  return *users;
}

std::string RedisAclRules(absl::string_view service) {
  if (service == "catalog") {
    // Its own keys; the enrollment stream for seats taken (followed, and
    // consumed as group "catalog").
    return absl::StrCat(kCommands, " ~cat:* ", LiveLatencyOf(service), " ",
                        FollowerOf(kEnrollmentStream), " ",
                        ConsumerOf(kEnrollmentStream, kCatalogSeatsGroup));
  }
  if (service == "enrollment") {
    // Its own keys; the catalog stream (group "enrollment") for offering
    // facts; the partnership stream (followed) for who delivers what.
    // BGREWRITEAOF (a "dangerous" command) after an erasure, so the erased
    // learner's old writes leave the disk too.
    return absl::StrCat(kCommands, " +bgrewriteaof ~enr:* ", LiveLatencyOf(service), " ",
                        FollowerOf(kPartnershipStream), " ",
                        ConsumerOf(kCatalogStream, "enrollment"));
  }
  if (service == "partnership") {
    return absl::StrCat(kCommands, " ~par:* ", LiveLatencyOf(service));
  }
  if (service == "analytics") {
    // Its own keys; every stream, consumed as group "analytics".
    return absl::StrCat(kCommands, " ~ana:* ", LiveLatencyOf(service), " ",
                        ConsumerOf(kCatalogStream, "analytics"), " ",
                        ConsumerOf(kEnrollmentStream, "analytics"), " ",
                        ConsumerOf(kPartnershipStream, "analytics"));
  }
  return "resetkeys resetchannels +@all ~* &*";  // admin
}

absl::StatusOr<std::string> RedisAclFile(const std::map<std::string, std::string>& passwords) {
  // The default user is locked, not "off": its password is random and
  // forgotten at once, so no client can be it. Redis 7.0 replays the
  // MULTI/EXEC blocks of its AOF (every script's effects) as the default
  // user and re-checks that user's rights at EXEC; with "off" it silently
  // drops them at restart (redis#14541, fixed only in later Redis).
  unsigned char lock[32];
  // A failed draw would lock it with a guessable password: refuse instead.
  if (RAND_bytes(lock, sizeof(lock)) != 1) {
    return absl::InternalError("no randomness for the default user's lock");
  }
  std::string out = absl::StrCat("user default on #",
                                 Sha256Hex(absl::string_view(reinterpret_cast<char*>(lock), 32)),
                                 " resetkeys ~* &* +@all\n");
  for (const auto& [user, password] : passwords) {
    absl::StrAppend(&out, "user ", user, " on #", Sha256Hex(password), " ", RedisAclRules(user),
                    "\n");
  }
  return out;
}

}  // namespace gnlc
