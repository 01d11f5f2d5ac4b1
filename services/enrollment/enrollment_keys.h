// The enrollment service's Redis keys, named in one place: C++ builds them
// with Key(), and the Lua scripts build the same strings with k(name, id)
// from the prefix KeysLua() gives them (the list of keys and what they hold
// is in enrollment_scripts.h). Every key carries the hash tag {0}, so all of
// them live in one slot.
//
//   Key("learners")        // "enr:{0}:learners"
//   Key("le", "L1")        // "enr:{0}:le:L1"
//
// A script gets in KEYS every key its caller can name: the stream, the
// shared keys (kSharedKeys, the same for every script) and the keys of the
// ids in its request (EnrollmentStore::Run). Keys of ids the script reads
// from a record (the learner of a promoted enrollment, the offerings of an
// erased learner) no caller can know beforehand; lua/prelude.lua lets a
// script build them only from ids it read, and refuses any other key that
// is not in KEYS.
#ifndef GNLC_SERVICES_ENROLLMENT_ENROLLMENT_KEYS_H_
#define GNLC_SERVICES_ENROLLMENT_ENROLLMENT_KEYS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gnlc::enrollment {

inline constexpr absl::string_view kKeyPrefix = "enr:{0}:";

// The keys with no id that scripts use, passed to every script.
inline constexpr absl::string_view kSharedKeys[] = {
    "learners",  "lstat",   "subjects", "enr",       "meta",       "seq",
    "evs",       "evsscan", "src",      "erasedsrc", "archive",    "archived",
    "ntfcursor", "remind",  "remindn",  "reminded",  "remindscan", "events:trimmed"};

inline std::string Key(absl::string_view name) { return absl::StrCat(kKeyPrefix, name); }
inline std::string Key(absl::string_view name, absl::string_view id) {
  return absl::StrCat(kKeyPrefix, name, ":", id);
}

// What a script's KEYS start with: the enrollment stream, then kSharedKeys.
const std::vector<std::string>& SharedScriptKeys();

// A script's KEYS: SharedScriptKeys(), then `extra` (which must outlive
// the views).
std::vector<absl::string_view> ScriptKeys(const std::vector<std::string>& extra = {});

// The keys a learner's id names, and an offering's.
std::vector<std::string> LearnerKeys(absl::string_view learner_id);
std::vector<std::string> OfferingKeys(absl::string_view offering_id);

// The Lua that defines k() and the keys' prefix (common/redis/lua/keys.lua).
std::string KeysLua();

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_ENROLLMENT_KEYS_H_
