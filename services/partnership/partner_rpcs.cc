// Partner organisations: create, get, update, list and look up by name.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/names/etag.h"
#include "common/names/resource_names.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/partnership/partnership_service.h"

namespace gnlc::partnership {
namespace {

absl::Status PartnerNotFound(absl::string_view name) {
  return NotFound("PARTNER_NOT_FOUND", absl::StrCat(name, " does not exist"));
}

}  // namespace

absl::Status PartnershipService::DoCreatePartner(const pb::CreatePartnerRequest& req,
                                                 pb::CreatePartnerResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  RETURN_IF_ERROR(ValidateRequestId("request_id", req.request_id()));
  RETURN_IF_ERROR(ValidatePartner(req.partner()));
  const std::string fingerprint = std::to_string(RequestFingerprint(req));
  pb::Partner partner = req.partner();
  *partner.mutable_create_time() = TimestampFromTime(clock_());
  *partner.mutable_update_time() = partner.create_time();
  partner.set_etag("1");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string id = NewId('p');
    partner.set_name(PartnerName(city_, id));
    Event event = NewEvent(city_, partner.name(), clock_());
    *event.mutable_partner_changed()->mutable_partner() = partner;
    event.mutable_partner_changed()->set_created(true);
    auto created = store_.PutPartner(partner, id, 0, req.request_id(), fingerprint, event);
    if (absl::IsAlreadyExists(created.status())) continue;  // our random id collided
    RETURN_IF_ERROR(created.status());
    if (created->has_value()) {  // a repeated request: the partner made then
      ASSIGN_OR_RETURN(std::string prior, ParsePartnerName(**created, city_, "name"));
      ASSIGN_OR_RETURN(*resp.mutable_partner(), store_.ReadPartner(prior));
      return absl::OkStatus();
    }
    directory_.Upsert(partner);
    *resp.mutable_partner() = std::move(partner);
    return absl::OkStatus();
  }
  return absl::InternalError("could not draw a free partner id");
}

absl::Status PartnershipService::DoGetPartner(const pb::GetPartnerRequest& req,
                                              pb::GetPartnerResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnerName(req.name(), city_, "name"));
  auto partner = directory_.GetPartner(id);
  if (!partner.has_value()) return PartnerNotFound(req.name());
  *resp.mutable_partner() = std::move(*partner);
  return absl::OkStatus();
}

absl::Status PartnershipService::DoUpdatePartner(const pb::UpdatePartnerRequest& req,
                                                 pb::UpdatePartnerResponse& resp) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnerName(req.partner().name(), city_, "partner.name"));
  ASSIGN_OR_RETURN(pb::Partner stored, store_.ReadPartner(id));
  if (!req.etag().empty() && req.etag() != stored.etag()) {
    return Aborted("STALE_ETAG",
                   absl::StrCat("etag \"", req.etag(), "\" is stale (now \"", stored.etag(),
                                "\"): read the partner again and retry"),
                   {{"current_etag", stored.etag()}});
  }
  ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
  pb::Partner updated = stored;
  RETURN_IF_ERROR(ApplyPartnerMask(req, updated));
  RETURN_IF_ERROR(ValidatePartner(updated));
  updated.set_etag(std::to_string(version + 1));
  *updated.mutable_update_time() = TimestampFromTime(clock_());
  Event event = NewEvent(city_, updated.name(), clock_());
  *event.mutable_partner_changed()->mutable_partner() = updated;
  RETURN_IF_ERROR(store_.PutPartner(updated, id, version, "", "", event).status());
  directory_.Upsert(updated);
  *resp.mutable_partner() = std::move(updated);
  return absl::OkStatus();
}

absl::Status PartnershipService::DoListPartners(const pb::ListPartnersRequest& req,
                                                pb::ListPartnersResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  if (!pb::OrganisationType_IsValid(req.type())) {
    return InvalidArgument("INVALID_FIELD", "type is not a known OrganisationType",
                           {{"field", "type"}});
  }
  if (!req.home_city().empty()) RETURN_IF_ERROR(ValidateId("home_city", req.home_city()));
  RETURN_IF_ERROR(ValidateText("query", req.query(), 100));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size()));
  const uint64_t fingerprint = RequestFingerprint(req);
  ASSIGN_OR_RETURN(std::string after, tokens_.Decode(req.page_token(), fingerprint));
  PartnerFilter filter{.type = req.type(),
                       .home_city = req.home_city(),
                       .verified_only = req.verified_only(),
                       .query = absl::AsciiStrToLower(req.query())};
  auto page = directory_.ListPartners(filter, after, page_size);
  for (auto& p : page.records) *resp.add_partners() = std::move(p);
  if (!page.next.empty()) resp.set_next_page_token(tokens_.Encode(fingerprint, page.next));
  return absl::OkStatus();
}

}  // namespace gnlc::partnership
