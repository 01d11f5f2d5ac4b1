#include "common/redis/redis_script.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/redis/lua/keys.lua.h"

namespace gnlc {

RedisScript::RedisScript(absl::string_view source, Access access)
    : source_(absl::StrCat(access == kReadOnly ? "#!lua flags=no-writes\n" : "", source)),
      read_only_(access == kReadOnly) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  sha1_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), SHA_DIGEST_LENGTH));
}

absl::StatusOr<RedisReply> RedisScript::Run(RedisPool& pool,
                                            const std::vector<absl::string_view>& keys,
                                            const std::vector<absl::string_view>& args) const {
  const std::string numkeys = std::to_string(keys.size());
  std::vector<absl::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(read_only_ ? "EVALSHA_RO" : "EVALSHA");
  argv.push_back(sha1_);
  argv.push_back(numkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = pool.Command(argv);
  if (!reply.ok() && absl::StrContains(reply.status().message(), "NOSCRIPT")) {
    argv[0] = read_only_ ? "EVAL_RO" : "EVAL";
    argv[1] = source_;
    reply = pool.Command(argv);
  }
  return reply;
}

std::string ScriptKeysLua(absl::string_view prefix) {
  return absl::StrCat("local KEY_PREFIX = '", prefix, "'\n", kKeysLua);
}

}  // namespace gnlc
