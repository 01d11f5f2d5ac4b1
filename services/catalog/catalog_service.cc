#include "services/catalog/catalog_service.h"

#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace gnlc::catalog {

namespace {
// GNLC_SEARCH_CACHE_ENTRIES: how many search responses to keep (default
// 2000, about 25 MB at 20 results per page; 0 turns the cache off, e.g. to
// measure the search itself).
size_t SearchCacheEntries() {
  const char* value = std::getenv("GNLC_SEARCH_CACHE_ENTRIES");
  size_t entries = 2000;
  if (value != nullptr && !absl::SimpleAtoi(value, &entries)) entries = 2000;
  return entries;
}
}  // namespace

CatalogService::CatalogService(const ServerOptions& options, RedisPool* pool, Metrics* metrics,
                               Clock clock)
    : RpcService(MakeRpcEdge(options, metrics, "catalog.gnlc.org")),
      options_(options),
      city_(options.city.city_id()),
      clock_(std::move(clock)),
      store_(pool),
      search_cache_(SearchCacheEntries()),
      catalog_metrics_(RegisterMetrics(metrics)),
      tokens_(options.page_token_secret),
      metrics_(metrics),
      pool_(pool),
      harvester_name_(absl::StrCat(DefaultConsumerName(), "-", NewId('h'))),
      live_publisher_(pool, "catalog") {
  ServeRpcs();
}

CatalogService::CatalogMetrics CatalogService::RegisterMetrics(Metrics* metrics) {
  CatalogMetrics m;
  if (metrics == nullptr) return m;
  auto& registry = metrics->registry();
  auto& cache = prometheus::BuildCounter()
                    .Name("gnlc_catalog_search_cache_total")
                    .Help("SearchPrograms answered from the result cache (hit) or computed (miss)")
                    .Register(registry);
  m.cache_hits = &cache.Add({{"result", "hit"}});
  m.cache_misses = &cache.Add({{"result", "miss"}});
  auto& index = prometheus::BuildGauge()
                    .Name("gnlc_catalog_index_records")
                    .Help("Programs and offerings in this replica's search index")
                    .Register(registry);
  m.index_programs = &index.Add({{"kind", "program"}});
  m.index_offerings = &index.Add({{"kind", "offering"}});
  m.index_build_seconds = &prometheus::BuildGauge()
                               .Name("gnlc_catalog_index_build_seconds")
                               .Help("How long the last index build from Redis took")
                               .Register(registry)
                               .Add({});
  return m;
}

void CatalogService::UpdateIndexGauges() {
  if (catalog_metrics_.index_programs == nullptr) return;
  catalog_metrics_.index_programs->Set(static_cast<double>(index_.program_count()));
  catalog_metrics_.index_offerings->Set(static_cast<double>(index_.offering_count()));
}

CatalogService::~CatalogService() { Stop(); }

absl::Status CatalogService::Start() {
  StartFederation();
  indexer_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      const absl::Status s = BuildIndex();
      if (s.ok()) return;
      LogJson(LogLevel::kWarn, "index build failed, retrying",
              {{"error", std::string(s.message())}});
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
    }
  });
  return absl::OkStatus();
}

absl::Status CatalogService::BuildIndex() {
  const absl::Time start = absl::Now();
  // The stream position first: events after it are replayed on top of the
  // snapshot, and versions make the overlap harmless.
  ASSIGN_OR_RETURN(std::string tail, ReloadIndex());
  ASSIGN_OR_RETURN(std::string seats_tail, ReloadSeats());
  const StreamRetention retention = StreamRetention::FromEnvironment();
  follower_ = std::make_unique<StreamFollower>(
      options_.redis, kCatalogStream, tail,
      [this](const Event& e) {
        index_.ApplyEvent(e);
        UpdateIndexGauges();
      },
      FollowerOptions{.reader = "catalog-index/" + harvester_name_,
                      .on_gap = [this] { return ReloadIndex(); },
                      .report_every = retention.every});
  follower_->Start();
  seats_follower_ = std::make_unique<StreamFollower>(
      options_.redis, kEnrollmentStream, seats_tail,
      [this](const Event& e) {
        if (e.has_seats_changed()) index_.ApplyEvent(e);
      },
      FollowerOptions{.reader = "catalog-seats/" + harvester_name_,
                      .on_gap = [this] { return ReloadSeats(); },
                      .report_every = retention.every});
  seats_follower_->Start();
  trimmer_ =
      std::make_unique<StreamTrimmer>(pool_, TrimmerOptions{.stream = kCatalogStream}, retention);
  trimmer_->Start();
  // One consumer group for all replicas: each seat report is recorded once.
  // At bulk priority: an import floods the stream, and residents' calls come
  // first (search's seat counts are a moment late, never wrong).
  seats_recorder_ = std::make_unique<GroupConsumer>(
      options_.redis,
      GroupConsumerOptions{.stream = kEnrollmentStream,
                           .group = kCatalogSeatsGroup,
                           .consumer = DefaultConsumerName(),
                           .bulk = true},
      GroupConsumer::BatchHandler([this](const std::vector<Event>& e) { return RecordSeats(e); }));
  seats_recorder_->Start();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  LogJson(LogLevel::kInfo, "index built",
          {{"programs", absl::StrCat(index_.program_count())},
           {"offerings", absl::StrCat(index_.offering_count())},
           {"seconds", absl::StrCat(seconds)}});
  if (catalog_metrics_.index_build_seconds != nullptr) {
    catalog_metrics_.index_build_seconds->Set(seconds);
  }
  UpdateIndexGauges();
  ready_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::string> CatalogService::ReloadIndex() {
  ASSIGN_OR_RETURN(std::string tail, store_.StreamTail());
  absl::flat_hash_set<std::string> programs;
  RETURN_IF_ERROR(store_.LoadAll(
      [&](Program p) {
        programs.insert(std::string(LastSegment(p.name())));
        index_.UpsertProgram(p);
      },
      [&](Offering o) { index_.UpsertOffering(o); }));
  // Deleted while this replica was away: their deletion events are gone.
  for (const std::string& id : index_.ProgramIds()) {
    if (!programs.contains(id)) index_.RemoveProgram(id);
  }
  UpdateIndexGauges();
  return tail;
}

// The seats the recorder group wrote to the store, and where the follower
// goes on from: the group's position (reports after it are not in the store
// yet), or, if the stream was trimmed past that, its first entry left (the
// seats enrollment publishes again after such a trim come after it). Seat
// reports carry versions, so one read twice changes nothing.
absl::StatusOr<std::string> CatalogService::ReloadSeats() {
  ASSIGN_OR_RETURN(std::string from, store_.StreamTail(kEnrollmentStream));
  ASSIGN_OR_RETURN(std::vector<GroupNeed> groups,
                   GroupNeeds(CommandsOf(*pool_), kEnrollmentStream));
  for (const GroupNeed& g : groups) {
    if (g.group == kCatalogSeatsGroup) from = g.needed;
  }
  ASSIGN_OR_RETURN(RedisReply trimmed, pool_->Command({"GET", TrimmedKey(kEnrollmentStream)}));
  if (!trimmed.view().is_nil() && MissedEntries(from, trimmed.view().str())) {
    from = StreamIdBefore(trimmed.view().str());
  }
  RETURN_IF_ERROR(store_.LoadSeats([&](absl::string_view offering_id, int32_t taken) {
    index_.SetSeatsTaken(offering_id, taken);
  }));
  return from;
}

absl::Status CatalogService::RecordSeats(const std::vector<Event>& events) {
  // A batch often holds many reports of one busy offering: write the newest.
  absl::flat_hash_map<std::string, CatalogStore::SeatReport> newest;
  for (const Event& e : events) {
    if (!e.has_seats_changed()) continue;
    auto ref = ParseOfferingName(e.seats_changed().seats().offering(), city_, "offering");
    if (!ref.ok()) continue;  // not one of ours
    CatalogStore::SeatReport& r = newest[ref->offering_id];
    if (e.seats_changed().version() <= r.version) continue;
    r = {ref->offering_id, e.seats_changed().version(), e.seats_changed().seats().taken()};
  }
  std::vector<CatalogStore::SeatReport> reports;
  reports.reserve(newest.size());
  for (auto& [id, report] : newest) reports.push_back(std::move(report));
  return store_.ApplySeats(reports);
}

void CatalogService::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (auto& h : harvesters_) h->Stop();
  for (auto& m : mirrors_) m->Stop();
  if (indexer_.joinable()) indexer_.join();
  if (trimmer_ != nullptr) trimmer_->Stop();
  if (seats_recorder_ != nullptr) seats_recorder_->Stop();
  if (seats_follower_ != nullptr) seats_follower_->Stop();
  if (follower_ != nullptr) follower_->Stop();
}

bool CatalogService::SeesDrafts(const CallAuth& call) {
  return call.caller.role == auth::Role::kCityAdmin || call.caller.role == auth::Role::kService;
}

absl::Status CatalogService::CheckReady() const {
  if (ready_) return absl::OkStatus();
  return Unavailable("INDEX_LOADING", "the catalog is starting up, retry in a moment");
}

// The RPCs: each hands its logic to the common edge (parsing, permissions,
// status mapping, metrics, logs). The logic lives in program_rpcs.cc,
// offering_rpcs.cc, search_rpc.cc, change_feed_rpc.cc and federation.cc.
void CatalogService::ServeRpcs() {
  Rpc(&CatalogService::DoCreateProgram);
  Rpc(&CatalogService::DoGetProgram);
  Rpc(&CatalogService::DoUpdateProgram);
  Rpc(&CatalogService::DoDeleteProgram);
  Rpc(&CatalogService::DoListPrograms);
  Rpc(&CatalogService::DoSearchPrograms);
  Rpc(&CatalogService::DoCreateOffering);
  Rpc(&CatalogService::DoGetOffering);
  Rpc(&CatalogService::DoUpdateOffering);
  Rpc(&CatalogService::DoCancelOffering);
  Rpc(&CatalogService::DoListOfferings);
  Rpc(&CatalogService::DoBatchGetOfferings);
  Rpc(&CatalogService::DoListProgramChanges);
  Rpc(&CatalogService::DoGetFeedDigest);
  Rpc(&CatalogService::DoListPeerStatuses);
  Rpc(&CatalogService::DoImportCatalogHistory);
  CheckAllServed();
}

}  // namespace gnlc::catalog
