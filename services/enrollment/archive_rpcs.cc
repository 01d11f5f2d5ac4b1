// ArchiveHistory and ConfirmArchive: learners whose every record is older
// than the archive date leave Redis as the import rows that bring them back
// (gnlcctl archive writes them to the CSV files gnlcctl import reads).
// Taken out and kept as rows until the caller confirms it stored them, so
// an interrupted archive loses nothing: the next call returns them again.
#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/paging/page_token.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/enrollment/enrollment_service.h"

namespace gnlc::enrollment {
namespace {

using google::protobuf::Timestamp;

void Later(absl::Time& latest, const Timestamp& t) {
  latest = std::max(latest, TimeFromTimestamp(t));
}

// The newest time anything of the learner's records carries.
absl::Time LastChange(const EnrollmentStore::ArchiveCandidate& c) {
  absl::Time latest = TimeFromTimestamp(c.learner.create_time());
  Later(latest, c.learner.update_time());
  for (const auto& item : c.enrollments) {
    const pb::Enrollment& e = item.enrollment;
    Later(latest, e.update_time());
    for (const auto& t : e.history()) Later(latest, t.time());
    if (e.has_feedback()) Later(latest, e.feedback().submit_time());
    if (e.has_employment()) Later(latest, e.employment().record_time());
  }
  return latest;
}

// The row ImportHistory turns back into `e` (a cancelled or completed
// enrollment): its arrival, seat, cancellation or completion, outcome and
// feedback.
pb::EnrollmentImport ImportRowOf(const pb::Enrollment& e, std::string source_id,
                                 std::string learner_source_id) {
  pb::EnrollmentImport row;
  row.set_source_id(std::move(source_id));
  row.set_learner_source_id(std::move(learner_source_id));
  row.set_offering(e.offering());
  row.set_state(e.state());
  bool seated = false;
  for (const pb::EnrollmentTransition& t : e.history()) {
    if (t.from_state() == pb::ENROLLMENT_STATE_UNSPECIFIED) {
      *row.mutable_enroll_time() = t.time();
      seated = seated || t.to_state() == pb::ENROLLMENT_STATE_CONFIRMED;
    } else if (t.from_state() == pb::ENROLLMENT_STATE_WAITLISTED &&
               t.to_state() == pb::ENROLLMENT_STATE_CONFIRMED) {
      *row.mutable_seat_time() = t.time();
      seated = true;
    }
    if (t.to_state() == pb::ENROLLMENT_STATE_CANCELLED) *row.mutable_cancel_time() = t.time();
  }
  if (e.state() == pb::ENROLLMENT_STATE_CANCELLED) {
    if (!seated) row.set_never_seated(true);
    if (e.has_cancel_reason()) *row.mutable_cancel_reason() = e.cancel_reason();
  }
  if (e.has_completion()) *row.mutable_completion() = e.completion();
  if (e.has_employment()) *row.mutable_employment() = e.employment();
  if (e.has_feedback()) *row.mutable_feedback() = e.feedback();
  row.set_restored(true);
  return row;
}

pb::ArchivedLearner ArchivedOf(const EnrollmentStore::ArchiveCandidate& c, absl::string_view city) {
  pb::ArchivedLearner a;
  a.set_name(LearnerName(city, c.learner_id));
  pb::LearnerImport& l = *a.mutable_learner();
  l.set_source_id(c.learner_source.empty() ? absl::StrCat("gnlc-", c.learner_id)
                                           : c.learner_source);
  pb::Learner& learner = *l.mutable_learner();
  learner.set_external_subject(c.learner.external_subject());
  learner.set_district(c.learner.district());
  learner.set_age_band(c.learner.age_band());
  *learner.mutable_consents() = c.learner.consents();
  learner.set_backend(c.learner.backend());
  *l.mutable_create_time() = c.learner.create_time();
  for (const auto& item : c.enrollments) {
    *a.add_enrollments() = ImportRowOf(
        item.enrollment, item.source.empty() ? absl::StrCat("gnlc-", item.id) : item.source,
        l.source_id());
  }
  return a;
}

// Page positions: "s{cursor}" scanning the learners, "c" every learner
// examined, staged rows still to confirm.
constexpr char kScanning = 's';
constexpr char kConfirming = 'c';

}  // namespace

absl::Status EnrollmentService::DoArchiveHistory(const CallAuth& call,
                                                 const pb::ArchiveHistoryRequest& req,
                                                 pb::ArchiveHistoryResponse& resp,
                                                 absl::Time deadline) {
  (void)call;      // city admins only (the permission table)
  BulkScope bulk;  // its Redis commands are not a resident's
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (!req.has_archive_before()) {
    return InvalidArgument("INVALID_FIELD", "archive_before is required",
                           {{"field", "archive_before"}});
  }
  const absl::Time before = TimeFromTimestamp(req.archive_before());
  if (before > clock_()) {
    return InvalidArgument("INVALID_FIELD", "archive_before must not be in the future",
                           {{"field", "archive_before"}});
  }
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size(), 100, kMaxPageSize));
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  if (position.empty()) position = "s0";
  if (position[0] != kScanning && position[0] != kConfirming) {
    return InvalidArgument("PAGE_TOKEN_INVALID", "page_token is not a token of this list");
  }
  std::string next(1, kConfirming);
  if (position[0] == kScanning) {
    ASSIGN_OR_RETURN(EnrollmentStore::ArchivePage page,
                     store_.ArchiveCandidates(position.substr(1), page_size));
    // One learner a script; paced like an import (bulk_).
    RETURN_IF_ERROR(bulk_.ForEachChunk(
        "archive", page.candidates.size(), deadline, [&](size_t begin, size_t end) {
          for (size_t i = begin; i < end; ++i) {
            const auto& candidate = page.candidates[i];
            if (LastChange(candidate) >= before) continue;
            const pb::ArchivedLearner archived = ArchivedOf(candidate, city_);
            ASSIGN_OR_RETURN(bool taken,
                             store_.StageArchive(candidate, archived.SerializeAsString(),
                                                 archived.learner().source_id()));
            if (taken) resp.set_examined(resp.examined() + 1);
          }
          return absl::OkStatus();
        }));
    if (page.next_cursor != "0") next = absl::StrCat(std::string(1, kScanning), page.next_cursor);
  }
  ASSIGN_OR_RETURN(std::vector<std::string> staged, store_.StagedArchive(page_size));
  for (const std::string& bytes : staged) {
    if (!resp.add_learners()->ParseFromString(bytes)) {
      return absl::InternalError("archived rows do not parse");
    }
  }
  if (next[0] == kScanning || !staged.empty()) {
    resp.set_next_page_token(tokens_.Encode(fingerprint, next));
  }
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoConfirmArchive(const CallAuth& call,
                                                 const pb::ConfirmArchiveRequest& req,
                                                 pb::ConfirmArchiveResponse& resp) {
  (void)call;
  (void)resp;
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (req.names_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_FIELD", "at most 500 names per call", {{"field", "names"}});
  }
  std::vector<std::string> ids;
  for (const std::string& name : req.names()) {
    ASSIGN_OR_RETURN(std::string id, ParseLearnerName(name, city_, "names"));
    ids.push_back(std::move(id));
  }
  return store_.ConfirmArchived(ids);
}

}  // namespace gnlc::enrollment
