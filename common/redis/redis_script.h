// A Lua script run with EVALSHA, falling back to EVAL (which also caches
// it) when Redis answers NOSCRIPT, e.g. after a restart or a SCRIPT FLUSH.
// A script that only reads says so (kReadOnly): Redis then refuses any
// write it tries (the "no-writes" flag), it runs as EVALSHA_RO, and it
// does not wait for replicas to acknowledge anything (redis.ack_replicas),
// so reads go on while a primary has no replica.
//
//   #include "services/x/lua/put.lua.h"     // the build embeds lua/put.lua
//   static const RedisScript kPut(kPutLua);
//   static const RedisScript kView(kViewLua, RedisScript::kReadOnly);
//   ASSIGN_OR_RETURN(RedisReply r, kPut.Run(pool, {key}, {value}));
#ifndef GNLC_COMMON_REDIS_REDIS_SCRIPT_H_
#define GNLC_COMMON_REDIS_REDIS_SCRIPT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/redis/redis_pool.h"

namespace gnlc {

class RedisScript final {
 public:
  enum Access { kWrites, kReadOnly };
  explicit RedisScript(absl::string_view source, Access access = kWrites);

  [[nodiscard]] absl::StatusOr<RedisReply> Run(RedisPool& pool,
                                               const std::vector<absl::string_view>& keys,
                                               const std::vector<absl::string_view>& args) const;

  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  bool read_only_;
  std::string sha1_;  // hex, as Redis computes it
};

// What a script that builds keys with k() starts with: KEY_PREFIX =
// `prefix` (a service's, e.g. "enr:{0}:") and lua/keys.lua.
std::string ScriptKeysLua(absl::string_view prefix);

}  // namespace gnlc

#endif  // GNLC_COMMON_REDIS_REDIS_SCRIPT_H_
