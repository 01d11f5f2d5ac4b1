// Learners and their data rights: create, get, update, export, erase.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/names/etag.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/enrollment_validation.h"

namespace gnlc::enrollment {

absl::Status EnrollmentService::DoCreateLearner(const CallAuth& call,
                                                const pb::CreateLearnerRequest& req,
                                                pb::CreateLearnerResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  RETURN_IF_ERROR(ValidateLearner(req.learner(), options_.city));
  std::string subject = req.learner().external_subject();
  if (call.own_only) {
    // A resident registers themself, under their token's subject only.
    if (!subject.empty() && subject != call.caller.subject) {
      return Denied(MakeError(absl::StatusCode::kPermissionDenied, "SUBJECT_MISMATCH",
                              "a resident's learner.external_subject is their token's sub: "
                              "leave it empty or set it to that",
                              {{"field", "learner.external_subject"}}));
    }
    subject = call.caller.subject;
  }
  // The backend the learner came through gets their notifications: the
  // resident token's azp, or what a city admin (an import) names.
  std::string backend =
      call.caller.role == auth::Role::kResident ? call.caller.client : req.learner().backend();
  if (!backend.empty()) RETURN_IF_ERROR(ValidateId("learner.backend", backend));
  const std::string fingerprint = std::to_string(RequestFingerprint(req));
  pb::Learner learner;
  learner.set_external_subject(subject);
  learner.set_district(req.learner().district());
  learner.set_age_band(req.learner().age_band());
  learner.set_backend(backend);
  *learner.mutable_consents() = req.learner().consents();
  *learner.mutable_create_time() = TimestampFromTime(clock_());
  *learner.mutable_update_time() = learner.create_time();
  learner.set_etag("1");
  // A random id collides about never; if it does, draw again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string id = NewId('l');
    learner.set_name(LearnerName(city_, id));
    auto created = store_.CreateLearner(id, learner, req.request_id(), fingerprint);
    if (created.ok() && created->has_value()) {  // a repeated request
      ASSIGN_OR_RETURN(StoredLearner prior, store_.ReadLearner(**created));
      *resp.mutable_learner() = std::move(prior.learner);
      return absl::OkStatus();
    }
    if (created.ok()) {
      *resp.mutable_learner() = std::move(learner);
      return absl::OkStatus();
    }
    // ALREADY_EXISTS without metadata is our id colliding; with metadata it
    // is the caller's external subject, which is theirs to resolve.
    if (!absl::IsAlreadyExists(created.status()) || !ErrorMetadataOf(created.status()).empty()) {
      return created.status();
    }
  }
  return absl::InternalError("could not draw a free learner id");
}

absl::Status EnrollmentService::DoGetLearner(const CallAuth& call, const pb::GetLearnerRequest& req,
                                             pb::GetLearnerResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseLearnerName(req.name(), city_, "name"));
  ASSIGN_OR_RETURN(StoredLearner stored, ReadLearnerFor(call, id));
  *resp.mutable_learner() = std::move(stored.learner);
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoUpdateLearner(const CallAuth& call,
                                                const pb::UpdateLearnerRequest& req,
                                                pb::UpdateLearnerResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseLearnerName(req.learner().name(), city_, "learner.name"));
  ASSIGN_OR_RETURN(StoredLearner stored, ReadLearnerFor(call, id));
  if (!req.etag().empty() && req.etag() != stored.learner.etag()) {
    return Aborted("STALE_ETAG",
                   absl::StrCat("etag \"", req.etag(), "\" is stale (now \"", stored.learner.etag(),
                                "\"): read the learner again and retry"),
                   {{"current_etag", stored.learner.etag()}});
  }
  pb::Learner updated = stored.learner;
  RETURN_IF_ERROR(ApplyLearnerMask(req, updated));
  RETURN_IF_ERROR(ValidateLearner(updated, options_.city));
  ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(updated.etag(), updated.name()));
  updated.set_etag(std::to_string(version + 1));
  *updated.mutable_update_time() = TimestampFromTime(clock_());
  RETURN_IF_ERROR(store_.UpdateLearner(id, stored.blob, updated));
  *resp.mutable_learner() = std::move(updated);
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoExportLearnerData(const CallAuth& call,
                                                    const pb::ExportLearnerDataRequest& req,
                                                    pb::ExportLearnerDataResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseLearnerName(req.name(), city_, "name"));
  ASSIGN_OR_RETURN(StoredLearner stored, ReadLearnerFor(call, id));
  *resp.mutable_learner() = std::move(stored.learner);
  std::string after = "0";
  EnrollmentStore::Page page;
  do {
    ASSIGN_OR_RETURN(page, store_.ListByLearner(id, after, 0, kMaxPageSize));
    for (pb::Enrollment& e : page.enrollments) *resp.add_enrollments() = std::move(e);
    after = page.last_position;
  } while (page.more);
  *resp.mutable_export_time() = TimestampFromTime(clock_());
  return absl::OkStatus();
}

absl::Status EnrollmentService::DoEraseLearner(const CallAuth& call,
                                               const pb::EraseLearnerRequest& req,
                                               pb::EraseLearnerResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParseLearnerName(req.name(), city_, "name"));
  // A resident's erasure of a learner that is not theirs (or no longer
  // exists) is NOT_FOUND; a city admin's of one already erased is a no-op.
  RETURN_IF_ERROR(CheckLearnerAccess(call, id));
  auto stored = store_.ReadLearner(id);
  if (absl::IsNotFound(stored.status())) {
    // Archived (its source id is then refused by any re-import), already
    // erased, or never existed: the script tells.
    ASSIGN_OR_RETURN(bool erased, store_.EraseLearner(id, ""));
    resp.set_erased(erased);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(stored.status());
  ASSIGN_OR_RETURN(bool erased, store_.EraseLearner(id, stored->learner.external_subject()));
  if (erased) RewriteAofSoon();
  resp.set_erased(erased);
  return absl::OkStatus();
}

}  // namespace gnlc::enrollment
