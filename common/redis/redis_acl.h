// The Redis user of each gnlc service: the one place its rights are written
// down. Each service may touch only its own keys and may only read the
// streams of the others that it follows; consuming a stream as a group
// member (XREADGROUP, XACK, ...) is the one kind of write it may do to
// another service's key, and only to that stream (a Redis 7 selector).
//
//   gnlcctl dev-pki writes, per city, redis/users.acl (for redis-server
//   --aclfile) and redis/{service}.password; services read theirs through
//   the config's redis.user and redis.password_file.
//
// The docs/operations/security.md ("Redis users") shows the lines.
#ifndef GNLC_COMMON_REDIS_REDIS_ACL_H_
#define GNLC_COMMON_REDIS_REDIS_ACL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gnlc {

// The ACL rules (after "user NAME on #HASH") of `service`'s user: "catalog",
// "enrollment", "partnership", "analytics", or "admin" (an operator's user
// with every right, for redis-cli and the tests' own checks).
std::string RedisAclRules(absl::string_view service);

// The users with their own Redis user: the four services and "admin".
const std::vector<std::string>& RedisAclUsers();

// A users.acl file: the default user locked (see the .cc for why not
// "off"), then one line per user of
// `passwords` (user -> password), each password stored as its SHA-256.
absl::StatusOr<std::string> RedisAclFile(const std::map<std::string, std::string>& passwords);

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_ACL_H_
