// EnrollmentService.ImportHistory: a city's past learners and enrollments,
// validated like live requests, idempotent by the source's ids. Per batch:
// one read of the source mappings, then the learners' and the enrollments'
// scripts (again for rows whose offering was not known yet), each in chunks
// that hold Redis for about 5 ms, paced by residents' calls (bulk_).
#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/importing/import_rows.h"
#include "common/names/etag.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/history_records.h"

namespace gnlc::enrollment {
namespace {

namespace tpb = gnlc::type::v1;

constexpr int kMaxImportRows = 1000;
// Past this many unread events in the enrollment stream (a reader such as
// analytics is behind), an import waits: the stream keeps 1,000,000
// entries, and an import must never push out events not yet read. The
// 200,000 left are the city's live changes during the import (hours of
// them at a busy city's rate). GNLC_IMPORT_MAX_BACKLOG changes it.
int64_t MaxBacklog() {
  const char* value = std::getenv("GNLC_IMPORT_MAX_BACKLOG");
  int64_t n = 0;
  if (value == nullptr || !absl::SimpleAtoi(value, &n) || n < 0) return 800000;
  return n;
}

// The enrollment script's refusal of a row, as the file's owner reads it.
tpb::RejectedRecord ScriptRejection(const pb::EnrollmentImport& row, absl::string_view outcome,
                                    absl::string_view city) {
  const std::vector<absl::string_view> parts = absl::StrSplit(outcome, absl::MaxSplits(' ', 1));
  const absl::string_view code = parts[0];
  const absl::string_view arg = parts.size() > 1 ? parts[1] : "";
  const auto reject = [&](absl::string_view field, absl::string_view reason) {
    return Rejection(row.row(), row.source_id(), field, reason);
  };
  if (code == "NO_LEARNER") {
    return reject("learner_source_id", "the learner was erased at their request");
  }
  if (code == "NO_OFFERING") return reject("offering", "is not an offering of the catalog");
  if (code == "NOT_SKILLS") {
    return reject("enrollment.employment",
                  "employment outcomes are recorded for skills-training programs only");
  }
  if (code == "MOVED") {
    return reject("offering",
                  "a re-imported enrollment keeps its learner and offering; give the moved "
                  "enrollment a new source_id");
  }
  if (code == "ACTIVE_EXISTS") {
    return reject("offering", absl::StrCat("the learner already holds or waits for a seat in this "
                                           "offering (cities/",
                                           city, "/enrollments/", arg, ")"));
  }
  if (code == "FULL") {
    return reject("state", absl::StrCat("the offering has not ended and its ", arg,
                                        " seats are taken: import the row as WAITLISTED, or raise "
                                        "the offering's capacity first"));
  }
  if (code == "WAITLIST_FULL") {
    return reject("state", absl::StrCat("the offering's waitlist is full (", arg, ")"));
  }
  return reject("source_id", "was changed by another import at the same time: import it again");
}

}  // namespace

absl::Status EnrollmentService::DoImportHistory(const CallAuth& call,
                                                const pb::ImportHistoryRequest& req,
                                                pb::ImportHistoryResponse& resp,
                                                absl::Time deadline) {
  (void)call;      // city admins only (the permission table)
  BulkScope bulk;  // its Redis commands are not a resident's
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (req.learners_size() > kMaxImportRows || req.enrollments_size() > kMaxImportRows) {
    return InvalidArgument("TOO_MANY_ROWS",
                           absl::StrCat("send at most ", kMaxImportRows,
                                        " learners and as many enrollments per request"),
                           {{"field", "enrollments"}});
  }
  ASSIGN_OR_RETURN(const int64_t backlog, store_.StreamBacklog());
  if (backlog > MaxBacklog()) {
    return WithRetryDelay(
        Unavailable("IMPORT_BACKLOG",
                    absl::StrCat(backlog,
                                 " events are not yet read by analytics or the catalog: "
                                 "retry when they have caught up")),
        absl::Seconds(2));
  }
  const absl::Time now = clock_();
  // Decoding, validating and encoding thousands of rows is CPU that
  // residents' calls need more: done on the bulk threads, at their lower
  // priority (common/server/bulk_priority.h), while this one waits. (No
  // call's LiveScope there: their Redis commands never count as live.)
  return RunAndWait(bulk_threads_, [&] {
    RETURN_IF_ERROR(ImportLearners(req, now, deadline, *resp.mutable_learners()));
    return ImportEnrollments(req, now, deadline, *resp.mutable_enrollments());
  });
}

template <typename Write>
absl::StatusOr<std::vector<std::string>> EnrollmentService::PacedImport(
    absl::string_view job, const std::vector<Write>& writes, absl::Time deadline,
    absl::StatusOr<std::vector<std::string>> (EnrollmentStore::*import)(absl::Span<const Write>)) {
  std::vector<std::string> outcomes;
  outcomes.reserve(writes.size());
  RETURN_IF_ERROR(bulk_.ForEachChunk(job, writes.size(), deadline, [&](size_t begin, size_t end) {
    ASSIGN_OR_RETURN(std::vector<std::string> part,
                     (store_.*import)(absl::MakeConstSpan(writes).subspan(begin, end - begin)));
    for (std::string& o : part) outcomes.push_back(std::move(o));
    return absl::OkStatus();
  }));
  return outcomes;
}

absl::Status EnrollmentService::ImportLearners(const pb::ImportHistoryRequest& req, absl::Time now,
                                               absl::Time deadline,
                                               gnlc::type::v1::ImportResult& out) {
  std::vector<ImportRow> results(req.learners_size());
  std::vector<int> valid;
  std::vector<pb::Learner> built(req.learners_size());
  std::vector<std::string> fields;
  SourceIdsSeen seen;
  for (int i = 0; i < req.learners_size(); ++i) {
    const pb::LearnerImport& row = req.learners(i);
    auto learner = BuildImportedLearner(row, options_.city, now);
    if (!learner.ok()) {
      results[i].rejection = Rejection(row.row(), row.source_id(), learner.status());
      continue;
    }
    if (seen.Repeated(row.source_id(), row.row(), results[i].rejection)) continue;
    built[i] = std::move(*learner);
    valid.push_back(i);
    fields.push_back("l:" + row.source_id());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> mappings, store_.ReadSourceMappings(fields));
  // Rows imported before with other content: read what they replace.
  std::vector<std::string> changed_ids;
  std::vector<EnrollmentStore::LearnerWrite> writes;
  std::vector<int> write_rows;
  for (size_t v = 0; v < valid.size(); ++v) {
    const pb::LearnerImport& row = req.learners(valid[v]);
    pb::LearnerImport content = row;
    content.clear_row();
    EnrollmentStore::LearnerWrite w;
    w.source_id = row.source_id();
    w.expected = mappings[v];
    w.fingerprint = ImportFingerprint(content);
    w.learner = std::move(built[valid[v]]);
    const auto [id, fingerprint] = SplitSourceMapping(mappings[v]);
    if (!id.empty() && fingerprint == w.fingerprint) {
      results[valid[v]].record = AcceptedRow(row.row(), row.source_id(), LearnerName(city_, id),
                                             tpb::IMPORT_OUTCOME_UNCHANGED);
      continue;
    }
    w.learner_id = id.empty() ? NewId('l') : id;
    if (!id.empty()) changed_ids.push_back(id);
    writes.push_back(std::move(w));
    write_rows.push_back(valid[v]);
  }
  ASSIGN_OR_RETURN(auto stored, store_.ReadLearners(changed_ids));
  size_t next_changed = 0;
  for (size_t j = 0; j < writes.size(); ++j) {
    EnrollmentStore::LearnerWrite& w = writes[j];
    pb::Learner& l = w.learner;
    l.set_name(LearnerName(city_, w.learner_id));
    l.set_etag("1");
    if (w.expected.empty()) continue;
    const std::optional<pb::Learner>& prior = stored[next_changed++];
    if (!prior.has_value()) continue;  // erased meanwhile: the script says so
    ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(prior->etag(), prior->name()));
    l.set_etag(std::to_string(version + 1));
    // A correction without a registration time keeps the one stored.
    if (!req.learners(write_rows[j]).has_create_time()) {
      *l.mutable_create_time() = prior->create_time();
    }
    w.old_subject = prior->external_subject();
  }
  ASSIGN_OR_RETURN(
      std::vector<std::string> outcomes,
      PacedImport("import-learners", writes, deadline, &EnrollmentStore::ImportLearners));
  for (size_t j = 0; j < writes.size(); ++j) {
    const pb::LearnerImport& row = req.learners(write_rows[j]);
    ImportRow& r = results[write_rows[j]];
    if (outcomes[j] == "IMPORTED" || outcomes[j] == "UPDATED") {
      r.record = AcceptedRow(
          row.row(), row.source_id(), writes[j].learner.name(),
          outcomes[j] == "IMPORTED" ? tpb::IMPORT_OUTCOME_IMPORTED : tpb::IMPORT_OUTCOME_UPDATED);
    } else if (outcomes[j] == "ERASED") {
      r.rejection =
          Rejection(row.row(), row.source_id(), "source_id",
                    "this learner was erased at their request: remove them from the source");
    } else if (outcomes[j] == "SUBJECT_TAKEN") {
      r.rejection = Rejection(row.row(), row.source_id(), "learner.external_subject",
                              "is already registered to another learner");
    } else {
      r.rejection = Rejection(row.row(), row.source_id(), "source_id",
                              "was changed by another import at the same time: import it again");
    }
  }
  Summarize(results, out);
  return absl::OkStatus();
}

absl::Status EnrollmentService::ImportEnrollments(const pb::ImportHistoryRequest& req,
                                                  absl::Time now, absl::Time deadline,
                                                  gnlc::type::v1::ImportResult& out) {
  const int n = req.enrollments_size();
  std::vector<ImportRow> results(n);
  std::vector<int> valid;
  std::vector<pb::Enrollment> built(n);
  std::vector<OfferingRef> offerings(n);
  std::vector<std::string> fields;
  SourceIdsSeen seen;
  for (int i = 0; i < n; ++i) {
    const pb::EnrollmentImport& row = req.enrollments(i);
    auto record = BuildImportedEnrollment(row, now);
    absl::StatusOr<OfferingRef> ref =
        record.ok() ? ParseOfferingName(row.offering(), city_, "offering") : record.status();
    if (!ref.ok()) {
      results[i].rejection = Rejection(row.row(), row.source_id(), ref.status());
      continue;
    }
    if (seen.Repeated(row.source_id(), row.row(), results[i].rejection)) continue;
    built[i] = std::move(*record);
    offerings[i] = *ref;
    valid.push_back(i);
    fields.push_back("e:" + row.source_id());
    fields.push_back("l:" + row.learner_source_id());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> mappings, store_.ReadSourceMappings(fields));
  std::vector<EnrollmentStore::EnrollmentWrite> writes;
  std::vector<int> write_rows;
  for (size_t v = 0; v < valid.size(); ++v) {
    const int i = valid[v];
    const pb::EnrollmentImport& row = req.enrollments(i);
    const auto [learner_id, unused] = SplitSourceMapping(mappings[2 * v + 1]);
    if (learner_id.empty()) {
      results[i].rejection =
          Rejection(row.row(), row.source_id(), "learner_source_id",
                    absl::StrCat("no learner was imported with source id '",
                                 row.learner_source_id(), "': import the learners first"));
      continue;
    }
    pb::EnrollmentImport content = row;
    content.clear_row();
    EnrollmentStore::EnrollmentWrite w;
    w.source_id = row.source_id();
    w.expected = mappings[2 * v];
    w.fingerprint = ImportFingerprint(content);
    const auto [id, fingerprint] = SplitSourceMapping(w.expected);
    w.enrollment_id = id.empty() ? NewId('e') : id;
    if (!id.empty() && fingerprint == w.fingerprint) {
      results[i].record = AcceptedRow(row.row(), row.source_id(), EnrollmentName(city_, id),
                                      tpb::IMPORT_OUTCOME_UNCHANGED);
      continue;
    }
    w.learner_id = learner_id;
    w.offering_id = offerings[i].offering_id;
    w.restored = row.restored();
    w.record = std::move(built[i]);
    w.record.set_name(EnrollmentName(city_, w.enrollment_id));
    w.record.set_learner(LearnerName(city_, learner_id));
    writes.push_back(std::move(w));
    write_rows.push_back(i);
  }
  // Two passes: rows whose offering was not known yet are retried once its
  // facts are fetched from the catalog.
  for (int pass = 0; pass < 2 && !writes.empty(); ++pass) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> outcomes,
        PacedImport("import-enrollments", writes, deadline, &EnrollmentStore::ImportEnrollments));
    std::vector<EnrollmentStore::EnrollmentWrite> retry;
    std::vector<int> retry_rows;
    std::set<std::string> learned;
    for (size_t j = 0; j < writes.size(); ++j) {
      const int i = write_rows[j];
      const pb::EnrollmentImport& row = req.enrollments(i);
      if (outcomes[j] == "IMPORTED" || outcomes[j] == "UPDATED") {
        results[i].record = AcceptedRow(
            row.row(), row.source_id(), writes[j].record.name(),
            outcomes[j] == "IMPORTED" ? tpb::IMPORT_OUTCOME_IMPORTED : tpb::IMPORT_OUTCOME_UPDATED);
        continue;
      }
      if (outcomes[j] != "NO_FACTS" || pass == 1) {
        results[i].rejection = outcomes[j] == "NO_FACTS"
                                   ? Rejection(row.row(), row.source_id(), "offering",
                                               "is not an offering of the catalog")
                                   : ScriptRejection(row, outcomes[j], city_);
        continue;
      }
      if (learned.insert(writes[j].offering_id).second) {
        const absl::Status s = LearnOffering(offerings[i], deadline);
        if (!s.ok() && !absl::IsNotFound(s)) return s;
      }
      retry.push_back(std::move(writes[j]));
      retry_rows.push_back(i);
    }
    writes = std::move(retry);
    write_rows = std::move(retry_rows);
  }
  Summarize(results, out);
  return absl::OkStatus();
}

}  // namespace gnlc::enrollment
