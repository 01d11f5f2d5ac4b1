// CatalogService.ImportCatalogHistory: a city's past programs and offerings,
// validated like live writes, idempotent by the source's ids. Each record
// is written through the same store calls as CreateProgram/CreateOffering
// (or the updates), with its events at the record's own create_time.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hash/fnv1a.h"
#include "common/importing/import_rows.h"
#include "common/names/etag.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_validation.h"
#include "services/catalog/catalog_views.h"

namespace gnlc::catalog {
namespace {

namespace tpb = gnlc::type::v1;

constexpr int kMaxImportRows = 500;

// The create's idempotency key: an import stopped between creating a
// record and storing its source mapping creates nothing twice when run
// again (within the 24 h the key lives).
std::string ImportRequestId(char kind, absl::string_view source_id) {
  return absl::StrFormat("import-%c-%016x", kind, Fnv1a64(source_id));
}

// A source system's time: after 2000 and not in the future; unset = now.
absl::StatusOr<absl::Time> CreateTimeOf(const google::protobuf::Timestamp& t, bool set,
                                        absl::Time now) {
  if (!set) return now;
  const absl::Time when = TimeFromTimestamp(t);
  if (t.seconds() < 946684800 || when > now || t.nanos() < 0 || t.nanos() > 999999999) {
    return InvalidArgument("INVALID_FIELD",
                           "create_time must be a time after 2000-01-01, not in the future",
                           {{"field", "create_time"}});
  }
  return when;
}

}  // namespace

absl::Status CatalogService::DoImportCatalogHistory(const pb::ImportCatalogHistoryRequest& req,
                                                    pb::ImportCatalogHistoryResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (req.programs_size() > kMaxImportRows || req.offerings_size() > kMaxImportRows) {
    return InvalidArgument("TOO_MANY_ROWS",
                           absl::StrCat("send at most ", kMaxImportRows,
                                        " programs and as many offerings per request"),
                           {{"field", "offerings"}});
  }
  const absl::Time now = clock_();
  // Validating and indexing rows is CPU residents' searches need more: done
  // on a bulk thread, at its lower priority, while this one waits. (No
  // call's LiveScope there: its Redis commands never count as live.)
  return RunAndWait(bulk_threads_, [&] {
    RETURN_IF_ERROR(ImportPrograms(req, now, *resp.mutable_programs()));
    return ImportOfferings(req, now, *resp.mutable_offerings());
  });
}

absl::Status CatalogService::ImportPrograms(const pb::ImportCatalogHistoryRequest& req,
                                            absl::Time now, tpb::ImportResult& out) {
  std::vector<ImportRow> rows(req.programs_size());
  std::vector<int> valid;
  std::vector<std::string> fields;
  std::vector<Program> built(req.programs_size());
  SourceIdsSeen seen;
  for (int i = 0; i < req.programs_size(); ++i) {
    const pb::ProgramImport& row = req.programs(i);
    absl::Status s = ValidateSourceId("source_id", row.source_id());
    if (s.ok()) {
      Program& p = built[i] = row.program();
      ClearProgramOutputs(p);
      if (p.state() == pb::PROGRAM_STATE_UNSPECIFIED) p.set_state(pb::PROGRAM_STATE_DRAFT);
      s = ValidateProgram(p, options_.city);
    }
    if (s.ok()) s = CreateTimeOf(row.create_time(), row.has_create_time(), now).status();
    if (!s.ok()) {
      rows[i].rejection = Rejection(row.row(), row.source_id(), s);
      continue;
    }
    if (seen.Repeated(row.source_id(), row.row(), rows[i].rejection)) continue;
    valid.push_back(i);
    fields.push_back("p:" + row.source_id());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> mappings, store_.ReadSourceMappings(fields));
  for (size_t v = 0; v < valid.size(); ++v) {
    const pb::ProgramImport& row = req.programs(valid[v]);
    pb::ProgramImport content = row;
    content.clear_row();
    const std::string fingerprint = ImportFingerprint(content);
    auto [id, stored_fingerprint] = SplitSourceMapping(mappings[v]);
    tpb::ImportOutcome outcome = tpb::IMPORT_OUTCOME_UNCHANGED;
    if (id.empty() || stored_fingerprint != fingerprint) {
      Program& p = built[valid[v]];
      const absl::Time created = *CreateTimeOf(row.create_time(), row.has_create_time(), now);
      *p.mutable_create_time() = TimestampFromTime(created);
      p.set_origin_city(city_);
      auto written = id.empty() ? ImportNewProgram(p, row.source_id(), created)
                                : ImportChangedProgram(p, id, now);
      if (!written.ok()) {
        if (!absl::IsNotFound(written.status())) return written.status();
        rows[valid[v]].rejection =
            Rejection(row.row(), row.source_id(), "source_id",
                      "its program was deleted from the catalog; give it a new source_id");
        continue;
      }
      outcome = id.empty() ? tpb::IMPORT_OUTCOME_IMPORTED : tpb::IMPORT_OUTCOME_UPDATED;
      id = *written;
      RETURN_IF_ERROR(
          store_.PutSourceMapping("p:" + row.source_id(), absl::StrCat(id, " ", fingerprint)));
    }
    rows[valid[v]].record =
        AcceptedRow(row.row(), row.source_id(), ProgramName(city_, id), outcome);
  }
  UpdateIndexGauges();
  Summarize(rows, out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CatalogService::ImportNewProgram(Program& p,
                                                             absl::string_view source_id,
                                                             absl::Time created) {
  *p.mutable_update_time() = p.create_time();
  p.set_etag("1");
  const std::string id = NewId('p');
  p.set_name(ProgramName(city_, id));
  Event event = NewEvent(city_, p.name(), created);
  *event.mutable_program_upserted()->mutable_program() = p;
  event.mutable_program_upserted()->set_created(true);
  ASSIGN_OR_RETURN(auto prior, store_.CreateProgram(p, id, ImportRequestId('p', source_id), event));
  if (!prior.has_value()) {
    index_.UpsertProgram(p);
    return id;
  }
  ASSIGN_OR_RETURN(std::string first_id, ParseProgramName(*prior, city_, "name"));
  ASSIGN_OR_RETURN(Program first, store_.ReadProgram(first_id));
  index_.UpsertProgram(first);
  return first_id;
}

absl::StatusOr<std::string> CatalogService::ImportChangedProgram(Program& p, const std::string& id,
                                                                 absl::Time now) {
  ASSIGN_OR_RETURN(Program stored, store_.ReadProgram(id));
  ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
  p.set_name(stored.name());
  p.set_etag(std::to_string(version + 1));
  *p.mutable_update_time() = TimestampFromTime(now);
  Event event = NewEvent(city_, p.name(), now);
  *event.mutable_program_upserted()->mutable_program() = p;
  RETURN_IF_ERROR(store_.UpdateProgram(p, id, version, event));
  index_.UpsertProgram(p);
  return id;
}

absl::Status CatalogService::ImportOfferings(const pb::ImportCatalogHistoryRequest& req,
                                             absl::Time now, tpb::ImportResult& out) {
  std::vector<ImportRow> rows(req.offerings_size());
  std::vector<int> valid;
  std::vector<std::string> fields;
  std::vector<Offering> built(req.offerings_size());
  SourceIdsSeen seen;
  for (int i = 0; i < req.offerings_size(); ++i) {
    const pb::OfferingImport& row = req.offerings(i);
    absl::Status s = ValidateSourceId("source_id", row.source_id());
    if (s.ok()) s = ValidateSourceId("program_source_id", row.program_source_id());
    auto created = CreateTimeOf(row.create_time(), row.has_create_time(), now);
    if (s.ok()) s = created.status();
    if (s.ok()) {
      Offering o = row.offering();
      ClearOfferingOutputs(o);
      s = ValidateOffering(o, options_.city, *created);
      o.set_state(row.cancelled() ? pb::OFFERING_STATE_CANCELLED : pb::OFFERING_STATE_SCHEDULED);
      if (row.cancelled()) *o.mutable_cancel_reason() = row.offering().cancel_reason();
      *o.mutable_create_time() = TimestampFromTime(*created);
      built[i] = std::move(o);
    }
    if (!s.ok()) {
      rows[i].rejection = Rejection(row.row(), row.source_id(), s);
      continue;
    }
    if (seen.Repeated(row.source_id(), row.row(), rows[i].rejection)) continue;
    valid.push_back(i);
    fields.push_back("o:" + row.source_id());
    fields.push_back("p:" + row.program_source_id());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> mappings, store_.ReadSourceMappings(fields));
  for (size_t v = 0; v < valid.size(); ++v) {
    const pb::OfferingImport& row = req.offerings(valid[v]);
    const std::string program_id = SplitSourceMapping(mappings[2 * v + 1]).first;
    if (program_id.empty()) {
      rows[valid[v]].rejection =
          Rejection(row.row(), row.source_id(), "program_source_id",
                    absl::StrCat("no program was imported with source id '",
                                 row.program_source_id(), "': import the programs first"));
      continue;
    }
    pb::OfferingImport content = row;
    content.clear_row();
    const std::string fingerprint = ImportFingerprint(content);
    auto [id, stored_fingerprint] = SplitSourceMapping(mappings[2 * v]);
    tpb::ImportOutcome outcome = tpb::IMPORT_OUTCOME_UNCHANGED;
    Offering& o = built[valid[v]];
    if (id.empty() || stored_fingerprint != fingerprint) {
      auto written = id.empty() ? ImportNewOffering(o, program_id, row.source_id())
                                : ImportChangedOffering(o, id, now);
      if (!written.ok()) {
        if (!absl::IsNotFound(written.status())) return written.status();
        rows[valid[v]].rejection = Rejection(
            row.row(), row.source_id(), "program_source_id",
            "the offering or its program was deleted from the catalog; import it again under a "
            "new source_id");
        continue;
      }
      outcome = id.empty() ? tpb::IMPORT_OUTCOME_IMPORTED : tpb::IMPORT_OUTCOME_UPDATED;
      id = *written;
      RETURN_IF_ERROR(
          store_.PutSourceMapping("o:" + row.source_id(), absl::StrCat(id, " ", fingerprint)));
    }
    std::string name = o.name();  // as written (a new or corrected row)
    if (outcome == tpb::IMPORT_OUTCOME_UNCHANGED) {
      // Its program may have been corrected since: the stored name says.
      ASSIGN_OR_RETURN(Offering stored, store_.ReadOffering(id));
      name = stored.name();
    }
    rows[valid[v]].record = AcceptedRow(row.row(), row.source_id(), std::move(name), outcome);
  }
  UpdateIndexGauges();
  Summarize(rows, out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CatalogService::ImportNewOffering(Offering& o,
                                                              const std::string& program_id,
                                                              absl::string_view source_id) {
  *o.mutable_update_time() = o.create_time();
  o.set_etag("1");
  const std::string id = NewId('o');
  o.set_name(OfferingName(city_, program_id, id));
  Event event = NewEvent(city_, o.name(), TimeFromTimestamp(o.create_time()));
  *event.mutable_offering_upserted()->mutable_offering() = o;
  event.mutable_offering_upserted()->set_created(true);
  event.mutable_offering_upserted()->set_cancelled(o.state() == pb::OFFERING_STATE_CANCELLED);
  ASSIGN_OR_RETURN(
      auto prior, store_.CreateOffering(o, program_id, id, ImportRequestId('o', source_id), event));
  if (!prior.has_value()) {
    index_.UpsertOffering(o);
    return id;
  }
  ASSIGN_OR_RETURN(OfferingRef first, ParseOfferingName(*prior, city_, "name"));
  ASSIGN_OR_RETURN(o, store_.ReadOffering(first.offering_id));
  index_.UpsertOffering(o);
  return first.offering_id;
}

absl::StatusOr<std::string> CatalogService::ImportChangedOffering(Offering& o,
                                                                  const std::string& id,
                                                                  absl::Time now) {
  ASSIGN_OR_RETURN(Offering stored, store_.ReadOffering(id));
  ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
  o.set_name(stored.name());
  o.set_etag(std::to_string(version + 1));
  *o.mutable_update_time() = TimestampFromTime(now);
  Event event = NewEvent(city_, o.name(), now);
  *event.mutable_offering_upserted()->mutable_offering() = o;
  event.mutable_offering_upserted()->set_cancelled(o.state() == pb::OFFERING_STATE_CANCELLED &&
                                                   stored.state() != pb::OFFERING_STATE_CANCELLED);
  RETURN_IF_ERROR(store_.UpdateOffering(o, id, version, event));
  index_.UpsertOffering(o);
  return id;
}

}  // namespace gnlc::catalog
