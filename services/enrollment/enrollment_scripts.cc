#include "services/enrollment/enrollment_scripts.h"

#include "absl/strings/str_cat.h"
#include "common/events/proto_fields_lua.h"
#include "gnlc/enrollment/v1/enrollment.pb.h"
#include "gnlc/events/v1/events.pb.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/lua/archive_candidates.lua.h"
#include "services/enrollment/lua/cancel.lua.h"
#include "services/enrollment/lua/create_learner.lua.h"
#include "services/enrollment/lua/enroll.lua.h"
#include "services/enrollment/lua/erase_learner.lua.h"
#include "services/enrollment/lua/list.lua.h"
#include "services/enrollment/lua/prelude.lua.h"
#include "services/enrollment/lua/put_offering_facts.lua.h"
#include "services/enrollment/lua/put_program_facts.lua.h"
#include "services/enrollment/lua/republish_seats.lua.h"
#include "services/enrollment/lua/rewrite.lua.h"
#include "services/enrollment/lua/seats.lua.h"
#include "services/enrollment/lua/stage_archive.lua.h"
#include "services/enrollment/lua/statistics_page.lua.h"
#include "services/enrollment/lua/sweep_old_event_ids.lua.h"
#include "services/enrollment/lua/update_learner.lua.h"
#include "services/enrollment/lua/view.lua.h"

namespace gnlc::enrollment {
namespace {

// The field and enum numbers the scripts write, from the compiled
// descriptors (lua/prelude.lua names them; see proto_fields_lua.h).
std::string ProtoConstantsLua() {
  namespace ev = gnlc::events::v1;
  namespace en = gnlc::enrollment::v1;
  return absl::StrCat(
      ProtoLuaPrelude(),
      ProtoFieldsLua(*ev::Event::descriptor(),
                     {"type", "city", "time", "resource", "enrollment_changed", "seats_changed",
                      "learner_erased", "offering_rescheduled"}),
      ProtoFieldsLua(
          *ev::EnrollmentChanged::descriptor(),
          {"change", "enrollment", "program_kind", "modality", "actor", "previous", "restored"}),
      ProtoFieldsLua(*en::Enrollment::descriptor(),
                     {"state", "waitlist_position", "history", "cancel_reason", "update_time"}),
      ProtoFieldsLua(*en::EnrollmentTransition::descriptor(),
                     {"from_state", "to_state", "time", "reason"}),
      ProtoFieldsLua(*en::OfferingSeats::descriptor(),
                     {"offering", "capacity", "taken", "free", "waitlist_length"}),
      ProtoFieldsLua(*ev::SeatsChanged::descriptor(), {"seats", "version"}),
      ProtoFieldsLua(
          *ev::OfferingRescheduled::descriptor(),
          {"offering", "start_time", "previous_start_time", "venue_name", "venue_address"}),
      ProtoFieldsLua(*ev::LearnerErased::descriptor(), {"learner"}),
      ProtoEnumLua(*en::EnrollmentState_descriptor(),
                   {"ENROLLMENT_STATE_CONFIRMED", "ENROLLMENT_STATE_WAITLISTED",
                    "ENROLLMENT_STATE_CANCELLED", "ENROLLMENT_STATE_COMPLETED"}),
      ProtoEnumLua(*ev::EnrollmentChange_descriptor(),
                   {"ENROLLMENT_CHANGE_ENROLLED", "ENROLLMENT_CHANGE_WAITLISTED",
                    "ENROLLMENT_CHANGE_PROMOTED", "ENROLLMENT_CHANGE_CANCELLED",
                    "ENROLLMENT_CHANGE_IMPORTED"}));
}

}  // namespace

const RedisScript* MakeEnrollmentScript(absl::string_view body, RedisScript::Access access) {
  static const std::string* prelude =
      new std::string(absl::StrCat(ProtoConstantsLua(), KeysLua(), kPreludeLua));
  return new RedisScript(absl::StrCat(*prelude, body), access);
}

namespace {
const RedisScript* Make(absl::string_view body) { return MakeEnrollmentScript(body); }
// A script that only reads (RedisScript::kReadOnly).
const RedisScript* MakeReader(absl::string_view body) {
  return MakeEnrollmentScript(body, RedisScript::kReadOnly);
}
}  // namespace

const RedisScript& CreateLearnerScript() {
  static const RedisScript* script = Make(kCreateLearnerLua);
  return *script;
}

const RedisScript& UpdateLearnerScript() {
  static const RedisScript* script = Make(kUpdateLearnerLua);
  return *script;
}

const RedisScript& EnrollScript() {
  static const RedisScript* script = Make(kEnrollLua);
  return *script;
}

const RedisScript& CancelScript() {
  static const RedisScript* script = Make(kCancelLua);
  return *script;
}

const RedisScript& RewriteScript() {
  static const RedisScript* script = Make(kRewriteLua);
  return *script;
}

const RedisScript& PutOfferingFactsScript() {
  static const RedisScript* script = Make(kPutOfferingFactsLua);
  return *script;
}

const RedisScript& PutProgramFactsScript() {
  static const RedisScript* script = Make(kPutProgramFactsLua);
  return *script;
}

const RedisScript& ViewScript() {
  static const RedisScript* script = MakeReader(kViewLua);
  return *script;
}

const RedisScript& ListScript() {
  static const RedisScript* script = MakeReader(kListLua);
  return *script;
}

const RedisScript& SeatsScript() {
  static const RedisScript* script = MakeReader(kSeatsLua);
  return *script;
}

const RedisScript& SweepOldEventIdsScript() {
  static const RedisScript* script = Make(kSweepOldEventIdsLua);
  return *script;
}

const RedisScript& RepublishSeatsScript() {
  static const RedisScript* script = Make(kRepublishSeatsLua);
  return *script;
}

const RedisScript& StatisticsPageScript() {
  static const RedisScript* script = MakeReader(kStatisticsPageLua);
  return *script;
}

const RedisScript& ArchiveCandidatesScript() {
  static const RedisScript* script = MakeReader(kArchiveCandidatesLua);
  return *script;
}

const RedisScript& StageArchiveScript() {
  static const RedisScript* script = Make(kStageArchiveLua);
  return *script;
}

const RedisScript& EraseLearnerScript() {
  static const RedisScript* script = Make(kEraseLearnerLua);
  return *script;
}

}  // namespace gnlc::enrollment
