#include "services/partnership/partnership_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::partnership {

PartnershipService::PartnershipService(const ServerOptions& options, RedisPool* pool,
                                       Metrics* metrics, Clock clock)
    : UnaryService(MakeWaitingRpcEdge(options, metrics, "partnership.gnlc.org")),
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

void PartnershipService::StartLoading() {
  loader_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      const absl::Status s = Load();
      if (s.ok()) return;
      LogJson("warn", "directory load failed, retrying", {{"error", std::string(s.message())}});
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
    }
  });
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
  LogJson("info", "directory loaded",
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
    uint64_t version = 0;
    (void)absl::SimpleAtoi(stored.etag(), &version);
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
#define GNLC_PARTNERSHIP_RPC_VIA(how, Method, ...)                             \
  how<pb::Method##Request, pb::Method##Response>(                              \
      #Method,                                                                 \
      [this](grpc::CallbackServerContext* ctx, const pb::Method##Request& req, \
             pb::Method##Response& resp) -> absl::Status {                     \
        (void)ctx;                                                             \
        RETURN_IF_ERROR(CheckReady());                                         \
        return Do##Method(req, resp __VA_ARGS__);                              \
      })
#define GNLC_PARTNERSHIP_RPC(Method, ...) GNLC_PARTNERSHIP_RPC_VIA(Serve, Method, __VA_ARGS__)
// Answered from the directory in memory: inline, on gRPC's thread.
#define GNLC_PARTNERSHIP_MEMORY_RPC(Method) GNLC_PARTNERSHIP_RPC_VIA(ServeInline, Method)
// A method whose table row says "own" for partner admins: `check` (using
// `call` and `req`) runs first and refuses anything not theirs.
#define GNLC_PARTNERSHIP_OWN_RPC(Method, check, ...)                                       \
  Serve<pb::Method##Request, pb::Method##Response>(                                        \
      #Method,                                                                             \
      [this](grpc::CallbackServerContext* ctx, const CallAuth& call,                       \
             const pb::Method##Request& req, pb::Method##Response& resp) -> absl::Status { \
        (void)ctx;                                                                         \
        RETURN_IF_ERROR(CheckReady());                                                     \
        if (call.own_only) RETURN_IF_ERROR(check);                                         \
        return Do##Method(req, resp __VA_ARGS__);                                          \
      })
  GNLC_PARTNERSHIP_RPC(CreatePartner);
  GNLC_PARTNERSHIP_MEMORY_RPC(GetPartner);
  GNLC_PARTNERSHIP_OWN_RPC(UpdatePartner, CheckOwnPartner(call, req.partner().name()));
  GNLC_PARTNERSHIP_MEMORY_RPC(ListPartners);
  GNLC_PARTNERSHIP_RPC(CreatePartnership, , absl::FromChrono(ctx->deadline()));
  GNLC_PARTNERSHIP_MEMORY_RPC(GetPartnership);
  // Changes to a partnership: ChangePartnership checks a partner admin's
  // action against the record it changes (partner_admin_rules.h).
  GNLC_PARTNERSHIP_OWN_RPC(UpdatePartnership, absl::OkStatus(), , call,
                           absl::FromChrono(ctx->deadline()));
  GNLC_PARTNERSHIP_MEMORY_RPC(ListPartnerships);
  GNLC_PARTNERSHIP_OWN_RPC(AddPartnershipMember, absl::OkStatus(), , call);
  GNLC_PARTNERSHIP_OWN_RPC(RemovePartnershipMember, absl::OkStatus(), , call);
  GNLC_PARTNERSHIP_OWN_RPC(TransitionPartnership, absl::OkStatus(), , call);
  GNLC_PARTNERSHIP_OWN_RPC(RecordFundingCommitment, CheckMayFund(call, req.partnership()));
  GNLC_PARTNERSHIP_OWN_RPC(RecordDisbursement, CheckMayFund(call, req.partnership()));
  GNLC_PARTNERSHIP_RPC(GetFundingSummary);
  GNLC_PARTNERSHIP_RPC(ListPartnershipPrograms, , absl::FromChrono(ctx->deadline()));
#undef GNLC_PARTNERSHIP_RPC
#undef GNLC_PARTNERSHIP_RPC_VIA
#undef GNLC_PARTNERSHIP_MEMORY_RPC
#undef GNLC_PARTNERSHIP_OWN_RPC
  CheckAllServed();
}

}  // namespace gnlc::partnership
