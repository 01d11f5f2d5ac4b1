#include "common/redis/redis_script.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace gnlc {

RedisScript::RedisScript(std::string source, Access access)
    : source_(access == kReadOnly ? "#!lua flags=no-writes\n" + source : std::move(source)),
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

}  // namespace gnlc
