// Analytics' Redis keys, named in one place (what each holds is listed in
// analytics_store.h). C++ builds them with Key(); the scripts build the same
// strings with k(name, id) from the prefix ScriptKeysLua() gives them
// (common/redis/lua/keys.lua).
//
//   Key("gm")                     // "ana:{0}:gm"
//   Key("n", "2026-11")           // "ana:{0}:n:2026-11"
//   Key("b", "2026-11:part|k3")   // "ana:{0}:b:2026-11:part|k3"
#ifndef GNLC_SERVICES_ANALYTICS_ANALYTICS_KEYS_H_
#define GNLC_SERVICES_ANALYTICS_ANALYTICS_KEYS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gnlc::analytics {

inline constexpr absl::string_view kKeyPrefix = "ana:{0}:";

// The keys with no id the apply script uses, passed to it every time.
inline constexpr absl::string_view kApplySharedKeys[] = {"ln", "lnseq", "bitmaps", "sets",
                                                         "g",  "gm",    "pships",  "progs"};

inline std::string Key(absl::string_view name) { return absl::StrCat(kKeyPrefix, name); }
inline std::string Key(absl::string_view name, absl::string_view id) {
  return absl::StrCat(kKeyPrefix, name, ":", id);
}

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_ANALYTICS_KEYS_H_
