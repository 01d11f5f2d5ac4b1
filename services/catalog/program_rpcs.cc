// Create, Get, Update, Delete and List of programs.
#include "absl/strings/str_cat.h"
#include "common/names/etag.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_validation.h"
#include "services/catalog/catalog_views.h"

namespace gnlc::catalog {
namespace {

constexpr int kMaxWriteAttempts = 3;

absl::Status Required(absl::string_view field) {
  return InvalidArgument("FIELD_REQUIRED", absl::StrCat(field, " is required"),
                         {{"field", std::string(field)}});
}

absl::StatusOr<uint64_t> ParseEtag(absl::string_view etag) {
  if (etag.empty()) return 0;
  const uint64_t v = EtagVersion(etag);
  if (v == 0) {
    return InvalidArgument("INVALID_ETAG", "etag must be a value from a previous response",
                           {{"field", "etag"}});
  }
  return v;
}

}  // namespace

absl::Status CatalogService::DoCreateProgram(const pb::CreateProgramRequest& req,
                                             pb::CreateProgramResponse& resp) {
  RETURN_IF_ERROR(RefuseMirrored(absl::StrCat(req.parent(), "/")));
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  if (!req.has_program()) return Required("program");
  Program p = req.program();
  ClearProgramOutputs(p);
  if (p.state() == pb::PROGRAM_STATE_UNSPECIFIED) p.set_state(pb::PROGRAM_STATE_DRAFT);
  RETURN_IF_ERROR(ValidateProgram(p, options_.city));
  const absl::Time now = clock_();
  *p.mutable_create_time() = TimestampFromTime(now);
  *p.mutable_update_time() = p.create_time();
  p.set_origin_city(city_);
  p.set_etag("1");
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    const std::string id = NewId('p');
    p.set_name(ProgramName(city_, id));
    Event event = NewEvent(city_, p.name(), now);
    *event.mutable_program_upserted()->mutable_program() = p;
    event.mutable_program_upserted()->set_created(true);
    auto created = store_.CreateProgram(p, id, req.request_id(), event);
    if (absl::IsAlreadyExists(created.status())) continue;  // id collision: draw again
    RETURN_IF_ERROR(created.status());
    if (created->has_value()) {  // a retry of an earlier request
      ASSIGN_OR_RETURN(std::string first_id, ParseProgramName(**created, city_, "name"));
      ASSIGN_OR_RETURN(Program first, store_.ReadProgram(first_id));
      index_.UpsertProgram(first);
      auto view = index_.GetProgram(first_id, NowSeconds());
      *resp.mutable_program() = view ? ProgramFromView(*view) : first;
      return absl::OkStatus();
    }
    index_.UpsertProgram(p);
    UpdateIndexGauges();
    auto view = index_.GetProgram(id, NowSeconds());
    *resp.mutable_program() = view ? ProgramFromView(*view) : p;
    return absl::OkStatus();
  }
  return absl::InternalError("could not draw a free program id");
}

absl::Status CatalogService::DoGetProgram(const CallAuth& call, const pb::GetProgramRequest& req,
                                          pb::GetProgramResponse& resp) {
  ASSIGN_OR_RETURN(ReadSource source, SourceOf(req.name()));
  ASSIGN_OR_RETURN(std::string id, ParseProgramName(req.name(), source.city, "name"));
  RETURN_IF_ERROR(CheckReady());
  auto view = source.index(index_).GetProgram(id, NowSeconds());
  if (!view || (view->state == pb::PROGRAM_STATE_DRAFT && !SeesDrafts(call))) {
    return NotFound("PROGRAM_NOT_FOUND", absl::StrCat(req.name(), " does not exist"),
                    {{"name", req.name()}});
  }
  *resp.mutable_program() = ProgramFromView(*view);
  source.Mark(*resp.mutable_program());
  return absl::OkStatus();
}

absl::Status CatalogService::DoUpdateProgram(const pb::UpdateProgramRequest& req,
                                             pb::UpdateProgramResponse& resp) {
  if (!req.has_program()) return Required("program");
  RETURN_IF_ERROR(RefuseMirrored(req.program().name()));
  ASSIGN_OR_RETURN(std::string id, ParseProgramName(req.program().name(), city_, "program.name"));
  ASSIGN_OR_RETURN(uint64_t wanted, ParseEtag(req.etag()));
  // Without an etag the caller wants "last write wins" on the masked fields:
  // re-read and retry when another write slipped in between.
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Program stored, store_.ReadProgram(id));
    ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
    if (wanted != 0 && wanted != version) {
      return Aborted("STALE_ETAG",
                     absl::StrCat("etag \"", req.etag(), "\" is stale (now \"", stored.etag(),
                                  "\"): read the program again and retry"),
                     {{"current_etag", stored.etag()}});
    }
    RETURN_IF_ERROR(ApplyProgramMask(req.program(), req.update_mask(), stored));
    RETURN_IF_ERROR(ValidateProgram(stored, options_.city));
    const absl::Time now = clock_();
    stored.set_etag(std::to_string(version + 1));
    *stored.mutable_update_time() = TimestampFromTime(now);
    Event event = NewEvent(city_, stored.name(), now);
    *event.mutable_program_upserted()->mutable_program() = stored;
    const absl::Status written = store_.UpdateProgram(stored, id, version, event);
    if (absl::IsAborted(written) && wanted == 0) continue;
    RETURN_IF_ERROR(written);
    index_.UpsertProgram(stored);
    auto view = index_.GetProgram(id, NowSeconds());
    *resp.mutable_program() = view ? ProgramFromView(*view) : stored;
    return absl::OkStatus();
  }
  return Aborted("CONCURRENT_UPDATE", "the program changed concurrently; retry");
}

absl::Status CatalogService::DoDeleteProgram(const pb::DeleteProgramRequest& req,
                                             pb::DeleteProgramResponse& resp) {
  RETURN_IF_ERROR(RefuseMirrored(req.name()));
  ASSIGN_OR_RETURN(std::string id, ParseProgramName(req.name(), city_, "name"));
  ASSIGN_OR_RETURN(uint64_t wanted, ParseEtag(req.etag()));
  ASSIGN_OR_RETURN(Program stored, store_.ReadProgram(id));
  const absl::Time now = clock_();
  stored.set_state(pb::PROGRAM_STATE_ARCHIVED);
  *stored.mutable_update_time() = TimestampFromTime(now);
  Event event = NewEvent(city_, stored.name(), now);
  *event.mutable_program_deleted()->mutable_program() = stored;
  RETURN_IF_ERROR(store_.DeleteProgram(id, req.name(), wanted, event));
  index_.RemoveProgram(id);
  UpdateIndexGauges();
  resp.set_name(req.name());
  return absl::OkStatus();
}

absl::Status CatalogService::DoListPrograms(const CallAuth& call,
                                            const pb::ListProgramsRequest& req,
                                            pb::ListProgramsResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size()));
  if (!pb::ProgramState_IsValid(req.state()) || req.state() == pb::PROGRAM_STATE_ARCHIVED) {
    return InvalidArgument("INVALID_FIELD", "state must be DRAFT, PUBLISHED or CANCELLED",
                           {{"field", "state"}});
  }
  const bool drafts = SeesDrafts(call);
  if (req.state() == pb::PROGRAM_STATE_DRAFT && !drafts) {
    return Denied(MakeError(absl::StatusCode::kPermissionDenied, "DRAFTS_FOR_CITY_ADMINS",
                            "draft programs are visible to city admins only: ask for PUBLISHED "
                            "or CANCELLED, or leave state unset"));
  }
  if (!gnlc::type::v1::ProgramKind_IsValid(req.kind())) {
    return InvalidArgument("INVALID_FIELD", "kind is not a ProgramKind value", {{"field", "kind"}});
  }
  RETURN_IF_ERROR(CheckReady());
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  ASSIGN_OR_RETURN(std::optional<SearchCursor> after, DecodeCursor(position));
  bool more = false;
  auto views =
      index_.ListPrograms(req.state(), req.kind(), drafts, after, page_size, NowSeconds(), more);
  PageBytes budget;
  for (size_t i = 0; i < views.size(); ++i) {
    if (!budget.Take(views[i].program.size() + 64)) {
      views.resize(i);
      more = true;
      break;
    }
  }
  for (const ProgramView& v : views) *resp.add_programs() = ProgramFromView(v);
  if (more && !views.empty()) {
    const Program& last = resp.programs(resp.programs_size() - 1);
    resp.set_next_page_token(tokens_.Encode(
        fingerprint, EncodeCursor({-static_cast<double>(views.back().create_time), last.name()})));
  }
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
