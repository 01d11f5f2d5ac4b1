// A JWKS file of one token issuer, re-read when it changes on disk, so a
// city rotates its identity provider's keys without restarting gnlc.
//
//   JwksFile jwks("/etc/gnlc/secrets/auth/jwks.json", absl::Seconds(1));
//   std::shared_ptr<const KeySet> keys = jwks.Keys();
//   if (const PublicJwk* key = keys->Find(kid)) ...
//
// The file's modification time and size are looked at most once per
// `check_every`; a file that no longer parses keeps the keys it had (and is
// logged), so a half-written file never locks every caller out.
#ifndef GNLC_COMMON_AUTH_JWKS_FILE_H_
#define GNLC_COMMON_AUTH_JWKS_FILE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/file_stamp.h"
#include "common/auth/jws.h"

namespace gnlc::auth {

class KeySet final {
 public:
  // {"keys": [JWK, ...]}; at most 64 keys, kids unique.
  static absl::StatusOr<KeySet> Parse(absl::string_view json);
  const PublicJwk* Find(absl::string_view kid) const;
  size_t size() const { return keys_.size(); }

 private:
  absl::flat_hash_map<std::string, PublicJwk> keys_;
};

class JwksFile final {
 public:
  JwksFile(std::string path, absl::Duration check_every);

  // The current keys (empty when the file was never readable).
  std::shared_ptr<const KeySet> Keys() const;

 private:
  void MaybeReload() const;

  const std::string path_;
  const absl::Duration check_every_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable FileStamp seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_JWKS_FILE_H_
