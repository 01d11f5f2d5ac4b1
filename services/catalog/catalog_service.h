// gnlc.catalog.v1.CatalogService: programs, offerings, search and the change
// feed of one city. Writes go to Redis (CatalogStore) and then into this
// replica's index at once, so a write is visible here when the RPC returns;
// other replicas pick it up from the catalog stream within a second. Reads
// and searches are served from the index.
//
//   CatalogService catalog(options, &pool, &metrics);
//   server.AddService(&catalog, "gnlc.catalog.v1.CatalogService");
//   return ServeUntilSignal(server, catalog);   // Start() loads the index
//                                               // in the background
#ifndef GNLC_SERVICES_CATALOG_CATALOG_SERVICE_H_
#define GNLC_SERVICES_CATALOG_CATALOG_SERVICE_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/events/group_consumer.h"
#include "common/events/stream_follower.h"
#include "common/events/stream_retention.h"
#include "common/names/resource_names.h"
#include "common/paging/page_token.h"
#include "common/redis/live_latency.h"
#include "common/server/handler_pool.h"
#include "common/server/rpc_service.h"
#include "common/server/server_options.h"
#include "common/server/service_lifecycle.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "services/catalog/catalog_store.h"
#include "services/catalog/harvester.h"
#include "services/catalog/peer_mirror.h"
#include "services/catalog/search_cache.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

namespace pb = gnlc::catalog::v1;

class CatalogService final : public RpcService<pb::CatalogService>, public ServiceLifecycle {
 public:
  using Clock = std::function<absl::Time()>;

  CatalogService(
      const ServerOptions& options, RedisPool* pool, Metrics* metrics,
      Clock clock = [] { return absl::Now(); });
  ~CatalogService() override;

  // Loads the index from Redis (retrying until Redis answers), then follows
  // the catalog stream, and the enrollment stream for seats taken.
  // ready() turns true once the index is built.
  absl::Status Start() override;
  void Stop() override;
  // The index is built and every peer's mirror loaded from our Redis (not
  // from the peer: a peer that is down never holds a replica back).
  bool ready() const override;
  const SearchIndex& index() const { return index_; }
  // How this replica names itself in the harvest leases of peers.
  const std::string& harvester_name() const { return harvester_name_; }

  // Where imports run (for tests: how many jobs they did).
  const HandlerPool& bulk_threads() const { return bulk_threads_; }

 private:
  // Registers every RPC with the common edge (constructor).
  void ServeRpcs();
  absl::Status DoCreateProgram(const pb::CreateProgramRequest& req,
                               pb::CreateProgramResponse& resp);
  // Drafts are for city admins (and this city's services): anyone else
  // gets NOT_FOUND for a draft and its offerings, and lists without them.
  static bool SeesDrafts(const CallAuth& call);
  absl::Status DoGetProgram(const CallAuth& call, const pb::GetProgramRequest& req,
                            pb::GetProgramResponse& resp);
  absl::Status DoUpdateProgram(const pb::UpdateProgramRequest& req,
                               pb::UpdateProgramResponse& resp);
  absl::Status DoDeleteProgram(const pb::DeleteProgramRequest& req,
                               pb::DeleteProgramResponse& resp);
  absl::Status DoListPrograms(const CallAuth& call, const pb::ListProgramsRequest& req,
                              pb::ListProgramsResponse& resp);
  absl::Status DoSearchPrograms(const pb::SearchProgramsRequest& req,
                                pb::SearchProgramsResponse& resp,
                                absl::Time deadline = absl::InfiniteFuture());
  absl::Status DoCreateOffering(const pb::CreateOfferingRequest& req,
                                pb::CreateOfferingResponse& resp);
  absl::Status DoGetOffering(const CallAuth& call, const pb::GetOfferingRequest& req,
                             pb::GetOfferingResponse& resp);
  absl::Status DoUpdateOffering(const pb::UpdateOfferingRequest& req,
                                pb::UpdateOfferingResponse& resp);
  absl::Status DoCancelOffering(const pb::CancelOfferingRequest& req,
                                pb::CancelOfferingResponse& resp);
  absl::Status DoListOfferings(const CallAuth& call, const pb::ListOfferingsRequest& req,
                               pb::ListOfferingsResponse& resp);
  absl::Status DoBatchGetOfferings(const pb::BatchGetOfferingsRequest& req,
                                   pb::BatchGetOfferingsResponse& resp);
  absl::Status DoListProgramChanges(const pb::ListProgramChangesRequest& req,
                                    pb::ListProgramChangesResponse& resp);
  absl::Status DoGetFeedDigest(const pb::GetFeedDigestRequest& req,
                               pb::GetFeedDigestResponse& resp);
  absl::Status DoListPeerStatuses(const pb::ListPeerStatusesRequest& req,
                                  pb::ListPeerStatusesResponse& resp);
  // import_rpcs.cc
  absl::Status DoImportCatalogHistory(const pb::ImportCatalogHistoryRequest& req,
                                      pb::ImportCatalogHistoryResponse& resp);
  absl::Status ImportPrograms(const pb::ImportCatalogHistoryRequest& req, absl::Time now,
                              gnlc::type::v1::ImportResult& out);
  absl::Status ImportOfferings(const pb::ImportCatalogHistoryRequest& req, absl::Time now,
                               gnlc::type::v1::ImportResult& out);
  // Each returns the record's id; NOT_FOUND if it (or its program) is gone.
  absl::StatusOr<std::string> ImportNewProgram(Program& p, absl::string_view source_id,
                                               absl::Time created);
  absl::StatusOr<std::string> ImportChangedProgram(Program& p, const std::string& id,
                                                   absl::Time now);
  absl::StatusOr<std::string> ImportNewOffering(Offering& o, const std::string& program_id,
                                                absl::string_view source_id);
  absl::StatusOr<std::string> ImportChangedOffering(Offering& o, const std::string& id,
                                                    absl::Time now);

  // Federation (federation.cc). Where a name's records are read from: this
  // city's index, or the mirror of the peer city the name belongs to.
  struct ReadSource {
    std::string city;
    std::shared_ptr<const SearchIndex> mirror;  // null: this city's index_
    std::optional<absl::Time> as_of;
    MirrorPageCache* pages = nullptr;  // of the mirror; null: this city's index_
    const SearchIndex& index(const SearchIndex& local) const { return mirror ? *mirror : local; }
    // Marks a record read from a mirror with its origin and freshness.
    void Mark(Program& program) const;
    void Mark(Offering& offering) const;
  };
  absl::StatusOr<ReadSource> SourceOf(absl::string_view name) const;
  // FAILED_PRECONDITION (OWNED_BY_PEER) for a write to a peer city's name.
  absl::Status RefuseMirrored(absl::string_view name) const;
  const PeerMirror* MirrorOf(absl::string_view city) const;
  // The harvesters and mirrors of the configured peers.
  void StartFederation();
  HarvesterMetrics PeerMetrics(const std::string& peer) const;
  // The indexes a search covers, and their combined generation.
  absl::StatusOr<std::vector<ReadSource>> SearchSources(const pb::SearchProgramsRequest& req) const;
  // Of every index, whatever a search covers: the cache holds entries of
  // one generation, and city and network searches must not evict each
  // other's.
  uint64_t SearchGeneration() const;

  // Read-modify-write of an offering with the version check in Redis.
  absl::Status WriteOffering(const OfferingRef& ref, absl::string_view etag,
                             const std::function<absl::Status(Offering&)>& change, bool cancelling,
                             Offering& out);
  absl::Status CheckReady() const override;
  absl::Status BuildIndex();
  // After the stream was trimmed past this replica (it was stopped longer
  // than the retention): the index brought to the records again, or the
  // seats. Each returns the stream position it read first.
  absl::StatusOr<std::string> ReloadIndex();
  absl::StatusOr<std::string> ReloadSeats();
  // Records the newest seat report per offering of a batch of enrollment
  // events, for replicas that start later (each replica's index follows the
  // enrollment stream itself).
  absl::Status RecordSeats(const std::vector<Event>& events);
  int64_t NowSeconds() const { return absl::ToUnixSeconds(clock_()); }

  // Catalog metrics on the admin port, next to the RPC ones.
  struct CatalogMetrics {
    prometheus::Counter* cache_hits = nullptr;
    prometheus::Counter* cache_misses = nullptr;
    prometheus::Gauge* index_programs = nullptr;
    prometheus::Gauge* index_offerings = nullptr;
    prometheus::Gauge* index_build_seconds = nullptr;
  };
  static CatalogMetrics RegisterMetrics(Metrics* metrics);
  void UpdateIndexGauges();

  const ServerOptions options_;
  const std::string city_;
  Clock clock_;
  CatalogStore store_;
  SearchIndex index_;
  SearchCache search_cache_;
  CatalogMetrics catalog_metrics_;
  PageTokenCodec tokens_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<StreamFollower> follower_;
  std::unique_ptr<StreamFollower> seats_follower_;
  std::unique_ptr<GroupConsumer> seats_recorder_;
  // Trims the catalog stream behind its readers (every replica runs one).
  std::unique_ptr<StreamTrimmer> trimmer_;
  std::vector<std::unique_ptr<PeerMirror>> mirrors_;
  std::vector<std::unique_ptr<Harvester>> harvesters_;
  Metrics* metrics_;
  RedisPool* pool_;
  // Host and pid, plus a random tail so that a restarted process with the
  // same pid is not taken for the old one.
  const std::string harvester_name_;
  absl::Notification stop_;
  std::thread indexer_;
  // The p99 of this server's live calls, for every service's bulk work.
  LivePublisher live_publisher_;
  // Where imports do their work, at bulk priority (one at a time, a few
  // queued, the rest told to retry). Last: its jobs end before anything
  // they use goes.
  HandlerPool bulk_threads_{1, 4, HandlerPool::kBulk};
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_SERVICE_H_
