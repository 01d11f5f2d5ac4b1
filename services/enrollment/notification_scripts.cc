// The scripts that turn translated notifications into entries of each
// backend's stream, and due reminders into notifications. Both run in every
// replica; atomicity makes each notification happen once.
#include "services/enrollment/enrollment_scripts.h"
#include "services/enrollment/lua/commit_notifications.lua.h"
#include "services/enrollment/lua/due_reminders.lua.h"
#include "services/enrollment/lua/notify.lua.h"

namespace gnlc::enrollment {
const RedisScript& CommitNotificationsScript() {
  static const RedisScript* script =
      MakeEnrollmentScript(absl::StrCat(kNotifyLua, kCommitNotificationsLua));
  return *script;
}

const RedisScript& DueRemindersScript() {
  static const RedisScript* script =
      MakeEnrollmentScript(absl::StrCat(kNotifyLua, kDueRemindersLua));
  return *script;
}

}  // namespace gnlc::enrollment
