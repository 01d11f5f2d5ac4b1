// gnlc.partnership.v1.PartnershipService: partner organisations, the
// partnerships between them (across cities too), their lifecycle, the
// programs they deliver and their funding. Writes go to Redis with their
// events (PartnershipStore); reads come from the in-memory Directory, which
// each replica loads at start and keeps current from the partnership stream.
//
//   PartnershipService partnership(options, &pool, &metrics);
//   server.AddService(&partnership, "gnlc.partnership.v1.PartnershipService");
//   return ServeUntilSignal(server, partnership);   // Start() loads it
#ifndef GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_SERVICE_H_
#define GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/events/stream_follower.h"
#include "common/paging/page_token.h"
#include "common/redis/live_latency.h"
#include "common/server/rpc_service.h"
#include "common/server/server_options.h"
#include "common/server/service_lifecycle.h"
#include "common/time/proto_time.h"
#include "gnlc/partnership/v1/partnership_service.grpc.pb.h"
#include "services/catalog/catalog_client.h"
#include "services/partnership/directory.h"
#include "services/partnership/partner_admin_rules.h"
#include "services/partnership/partnership_store.h"
#include "services/partnership/partnership_validation.h"

namespace gnlc::partnership {

class PartnershipService final : public RpcService<pb::PartnershipService>,
                                 public ServiceLifecycle {
 public:
  using Clock = std::function<absl::Time()>;

  PartnershipService(
      const ServerOptions& options, RedisPool* pool, Metrics* metrics,
      Clock clock = [] { return absl::Now(); });
  ~PartnershipService() override;

  // Loads the directory from Redis (retrying until Redis answers), then
  // follows the partnership stream. ready() turns true once loaded.
  absl::Status Start() override;
  void Stop() override;
  bool ready() const override { return ready_.load(); }

 private:
  // Registers every RPC with the common edge (constructor).
  void ServeRpcs();
  // partner_rpcs.cc
  // The "own" rules of the permission table for partner admins: their own
  // partner record; funding of partnerships they fund or lead. Changes to a
  // partnership are checked by ChangePartnership (partner_admin_rules.h).
  absl::Status CheckOwnPartner(const CallAuth& call, absl::string_view name);
  absl::Status CheckMayFund(const CallAuth& call, absl::string_view name);

  absl::Status DoCreatePartner(const pb::CreatePartnerRequest& req,
                               pb::CreatePartnerResponse& resp);
  absl::Status DoGetPartner(const pb::GetPartnerRequest& req, pb::GetPartnerResponse& resp);
  absl::Status DoUpdatePartner(const pb::UpdatePartnerRequest& req,
                               pb::UpdatePartnerResponse& resp);
  absl::Status DoListPartners(const pb::ListPartnersRequest& req, pb::ListPartnersResponse& resp);
  // partnership_rpcs.cc
  absl::Status DoCreatePartnership(const pb::CreatePartnershipRequest& req,
                                   pb::CreatePartnershipResponse& resp, absl::Time deadline);
  absl::Status DoGetPartnership(const pb::GetPartnershipRequest& req,
                                pb::GetPartnershipResponse& resp);
  absl::Status DoUpdatePartnership(const CallAuth& call, const pb::UpdatePartnershipRequest& req,
                                   pb::UpdatePartnershipResponse& resp, absl::Time deadline);
  absl::Status DoListPartnerships(const pb::ListPartnershipsRequest& req,
                                  pb::ListPartnershipsResponse& resp);
  absl::Status DoAddPartnershipMember(const CallAuth& call,
                                      const pb::AddPartnershipMemberRequest& req,
                                      pb::AddPartnershipMemberResponse& resp);
  absl::Status DoRemovePartnershipMember(const CallAuth& call,
                                         const pb::RemovePartnershipMemberRequest& req,
                                         pb::RemovePartnershipMemberResponse& resp);
  absl::Status DoTransitionPartnership(const CallAuth& call,
                                       const pb::TransitionPartnershipRequest& req,
                                       pb::TransitionPartnershipResponse& resp);
  absl::Status DoListPartnershipPrograms(const pb::ListPartnershipProgramsRequest& req,
                                         pb::ListPartnershipProgramsResponse& resp,
                                         absl::Time deadline);
  // funding_rpcs.cc
  absl::Status DoRecordFundingCommitment(const pb::RecordFundingCommitmentRequest& req,
                                         pb::RecordFundingCommitmentResponse& resp);
  absl::Status DoRecordDisbursement(const pb::RecordDisbursementRequest& req,
                                    pb::RecordDisbursementResponse& resp);
  absl::Status DoGetFundingSummary(const pb::GetFundingSummaryRequest& req,
                                   pb::GetFundingSummaryResponse& resp);

  // Read-modify-write of a partnership with the version check in Redis,
  // retried when another write came first; publishes `change`. A partner
  // admin's `action` is checked against the very record it changes, so a
  // concurrent activation cannot slip between the check and the write.
  absl::Status ChangePartnership(const CallAuth& call, const PartnerAction& action,
                                 absl::string_view name, absl::string_view field,
                                 absl::string_view expected_etag, absl::string_view change,
                                 const std::function<absl::Status(pb::Partnership&)>& edit,
                                 pb::Partnership& out);
  // The partnership from the directory, else from Redis.
  absl::StatusOr<pb::Partnership> FindPartnership(absl::string_view id);
  // Local members must exist here; other cities' are taken by name.
  absl::Status CheckMemberExists(const pb::PartnershipMember& member);
  // Programs in `now` and not in `before` must exist in the catalog.
  absl::Status CheckNewPrograms(const pb::Partnership& before, const pb::Partnership& now,
                                absl::Time deadline);
  absl::Status CheckReady() const override;
  absl::Status Load();

  const ServerOptions options_;
  const std::string city_;
  Clock clock_;
  PartnershipStore store_;
  Directory directory_;
  catalog::CatalogClient catalog_;
  PageTokenCodec tokens_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<StreamFollower> follower_;
  absl::Notification stop_;
  std::thread loader_;
  // The p99 of this server's live calls, for every service's bulk work.
  LivePublisher live_publisher_;
};

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_SERVICE_H_
