#include "common/auth/jwks_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/logging.h"

namespace gnlc::auth {

absl::StatusOr<KeySet> KeySet::Parse(absl::string_view json) {
  const auto j = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    return absl::InvalidArgumentError("JWKS: expected {\"keys\": [...]}");
  }
  if (j["keys"].size() > 64) return absl::InvalidArgumentError("JWKS: more than 64 keys");
  KeySet set;
  for (const auto& k : j["keys"]) {
    auto key = ParsePublicJwk(k.dump());
    if (!key.ok()) return key.status();
    const std::string kid = key->kid;
    if (!set.keys_.emplace(kid, std::move(*key)).second) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS: kid ", kid, " appears twice"));
    }
  }
  return set;
}

const PublicJwk* KeySet::Find(absl::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

JwksFile::JwksFile(std::string path, absl::Duration check_every)
    : path_(std::move(path)), check_every_(check_every), keys_(std::make_shared<KeySet>()) {
  MaybeReload();
}

std::shared_ptr<const KeySet> JwksFile::Keys() const {
  MaybeReload();
  absl::MutexLock lock(&mu_);
  return keys_;
}

void JwksFile::MaybeReload() const {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (now < next_check_) return;
    next_check_ = now + check_every_;
  }
  const std::optional<FileStamp> stamp = StampOf(path_);
  if (!stamp) {
    LogJson(LogLevel::kError, "jwks unreadable", {{"file", path_}});
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (*stamp == seen_) return;
  }
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = KeySet::Parse(text.str());
  if (!parsed.ok()) {
    LogJson(LogLevel::kError, "jwks rejected, keeping the previous keys",
            {{"file", path_}, {"error", std::string(parsed.status().message())}});
    return;
  }
  auto keys = std::make_shared<const KeySet>(std::move(*parsed));
  absl::MutexLock lock(&mu_);
  seen_ = *stamp;
  keys_ = std::move(keys);
  LogJson(LogLevel::kInfo, "jwks loaded",
          {{"file", path_}, {"keys", std::to_string(keys_->size())}});
}

}  // namespace gnlc::auth
