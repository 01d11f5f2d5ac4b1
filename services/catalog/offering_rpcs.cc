// Create, Get, Update, Cancel, List and BatchGet of offerings.
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
constexpr int kMaxBatchGet = 100;

absl::Status OfferingNotFound(absl::string_view name) {
  return NotFound("OFFERING_NOT_FOUND", absl::StrCat(name, " does not exist"),
                  {{"name", std::string(name)}});
}

}  // namespace

absl::Status CatalogService::DoCreateOffering(const pb::CreateOfferingRequest& req,
                                              pb::CreateOfferingResponse& resp) {
  RETURN_IF_ERROR(RefuseMirrored(req.parent()));
  ASSIGN_OR_RETURN(std::string program_id, ParseProgramName(req.parent(), city_, "parent"));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  if (!req.has_offering()) {
    return InvalidArgument("FIELD_REQUIRED", "offering is required", {{"field", "offering"}});
  }
  const absl::Time now = clock_();
  Offering o = req.offering();
  ClearOfferingOutputs(o);
  RETURN_IF_ERROR(ValidateOffering(o, options_.city, now));
  o.set_state(pb::OFFERING_STATE_SCHEDULED);
  o.set_etag("1");
  *o.mutable_create_time() = TimestampFromTime(now);
  *o.mutable_update_time() = o.create_time();
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    const std::string id = NewId('o');
    o.set_name(OfferingName(city_, program_id, id));
    Event event = NewEvent(city_, o.name(), now);
    *event.mutable_offering_upserted()->mutable_offering() = o;
    event.mutable_offering_upserted()->set_created(true);
    auto created = store_.CreateOffering(o, program_id, id, req.request_id(), event);
    if (absl::IsAlreadyExists(created.status())) continue;
    RETURN_IF_ERROR(created.status());
    std::string final_program = program_id, final_id = id;
    if (created->has_value()) {  // a retry of an earlier request
      ASSIGN_OR_RETURN(OfferingRef first, ParseOfferingName(**created, city_, "name"));
      ASSIGN_OR_RETURN(Offering stored, store_.ReadOffering(first.offering_id));
      index_.UpsertOffering(stored);
      final_program = first.program_id;
      final_id = first.offering_id;
      o = stored;
    } else {
      index_.UpsertOffering(o);
      UpdateIndexGauges();
    }
    auto view = index_.GetOffering(final_program, final_id, NowSeconds());
    *resp.mutable_offering() = view ? OfferingFromView(*view) : o;
    return absl::OkStatus();
  }
  return absl::InternalError("could not draw a free offering id");
}

absl::Status CatalogService::DoGetOffering(const CallAuth& call, const pb::GetOfferingRequest& req,
                                           pb::GetOfferingResponse& resp) {
  ASSIGN_OR_RETURN(ReadSource source, SourceOf(req.name()));
  ASSIGN_OR_RETURN(OfferingRef ref, ParseOfferingName(req.name(), source.city, "name"));
  RETURN_IF_ERROR(CheckReady());
  const SearchIndex& index = source.index(index_);
  if (!SeesDrafts(call)) {
    auto program = index.GetProgram(ref.program_id, 0);
    if (program && program->state == pb::PROGRAM_STATE_DRAFT) return OfferingNotFound(req.name());
  }
  auto view = index.GetOffering(ref.program_id, ref.offering_id, NowSeconds());
  if (!view) return OfferingNotFound(req.name());
  *resp.mutable_offering() = OfferingFromView(*view);
  source.Mark(*resp.mutable_offering());
  return absl::OkStatus();
}

absl::Status CatalogService::WriteOffering(const OfferingRef& ref, absl::string_view etag,
                                           const std::function<absl::Status(Offering&)>& change,
                                           bool cancelling, Offering& out) {
  const uint64_t wanted = EtagVersion(etag);
  if (!etag.empty() && wanted == 0) {
    return InvalidArgument("INVALID_ETAG", "etag must be a value from a previous response",
                           {{"field", "etag"}});
  }
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Offering stored, store_.ReadOffering(ref.offering_id));
    ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
    if (wanted != 0 && wanted != version) {
      return Aborted("STALE_ETAG",
                     absl::StrCat("etag \"", etag, "\" is stale (now \"", stored.etag(),
                                  "\"): read the offering again and retry"),
                     {{"current_etag", stored.etag()}});
    }
    if (stored.state() == pb::OFFERING_STATE_CANCELLED) {
      if (cancelling) {  // cancelling twice is harmless
        out = stored;
        return absl::OkStatus();
      }
      return FailedPrecondition("OFFERING_CANCELLED", "a cancelled offering cannot be changed");
    }
    RETURN_IF_ERROR(change(stored));
    const absl::Time now = clock_();
    stored.set_etag(std::to_string(version + 1));
    *stored.mutable_update_time() = TimestampFromTime(now);
    Event event = NewEvent(city_, stored.name(), now);
    *event.mutable_offering_upserted()->mutable_offering() = stored;
    event.mutable_offering_upserted()->set_cancelled(cancelling);
    const absl::Status written = store_.UpdateOffering(stored, ref.offering_id, version, event);
    if (absl::IsAborted(written) && wanted == 0) continue;
    RETURN_IF_ERROR(written);
    index_.UpsertOffering(stored);
    out = stored;
    return absl::OkStatus();
  }
  return Aborted("CONCURRENT_UPDATE", "the offering changed concurrently; retry");
}

absl::Status CatalogService::DoUpdateOffering(const pb::UpdateOfferingRequest& req,
                                              pb::UpdateOfferingResponse& resp) {
  RETURN_IF_ERROR(RefuseMirrored(req.offering().name()));
  ASSIGN_OR_RETURN(OfferingRef ref,
                   ParseOfferingName(req.offering().name(), city_, "offering.name"));
  Offering written;
  RETURN_IF_ERROR(WriteOffering(
      ref, req.etag(),
      [&](Offering& stored) {
        RETURN_IF_ERROR(ApplyOfferingMask(req.offering(), req.update_mask(), stored));
        return ValidateOffering(stored, options_.city, clock_());
      },
      /*cancelling=*/false, written));
  auto view = index_.GetOffering(ref.program_id, ref.offering_id, NowSeconds());
  *resp.mutable_offering() = view ? OfferingFromView(*view) : written;
  return absl::OkStatus();
}

absl::Status CatalogService::DoCancelOffering(const pb::CancelOfferingRequest& req,
                                              pb::CancelOfferingResponse& resp) {
  RETURN_IF_ERROR(RefuseMirrored(req.name()));
  ASSIGN_OR_RETURN(OfferingRef ref, ParseOfferingName(req.name(), city_, "name"));
  RETURN_IF_ERROR(ValidateText("reason.zh", req.reason().zh(), 500));
  RETURN_IF_ERROR(ValidateText("reason.en", req.reason().en(), 500));
  if (req.reason().zh().empty() && req.reason().en().empty()) {
    return InvalidArgument("FIELD_REQUIRED",
                           "reason is required (zh or en): residents are told why",
                           {{"field", "reason"}});
  }
  Offering written;
  RETURN_IF_ERROR(WriteOffering(
      ref, "",
      [&](Offering& stored) {
        stored.set_state(pb::OFFERING_STATE_CANCELLED);
        *stored.mutable_cancel_reason() = req.reason();
        return absl::OkStatus();
      },
      /*cancelling=*/true, written));
  auto view = index_.GetOffering(ref.program_id, ref.offering_id, NowSeconds());
  *resp.mutable_offering() = view ? OfferingFromView(*view) : written;
  return absl::OkStatus();
}

absl::Status CatalogService::DoListOfferings(const CallAuth& call,
                                             const pb::ListOfferingsRequest& req,
                                             pb::ListOfferingsResponse& resp) {
  ASSIGN_OR_RETURN(ReadSource source, SourceOf(req.parent()));
  ASSIGN_OR_RETURN(std::string program_id, ParseProgramName(req.parent(), source.city, "parent"));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size()));
  RETURN_IF_ERROR(CheckReady());
  const SearchIndex& index = source.index(index_);
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  ASSIGN_OR_RETURN(std::optional<SearchCursor> after, DecodeCursor(position));
  auto program = index.GetProgram(program_id, 0);
  if (!program || (program->state == pb::PROGRAM_STATE_DRAFT && !SeesDrafts(call))) {
    return NotFound("PROGRAM_NOT_FOUND", absl::StrCat(req.parent(), " does not exist"));
  }
  const auto views = index.ListOfferings(program_id, NowSeconds());
  int taken = 0;
  SearchCursor last;
  bool more = false;
  for (const OfferingView& v : views) {
    Offering o = OfferingFromView(v);
    source.Mark(o);
    const SearchCursor here{static_cast<double>(v.start), o.name()};
    if (after && (here.key < after->key || (here.key == after->key && here.name <= after->name))) {
      continue;
    }
    if (taken == page_size) {
      more = true;
      break;
    }
    *resp.add_offerings() = std::move(o);
    last = here;
    ++taken;
  }
  if (more) resp.set_next_page_token(tokens_.Encode(fingerprint, EncodeCursor(last)));
  return absl::OkStatus();
}

absl::Status CatalogService::DoBatchGetOfferings(const pb::BatchGetOfferingsRequest& req,
                                                 pb::BatchGetOfferingsResponse& resp) {
  if (req.names_size() == 0 || req.names_size() > kMaxBatchGet) {
    return InvalidArgument("INVALID_FIELD", "names must hold 1 to 100 offering names",
                           {{"field", "names"}});
  }
  std::vector<OfferingRef> refs;
  for (const std::string& name : req.names()) {
    ASSIGN_OR_RETURN(OfferingRef ref, ParseOfferingName(name, city_, "names"));
    refs.push_back(std::move(ref));
  }
  RETURN_IF_ERROR(CheckReady());
  const int64_t now = NowSeconds();
  for (size_t i = 0; i < refs.size(); ++i) {
    auto view = index_.GetOffering(refs[i].program_id, refs[i].offering_id, now);
    if (!view) return OfferingNotFound(req.names(static_cast<int>(i)));
    *resp.add_offerings() = OfferingFromView(*view);
  }
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
