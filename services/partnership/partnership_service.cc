#include "services/partnership/partnership_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/names/etag.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::partnership {

PartnershipService::PartnershipService(const ServerOptions& options, RedisPool* pool,
                                       Metrics* metrics, Clock clock)
    : RpcService(MakeWaitingRpcEdge(options, metrics, "partnership.gnlc.org")),
      options_(options),
      city_(options.city.city_id()),
      clock_(std::move(clock)),
      store_(pool),
      catalog_(options.catalog_address, options.city),
      tokens_(options.page_token_secret),
      live_publisher_(pool, "partnership") {
  ServeRpcs();
}

PartnershipService::~PartnershipService() { Stop(); }

absl::Status PartnershipService::Start() {
  loader_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      const absl::Status s = Load();
      if (s.ok()) return;
      LogJson(LogLevel::kWarn, "directory load failed, retrying",
              {{"error", std::string(s.message())}});
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
    }
  });
  return absl::OkStatus();
}

absl::Status PartnershipService::Load() {
  // The stream position first: events after it are replayed on top, and
  // versions make the overlap harmless.
  ASSIGN_OR_RETURN(std::string tail, store_.StreamTail());
  RETURN_IF_ERROR(store_.LoadAll([&](pb::Partner p) { directory_.Upsert(p); },
                                 [&](pb::Partnership p) { directory_.Upsert(p); }));
  follower_ = std::make_unique<StreamFollower>(options_.redis, kPartnershipStream, tail,
                                               [this](const Event& e) { directory_.Apply(e); });
  follower_->Start();
  LogJson(LogLevel::kInfo, "directory loaded",
          {{"partners", absl::StrCat(directory_.partner_count())},
           {"partnerships", absl::StrCat(directory_.partnership_count())}});
  ready_ = true;
  return absl::OkStatus();
}

void PartnershipService::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (loader_.joinable()) loader_.join();
  if (follower_ != nullptr) follower_->Stop();
}

absl::Status PartnershipService::CheckReady() const {
  if (ready_) return absl::OkStatus();
  return Unavailable("DIRECTORY_LOADING", "the partnership service is starting, retry in a moment");
}

absl::Status PartnershipService::ChangePartnership(
    const CallAuth& call, const PartnerAction& action, absl::string_view name,
    absl::string_view field, absl::string_view expected_etag, absl::string_view change,
    const std::function<absl::Status(pb::Partnership&)>& edit, pb::Partnership& out) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnershipName(name, city_, field));
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(pb::Partnership stored, store_.ReadPartnership(id));
    if (call.own_only) {
      RETURN_IF_ERROR(PartnerAdminMay(stored, PartnerName(city_, call.caller.partner), action));
    }
    if (!expected_etag.empty() && expected_etag != stored.etag()) {
      return Aborted("STALE_ETAG",
                     absl::StrCat("etag \"", expected_etag, "\" is stale (now \"", stored.etag(),
                                  "\"): read the partnership again and retry"),
                     {{"current_etag", stored.etag()}});
    }
    ASSIGN_OR_RETURN(const uint64_t version, StoredEtagVersion(stored.etag(), stored.name()));
    pb::Partnership updated = stored;
    RETURN_IF_ERROR(edit(updated));
    updated.set_international(IsInternational(updated, city_));
    updated.set_etag(std::to_string(version + 1));
    *updated.mutable_update_time() = TimestampFromTime(clock_());
    Event event = NewEvent(city_, updated.name(), clock_());
    *event.mutable_partnership_changed()->mutable_partnership() = updated;
    event.mutable_partnership_changed()->set_change(std::string(change));
    auto written = store_.PutPartnership(updated, id, version, "", "", event);
    if (absl::IsAborted(written.status()) && expected_etag.empty()) continue;
    RETURN_IF_ERROR(written.status());
    directory_.Upsert(updated);
    out = std::move(updated);
    return absl::OkStatus();
  }
  return Aborted("CONCURRENT_UPDATE", "the partnership keeps changing: retry");
}

// A partner admin's own partner record. Partners and partnerships are not
// secret, so a refusal is PERMISSION_DENIED; a name that does not exist
// stays NOT_FOUND.
absl::Status PartnershipService::CheckOwnPartner(const CallAuth& call, absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnerName(name, city_, "partner.name"));
  if (call.caller.role == auth::Role::kPartnerAdmin && id == call.caller.partner) {
    return absl::OkStatus();
  }
  return Denied(MakeError(absl::StatusCode::kPermissionDenied, "NOT_YOUR_PARTNER",
                          "a partner admin may change only their own partner record"));
}

absl::Status PartnershipService::CheckMayFund(const CallAuth& call, absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnershipName(name, city_, "partnership"));
  std::optional<pb::Partnership> p = directory_.GetPartnership(id);
  if (!p.has_value()) {
    return NotFound("PARTNERSHIP_NOT_FOUND", absl::StrCat(name, " does not exist"));
  }
  return PartnerAdminMay(*p, PartnerName(city_, call.caller.partner), PartnerAction::Fund());
}

// The RPCs: each hands its logic to the common edge (parsing, permissions,
// status mapping, metrics, logs). The logic lives in partner_rpcs.cc,
// partnership_rpcs.cc and funding_rpcs.cc.
void PartnershipService::ServeRpcs() {
  using Self = PartnershipService;
  // Every method waits for the directory to load; the reads answered from
  // it in memory run inline, on gRPC's thread.
  Rpc(&Self::DoCreatePartner, {.needs_ready = true});
  Rpc(&Self::DoGetPartner, {.inline_call = true, .needs_ready = true});
  Rpc(&Self::DoUpdatePartner,
      {.needs_ready = true, .own_check = [this](const CallAuth& call, const auto& req) {
         return CheckOwnPartner(call, req.partner().name());
       }});
  Rpc(&Self::DoListPartners, {.inline_call = true, .needs_ready = true});
  Rpc(&Self::DoCreatePartnership, {.needs_ready = true});
  Rpc(&Self::DoGetPartnership, {.inline_call = true, .needs_ready = true});
  // Changes to a partnership: the handler checks a partner admin's action
  // against the record it changes (partner_admin_rules.h).
  Rpc(&Self::DoUpdatePartnership, {.needs_ready = true});
  Rpc(&Self::DoListPartnerships, {.inline_call = true, .needs_ready = true});
  Rpc(&Self::DoAddPartnershipMember, {.needs_ready = true});
  Rpc(&Self::DoRemovePartnershipMember, {.needs_ready = true});
  Rpc(&Self::DoTransitionPartnership, {.needs_ready = true});
  Rpc(&Self::DoRecordFundingCommitment,
      {.needs_ready = true, .own_check = [this](const CallAuth& call, const auto& req) {
         return CheckMayFund(call, req.partnership());
       }});
  Rpc(&Self::DoRecordDisbursement,
      {.needs_ready = true, .own_check = [this](const CallAuth& call, const auto& req) {
         return CheckMayFund(call, req.partnership());
       }});
  Rpc(&Self::DoGetFundingSummary, {.needs_ready = true});
  Rpc(&Self::DoListPartnershipPrograms, {.needs_ready = true});
  CheckAllServed();
}

}  // namespace gnlc::partnership
