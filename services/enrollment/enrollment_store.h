// Learners, enrollments, seats and the catalog facts they depend on, in
// Redis. Each write is one script of enrollment_scripts.h: the check, the
// change and its events are one atomic step. Errors carry the reason an app
// can show (see the service proto).
//
//   EnrollmentStore store(&pool, "nanjing", clock);
//   ASSIGN_OR_RETURN(auto result, store.Enroll(request));
#ifndef GNLC_SERVICES_ENROLLMENT_ENROLLMENT_STORE_H_
#define GNLC_SERVICES_ENROLLMENT_ENROLLMENT_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/events/stream_retention.h"
#include "common/redis/redis_pool.h"
#include "common/redis/redis_script.h"
#include "gnlc/catalog/v1/offering.pb.h"
#include "gnlc/catalog/v1/program.pb.h"
#include "gnlc/enrollment/v1/enrollment.pb.h"
#include "gnlc/events/v1/events.pb.h"

namespace gnlc::enrollment {

namespace pb = gnlc::enrollment::v1;

// What enrollment needs to know about a catalog offering.
struct OfferingFacts {
  std::string offering_id;
  std::string name;
  std::string program_id;
  int64_t version = 0;                   // the catalog's etag
  int32_t capacity = -1;                 // -1: unlimited
  int64_t open = 0, close = 0, end = 0;  // unix seconds
  bool cancelled = false;
  int32_t waitlist_limit = -1;  // -1: no limit
  int32_t modality = 0;
  std::string cancel_reason;  // serialized LocalizedText
  int64_t start = 0;          // unix seconds
  std::string venue_name;     // serialized LocalizedText
  std::string venue_address;
};
OfferingFacts FactsOf(const gnlc::catalog::v1::Offering& offering, absl::string_view offering_id,
                      absl::string_view program_id);

struct ProgramFacts {
  std::string program_id;
  int64_t version = 0;
  int32_t state = 0;  // gnlc.catalog.v1.ProgramState
  int32_t kind = 0;   // gnlc.type.v1.ProgramKind
};
// `deleted`: the program was archived (its version moved one past `program`).
ProgramFacts FactsOf(const gnlc::catalog::v1::Program& program, absl::string_view program_id,
                     bool deleted);

// The statistics fields every event of this learner carries: district and
// age band only with the learner's consent (EnrollmentChanged fields 3, 4, 7).
std::string StatisticsFields(const pb::Learner& learner);

// A stored enrollment: the exact stored bytes (for compare-and-set) and the
// parsed record with its current waitlist position.
struct StoredEnrollment {
  std::string blob;
  pb::Enrollment enrollment;
};

struct StoredLearner {
  std::string blob;
  pb::Learner learner;
};

class EnrollmentStore final {
 public:
  using Clock = std::function<absl::Time()>;
  // `stream_retention`: the longest the enrollment stream keeps an entry
  // (stream_retention.h), how long a learner's index of their events lives.
  EnrollmentStore(RedisPool* pool, std::string city, Clock clock,
                  absl::Duration stream_retention = StreamRetention().max_age);

  // Drops what earlier versions remembered of events the stream no longer
  // holds (below `trimmed`): a few hundred enrollments per call, resuming
  // where the last call stopped.
  absl::Status SweepOldEventIds(absl::string_view trimmed);
  // One page of every enrollment as analytics counts it (EnrollmentChanged,
  // IMPORTED), or of every learner's id, from HSCAN
  // `cursor` ("0" to begin), about `count` items; the next cursor is "0"
  // after the last page.
  struct StatisticsPage {
    std::vector<gnlc::events::v1::EnrollmentChanged> records;
    std::vector<std::string> learners;
    std::string next_cursor;
  };
  // `set`: "enr" (the records), "learners" or "archived" (their ids).
  absl::StatusOr<StatisticsPage> ReadStatisticsPage(absl::string_view cursor, int count,
                                                    absl::string_view set);
  // archive_store.cc: a learner whose every enrollment is cancelled or
  // completed, as stored, with the source ids they were imported with.
  struct ArchiveCandidate {
    std::string learner_id;
    pb::Learner learner;
    std::string learner_source;  // "" if not imported
    std::string digest;          // of the records as read
    struct Item {
      std::string id;
      pb::Enrollment enrollment;
      std::string source;
    };
    std::vector<Item> enrollments;
  };
  struct ArchivePage {
    std::vector<ArchiveCandidate> candidates;
    std::string next_cursor;  // "0": the last page
  };
  // About `count` learners from HSCAN `cursor` ("0" to begin).
  absl::StatusOr<ArchivePage> ArchiveCandidates(absl::string_view cursor, int count);
  // Takes the candidate out (false if its records changed since they were
  // read), keeping `rows` until ConfirmArchived and `learner_source` for a
  // later erasure.
  absl::StatusOr<bool> StageArchive(const ArchiveCandidate& candidate, absl::string_view rows,
                                    absl::string_view learner_source);
  // Up to about `count` staged rows not yet confirmed.
  absl::StatusOr<std::vector<std::string>> StagedArchive(int count);
  absl::Status ConfirmArchived(const std::vector<std::string>& learner_ids);

  // Publishes every offering's seats again (SeatsChanged), a few hundred
  // offerings per script.
  absl::Status RepublishSeats();
  // ARGV[3] of every script.
  const std::string& retention_ms() const { return retention_ms_; }

  // Stores a new learner. If `request_id` was seen within 24 h, returns the
  // learner id created then (INVALID_ARGUMENT if the request differed).
  // ALREADY_EXISTS if the external subject belongs to another learner.
  absl::StatusOr<std::optional<std::string>> CreateLearner(absl::string_view learner_id,
                                                           const pb::Learner& learner,
                                                           absl::string_view request_id,
                                                           absl::string_view fingerprint);
  absl::StatusOr<StoredLearner> ReadLearner(absl::string_view learner_id);
  // Several learners in one round trip; nullopt for one that does not exist.
  absl::StatusOr<std::vector<std::optional<pb::Learner>>> ReadLearners(
      const std::vector<std::string>& learner_ids);
  // The NOT_FOUND a missing learner or enrollment gets, for callers that
  // must answer the same for one they may not see.
  absl::Status LearnerNotFound(absl::string_view learner_id) const;
  absl::Status EnrollmentNotFound(absl::string_view enrollment_id) const;
  // Replaces the learner if it is still `expected_blob`; ABORTED otherwise.
  absl::Status UpdateLearner(absl::string_view learner_id, absl::string_view expected_blob,
                             const pb::Learner& learner);

  // Enrolls: `confirmed` and `waitlisted` are the record for either outcome.
  // Returns the response (the original one for a repeated request id), or
  // nullopt when the offering's facts are not known yet: fetch them from the
  // catalog, PutOfferingFacts, and call again.
  absl::StatusOr<std::optional<pb::Enrollment>> Enroll(
      absl::string_view learner_id, absl::string_view offering_id, absl::string_view offering_name,
      absl::string_view enrollment_id, absl::string_view request_id, absl::string_view fingerprint,
      const pb::Enrollment& confirmed, const pb::Enrollment& waitlisted);
  // Cancels a confirmed or waitlisted enrollment and promotes from the
  // waitlist in the same step. FAILED_PRECONDITION if not active.
  // `actor`: "learner" (the resident) or "city" (staff), for notifications.
  absl::StatusOr<pb::Enrollment> Cancel(absl::string_view enrollment_id,
                                        const gnlc::type::v1::LocalizedText& reason,
                                        absl::string_view actor);
  // Replaces an enrollment read as `expected_blob` (ABORTED if it changed)
  // and publishes `change`. `completing` moves it from CONFIRMED to
  // COMPLETED, keeping its seat counted.
  absl::Status Rewrite(absl::string_view enrollment_id, absl::string_view expected_blob,
                       const pb::Enrollment& updated, int change, bool completing);

  // NOT_FOUND if absent.
  absl::StatusOr<StoredEnrollment> ReadEnrollment(absl::string_view enrollment_id);

  struct Page {
    std::vector<pb::Enrollment> enrollments;
    // Instead of `enrollments` when listed `encoded`: each record's bytes
    // with its waitlist position, as serializing it would give.
    std::vector<std::string> encoded;
    std::string last_position;  // resume after this
    bool more = false;
  };
  // A learner's (`learner_id`) or an offering's (`offering_id`) enrollments
  // in creation order after `after` ("0": from the start), state 0 = any.
  // ListByLearner is NOT_FOUND for a learner who does not exist (erased).
  absl::StatusOr<Page> ListByLearner(absl::string_view learner_id, absl::string_view after,
                                     int state, int limit, bool encoded = false);
  absl::StatusOr<Page> ListByOffering(absl::string_view offering_id, absl::string_view after,
                                      int state, int limit, bool encoded = false);

  // Seats as counted here; nullopt if the offering's facts are unknown.
  absl::StatusOr<std::optional<pb::OfferingSeats>> ReadSeats(absl::string_view offering_id,
                                                             absl::string_view offering_name);
  // The stored facts, nullopt if unknown.
  absl::StatusOr<std::optional<OfferingFacts>> ReadOfferingFacts(absl::string_view offering_id);
  absl::StatusOr<std::optional<ProgramFacts>> ReadProgramFacts(absl::string_view program_id);

  // Stores catalog facts if newer than the stored ones. A cancelled offering
  // cancels its enrollments; a capacity change promotes from the waitlist.
  absl::Status PutOfferingFacts(const OfferingFacts& facts);
  absl::Status PutProgramFacts(const ProgramFacts& facts);

  // --- Imports of history (history_import_store.cc) ---
  // Each source field's mapping ("l:{source id}" of a learner, "e:{...}" of
  // an enrollment): "{id} {fingerprint}", or "" if never imported.
  absl::StatusOr<std::vector<std::string>> ReadSourceMappings(
      const std::vector<std::string>& fields);
  struct LearnerWrite {
    std::string source_id, learner_id;
    std::string expected;  // the mapping read before ("" for a new row)
    pb::Learner learner;
    std::string fingerprint;
    std::string old_subject;  // the stored learner's external subject
  };
  // Stores the learners and their mappings; per row IMPORTED, UPDATED,
  // ERASED, CONFLICT or SUBJECT_TAKEN (ImportLearnersScript).
  absl::StatusOr<std::vector<std::string>> ImportLearners(absl::Span<const LearnerWrite> rows);
  struct EnrollmentWrite {
    std::string source_id, enrollment_id, expected, learner_id, offering_id;
    pb::Enrollment record;  // with name and learner
    std::string fingerprint;
    bool restored = false;  // from an archive: its event says so
  };
  // Stores the enrollments, their places and their IMPORTED events; per row
  // the outcome of ImportEnrollmentsScript ("IMPORTED", "FULL 20", ...).
  absl::StatusOr<std::vector<std::string>> ImportEnrollments(
      absl::Span<const EnrollmentWrite> rows);
  // The most entries of the event stream that one of its readers (consumer
  // groups) has not read yet; 0 if unknown.
  absl::StatusOr<int64_t> StreamBacklog();

  // Erases the learner and everything linked to them. False if already gone.
  absl::StatusOr<bool> EraseLearner(absl::string_view learner_id,
                                    absl::string_view external_subject);

 private:
  // Runs an enrollment script: KEYS are ScriptKeys(keys) (enrollment_keys.h),
  // ARGV the city, now and the retention, then `args`.
  absl::StatusOr<RedisReply> Run(const RedisScript& script, std::vector<absl::string_view> args,
                                 const std::vector<std::string>& keys = {});
  // `learner_id`: NOT_FOUND unless this learner exists ("": no check).
  // `encoded`: fill page.encoded rather than page.enrollments.
  absl::StatusOr<Page> List(const std::string& index, absl::string_view after, int state, int limit,
                            absl::string_view learner_id, bool encoded);

  RedisPool* pool_;
  const std::string city_;
  Clock clock_;
  const std::string retention_ms_;
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_ENROLLMENT_STORE_H_
