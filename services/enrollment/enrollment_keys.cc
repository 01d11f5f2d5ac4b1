#include "services/enrollment/enrollment_keys.h"

#include "common/events/streams.h"
#include "common/redis/redis_script.h"

namespace gnlc::enrollment {

const std::vector<std::string>& SharedScriptKeys() {
  static const std::vector<std::string>* keys = [] {
    auto* out = new std::vector<std::string>{kEnrollmentStream};
    for (absl::string_view name : kSharedKeys) out->push_back(Key(name));
    return out;
  }();
  return *keys;
}

std::vector<absl::string_view> ScriptKeys(const std::vector<std::string>& extra) {
  const std::vector<std::string>& shared = SharedScriptKeys();
  std::vector<absl::string_view> out(shared.begin(), shared.end());
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<std::string> LearnerKeys(absl::string_view learner_id) {
  std::vector<std::string> out;
  for (absl::string_view name : {"le", "active", "lreq", "lsrc", "lev", "lntf"}) {
    out.push_back(Key(name, learner_id));
  }
  return out;
}

std::vector<std::string> OfferingKeys(absl::string_view offering_id) {
  std::vector<std::string> out;
  for (absl::string_view name : {"off", "seated", "wl", "roster"}) {
    out.push_back(Key(name, offering_id));
  }
  return out;
}

std::string KeysLua() { return ScriptKeysLua(kKeyPrefix); }

}  // namespace gnlc::enrollment
