// Harvests one peer city's catalog feed into this city's mirror of it
// (mirror_store.h), like an OAI-PMH incremental harvester, minus the ways
// such harvesters are known to fail:
//   - one replica harvests a peer at a time (a lease in Redis, renewed every
//     step, so a replica that dies hands the peer on within seconds);
//   - each page and its cursor are applied in one atomic step, fenced by the
//     lease and the cursor, so crashes never lose or repeat anything;
//   - a cursor the peer refuses (FEED_RESET) or a first sync harvests into a
//     new generation, served only once complete (the old one meanwhile);
//   - every call has a deadline; failures back off exponentially with
//     jitter, honouring the peer's retry delay;
//   - the peer's records are checked like local writes (peer_records.h);
//   - every `reconcile` interval, digests are compared and the buckets that
//     differ are repaired.
// A caught-up mirror polls the peer every `poll` (500 ms): simpler than a
// server-streaming watch, which would hold a call open per peer across
// load balancers and still need this polling path for catching up and for
// peers that do not support it; at 2 polls a second per peer the cost is
// negligible and a change arrives within about `poll` plus one round trip.
#ifndef GNLC_SERVICES_CATALOG_HARVESTER_H_
#define GNLC_SERVICES_CATALOG_HARVESTER_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/random/random.h"
#include "absl/synchronization/notification.h"
#include "common/auth/peer_identity.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "services/catalog/mirror_store.h"

namespace gnlc::catalog {

struct HarvesterOptions {
  absl::Duration poll = absl::Milliseconds(500);
  absl::Duration reconcile = absl::Hours(1);
  absl::Duration call_timeout = absl::Seconds(3);
  absl::Duration lease_ttl = absl::Seconds(5);
  absl::Duration max_backoff = absl::Seconds(30);
  int page_size = 1000;
  int digest_buckets = 1024;
  // How much of the peer this city keeps (its PeerCity entry).
  MirrorQuota quota;

  static HarvesterOptions FromConfig(const config::v1::FederationSettings& federation);
};

// What the harvester reports on /metrics (any may be null).
struct HarvesterMetrics {
  prometheus::Gauge* lag_changes = nullptr;
  prometheus::Gauge* lag_seconds = nullptr;
  prometheus::Gauge* last_success = nullptr;  // unix seconds
  prometheus::Counter* skipped = nullptr;
  prometheus::Counter* failures = nullptr;
  prometheus::Counter* repaired = nullptr;
  prometheus::Counter* over_quota = nullptr;
  // One gauge per PeerState (index), 1 for the current state, 0 otherwise.
  std::array<prometheus::Gauge*, 6> state{};
};

class Harvester final {
 public:
  // `holder` names this replica in the lease.
  Harvester(std::string peer, RedisPool* pool,
            std::unique_ptr<v1::CatalogService::StubInterface> stub, HarvesterOptions options,
            std::string holder, HarvesterMetrics metrics = {});
  ~Harvester();

  // The identity the peer's server must present (before Start): a failure
  // because another city answered is reported as PEER_IDENTITY_MISMATCH.
  void SetIdentity(std::shared_ptr<const auth::PeerIdentity> identity) {
    identity_ = std::move(identity);
  }
  void Start();
  void Stop();

 private:
  std::shared_ptr<const auth::PeerIdentity> identity_;
  void Run();
  // One step: a page harvested and applied (or a generation started or
  // swapped in). Returns how long to wait before the next.
  absl::StatusOr<absl::Duration> Step();
  // Compares digests with the peer and repairs the buckets that differ.
  absl::Status Reconcile(const MirrorState& state);
  absl::StatusOr<v1::ListProgramChangesResponse> FetchPage(const std::string& cursor);
  // Checks a peer's changes into writes for the mirror.
  std::vector<MirrorWrite> Check(const google::protobuf::RepeatedPtrField<v1::ProgramChange>& in);
  void RecordSuccess(const MirrorState& state, const v1::ListProgramChangesResponse& page,
                     bool building);
  void RecordFailure(const absl::Status& status);
  void SetState(v1::PeerState state);
  // Counts records the mirror refused for its quota.
  void CountOverQuota(int64_t refused, bool wrote);
  absl::Duration Backoff(const absl::Status& status);

  CityConfig peer_config_;  // the peer's id, no districts: for checking records
  const std::string peer_;
  MirrorStore store_;
  std::unique_ptr<v1::CatalogService::StubInterface> stub_;
  const HarvesterOptions options_;
  const std::string holder_;
  HarvesterMetrics metrics_;
  int failures_ = 0;
  int page_size_;
  int64_t skipped_ = 0;
  // Records refused for the quota: in all, and whether the last page had any.
  int64_t over_quota_ = 0;
  bool at_quota_ = false;
  absl::Time next_reconcile_;
  absl::BitGen rng_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_HARVESTER_H_
