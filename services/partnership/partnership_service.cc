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
    : options_(options),
      city_(options.city.city_id()),
      edge_(MakeRpcEdge(options, metrics, "partnership.gnlc.org",
                        "gnlc.partnership.v1.PartnershipService")),
      clock_(std::move(clock)),
      store_(pool),
      catalog_(options.catalog_address, options.city),
      tokens_(options.page_token_secret) {}

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
    absl::string_view name, absl::string_view field, absl::string_view expected_etag,
    absl::string_view change, const std::function<absl::Status(pb::Partnership&)>& edit,
    pb::Partnership& out) {
  ASSIGN_OR_RETURN(std::string id, ParsePartnershipName(name, city_, field));
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(pb::Partnership stored, store_.ReadPartnership(id));
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

// The RPCs: each hands its logic to the common edge (status mapping,
// metrics, logs). The logic lives in partner_rpcs.cc, partnership_rpcs.cc
// and funding_rpcs.cc.
#define GNLC_PARTNERSHIP_RPC(Method, ...)                                                \
  grpc::ServerUnaryReactor* PartnershipService::Method(grpc::CallbackServerContext* ctx, \
                                                       const pb::Method##Request* req,   \
                                                       pb::Method##Response* resp) {     \
    return ServeUnary(ctx, edge_, #Method, *req, [&]() -> absl::Status {                 \
      RETURN_IF_ERROR(CheckReady());                                                     \
      return Do##Method(*req, *resp __VA_ARGS__);                                        \
    });                                                                                  \
  }
GNLC_PARTNERSHIP_RPC(CreatePartner)
GNLC_PARTNERSHIP_RPC(GetPartner)
GNLC_PARTNERSHIP_RPC(UpdatePartner)
GNLC_PARTNERSHIP_RPC(ListPartners)
GNLC_PARTNERSHIP_RPC(CreatePartnership, , absl::FromChrono(ctx->deadline()))
GNLC_PARTNERSHIP_RPC(GetPartnership)
GNLC_PARTNERSHIP_RPC(UpdatePartnership, , absl::FromChrono(ctx->deadline()))
GNLC_PARTNERSHIP_RPC(ListPartnerships)
GNLC_PARTNERSHIP_RPC(AddPartnershipMember)
GNLC_PARTNERSHIP_RPC(RemovePartnershipMember)
GNLC_PARTNERSHIP_RPC(TransitionPartnership)
GNLC_PARTNERSHIP_RPC(RecordFundingCommitment)
GNLC_PARTNERSHIP_RPC(RecordDisbursement)
GNLC_PARTNERSHIP_RPC(GetFundingSummary)
GNLC_PARTNERSHIP_RPC(ListPartnershipPrograms, , absl::FromChrono(ctx->deadline()))
#undef GNLC_PARTNERSHIP_RPC

}  // namespace gnlc::partnership
