// The enrollment service's Lua scripts: each write is one script that checks
// what must hold (a free seat, one active enrollment per learner and
// offering, a fresh idempotency key), changes the records and appends its
// events, so a seat, its enrollment and their events exist together or not
// at all. Scripts that decide inside Redis who changes (a promotion from the
// waitlist, the cancellation of a cancelled offering's enrollments) build
// the changed record and its event with the protobuf writer of proto_lua.h.
//
// Keys (all in hash slot {0}):
//   enr:{0}:learners       HASH learner id -> Learner
//   enr:{0}:lstat          HASH learner id -> statistics fields of events
//                               (district, age band only with consent)
//   enr:{0}:subjects       HASH external subject -> learner id
//   enr:{0}:enr            HASH enrollment id -> Enrollment (no position)
//   enr:{0}:meta           HASH enrollment id -> "{state} {learner} {offering}"
//   enr:{0}:lev:{learner}  ZSET the learner's enrollment events still in
//                               the stream, by time (for erasure); expires
//                               after the stream's retention
//   enr:{0}:evs            HASH enrollment id -> its stream entry ids, as
//                               earlier versions kept them (swept away once
//                               the stream no longer holds them)
//   enr:{0}:evsscan        STRING the sweep's HSCAN cursor
//   enr:{0}:le:{learner}   ZSET the learner's enrollment ids by sequence
//   enr:{0}:active:{learner} HASH offering id -> active enrollment id
//   enr:{0}:lreq:{learner} ZSET idempotency keys that name the learner, by
//                               when they expire (ms); expires with the last
//   enr:{0}:off:{offering} HASH offering facts from the catalog, plus
//                               completed (count) and seatver
//   enr:{0}:prog:{program} HASH program facts: ver, state, kind
//   enr:{0}:seated:{offering} SET confirmed enrollment ids
//   enr:{0}:wl:{offering}  ZSET waitlisted ids by sequence (FIFO)
//   enr:{0}:roster:{offering} ZSET enrollment ids by sequence
//   enr:{0}:req:{e|l}:{id} HASH fingerprint and original response, 24 h
//   enr:{0}:seq            STRING enrollment sequence
//   enr:{0}:events         STREAM the enrollment events
// Imports of history (import_scripts.cc):
//   enr:{0}:src            HASH "l:{source id}" or "e:{source id}" ->
//                               "{learner or enrollment id} {fingerprint}"
//   enr:{0}:lsrc:{learner} SET  the learner's fields in enr:{0}:src
//   enr:{0}:erasedsrc      SET  SHA-1 of erased learners' source ids
// Notifications (notification_scripts.cc):
//   enr:{0}:ntf:{backend}  STREAM a mobile backend's notifications, field
//                               "n" = Notification (no cursor), trimmed to
//                               the retention
//   enr:{0}:ntftrim:{backend} STRING the newest id trimmed from it
//   enr:{0}:ntfcursor      STRING the last event id translated
//   enr:{0}:lntf:{learner} STRING "{backend} {id} " per notification about
//                               the learner still in its stream (for
//                               erasure); expires with the newest
//   enr:{0}:remind         ZSET confirmed enrollment ids by reminder due (ms)
//   enr:{0}:remindn        HASH enrollment id -> "{backend} {Notification}"
//                               of a scheduled reminder
//   enr:{0}:reminded       ZSET enrollment ids whose reminder went out, by
//                               the offering's start (ms); forgotten then
//   enr:{0}:remindscan     STRING HSCAN cursor converting old "sent" values
//                               of remindn
#ifndef GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SCRIPTS_H_
#define GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SCRIPTS_H_

#include "absl/strings/string_view.h"
#include "common/redis/redis_script.h"

namespace gnlc::enrollment {

// Every script takes KEYS[1] = the enrollment stream and ARGV[1..3] = city,
// now (unix ms), the stream's retention (ms); the rest is documented at
// each script.
const RedisScript& CreateLearnerScript();
// ARGV: 4 the stream's trim point. Sweeps part of the old evs hash.
const RedisScript& SweepOldEventIdsScript();
const RedisScript& UpdateLearnerScript();
const RedisScript& EnrollScript();
const RedisScript& CancelScript();
const RedisScript& RewriteScript();
const RedisScript& PutOfferingFactsScript();
const RedisScript& PutProgramFactsScript();
const RedisScript& ViewScript();
const RedisScript& ListScript();
const RedisScript& SeatsScript();
const RedisScript& EraseLearnerScript();
const RedisScript& StatisticsPageScript();
const RedisScript& RepublishSeatsScript();
const RedisScript& ArchiveCandidatesScript();
const RedisScript& StageArchiveScript();

// import_scripts.cc: see EnrollmentStore::ImportLearners.
const RedisScript& ImportLearnersScript();
const RedisScript& ImportEnrollmentsScript();

// notification_scripts.cc: see notification_translator.h.
const RedisScript& CommitNotificationsScript();
const RedisScript& DueRemindersScript();

// A script of `body` after the shared prelude (key names, record states,
// the event writers).
const RedisScript* MakeEnrollmentScript(absl::string_view body,
                                        RedisScript::Access access = RedisScript::kWrites);

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SCRIPTS_H_
