// The scripts of EnrollmentService.ImportHistory: each applies a batch of
// rows the service validated and built, checking in Redis only what can
// change between the service's read and the write (the source mapping, a
// subject's owner, seats). One result per row.
#include "services/enrollment/enrollment_scripts.h"
#include "services/enrollment/lua/import_enrollments.lua.h"
#include "services/enrollment/lua/import_learners.lua.h"

namespace gnlc::enrollment {

const RedisScript& ImportLearnersScript() {
  static const RedisScript* script = MakeEnrollmentScript(kImportLearnersLua);
  return *script;
}

const RedisScript& ImportEnrollmentsScript() {
  static const RedisScript* script = MakeEnrollmentScript(kImportEnrollmentsLua);
  return *script;
}

}  // namespace gnlc::enrollment
