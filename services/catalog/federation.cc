// The catalog's side of federation: a harvester and a mirror per peer city
// (harvester.h, peer_mirror.h), reads of peers' names from their mirrors,
// refusal of writes to them, the indexes a search covers, and each peer's
// status.
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/transport_credentials.h"
#include "common/events/group_consumer.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_views.h"

namespace gnlc::catalog {
namespace {

constexpr int kMaxOriginCities = 20;

}  // namespace

void CatalogService::ReadSource::Mark(Program& program) const {
  if (!mirror) return;
  program.set_origin_city(city);
  if (as_of) *program.mutable_mirrored_as_of() = TimestampFromTime(*as_of);
}

void CatalogService::ReadSource::Mark(Offering& offering) const {
  if (mirror && as_of) *offering.mutable_mirrored_as_of() = TimestampFromTime(*as_of);
}

HarvesterMetrics CatalogService::PeerMetrics(const std::string& peer) const {
  HarvesterMetrics m;
  if (metrics_ == nullptr) return m;
  auto& registry = metrics_->registry();
  const std::map<std::string, std::string> labels = {{"peer", peer}};
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
  };
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
  };
  m.lag_changes =
      gauge("gnlc_catalog_peer_lag_changes", "Changes of the peer's feed not yet in our mirror");
  m.lag_seconds = gauge("gnlc_catalog_peer_lag_seconds",
                        "How much older our newest mirrored change is than the peer's");
  m.last_success = gauge("gnlc_catalog_peer_last_success_timestamp_seconds",
                         "When a harvest call to the peer last succeeded");
  m.skipped = counter("gnlc_catalog_peer_records_skipped_total",
                      "Peer records not mirrored: another city's, invalid or oversized");
  m.failures = counter("gnlc_catalog_peer_harvest_failures_total",
                       "Failed harvest steps (the peer down, slow or refusing)");
  m.repaired = counter("gnlc_catalog_peer_records_repaired_total",
                       "Mirror records put right by digest reconciliation");
  m.over_quota = counter("gnlc_catalog_peer_records_over_quota_total",
                         "Peer records refused because the mirror was at its quota");
  auto& states = prometheus::BuildGauge()
                     .Name("gnlc_catalog_peer_state")
                     .Help("1 for the state the peer's mirror is in (PeerState), else 0")
                     .Register(registry);
  for (int st = 0; st < static_cast<int>(m.state.size()); ++st) {
    m.state[st] = &states.Add(
        {{"peer", peer}, {"state", pb::PeerState_Name(static_cast<pb::PeerState>(st))}});
  }
  return m;
}

void CatalogService::StartFederation() {
  const CityConfig& city = options_.city;
  const bool has_certificates = !city.federation().network_ca_file().empty();
  const HarvesterOptions harvest = HarvesterOptions::FromConfig(city.federation());
  const std::string& holder = harvester_name_;
  for (const config::v1::PeerCity& peer : city.peers()) {
    auto mirror = std::make_unique<PeerMirror>(options_.redis, pool_, peer.city_id());
    if (metrics_ != nullptr) {
      auto& records = prometheus::BuildGauge()
                          .Name("gnlc_catalog_peer_records")
                          .Help("A peer's programs and offerings in this replica's mirror index")
                          .Register(metrics_->registry());
      mirror->SetGauges(
          &records.Add({{"peer", peer.city_id()}, {"kind", "program"}}),
          &records.Add({{"peer", peer.city_id()}, {"kind", "offering"}}),
          &prometheus::BuildGauge()
               .Name("gnlc_catalog_peer_generation")
               .Help("The mirror generation this replica serves (a new one per reset)")
               .Register(metrics_->registry())
               .Add({{"peer", peer.city_id()}}));
      auto& pages = prometheus::BuildCounter()
                        .Name("gnlc_catalog_mirror_search_cache_total")
                        .Help(
                            "A peer's part of network searches reused from its page cache "
                            "(hit) or searched (miss)")
                        .Register(metrics_->registry());
      mirror->page_cache().SetCounters(&pages.Add({{"peer", peer.city_id()}, {"result", "hit"}}),
                                       &pages.Add({{"peer", peer.city_id()}, {"result", "miss"}}));
    }
    mirror->Start();
    mirrors_.push_back(std::move(mirror));
    if (peer.catalog_address().empty() || !has_certificates) continue;
    auto identity = std::make_shared<auth::PeerIdentity>(peer.city_id());
    auto stub = pb::CatalogService::NewStub(
        grpc::CreateChannel(peer.catalog_address(), auth::PeerChannelCredentials(city, identity)));
    const HarvesterMetrics m = PeerMetrics(peer.city_id());
    HarvesterOptions options = harvest;
    if (peer.max_records() > 0) options.quota.max_records = peer.max_records();
    if (peer.max_bytes() > 0) options.quota.max_bytes = peer.max_bytes();
    auto harvester =
        std::make_unique<Harvester>(peer.city_id(), pool_, std::move(stub), options, holder, m);
    harvester->SetIdentity(std::move(identity));
    harvester->Start();
    harvesters_.push_back(std::move(harvester));
  }
}

bool CatalogService::ready() const {
  if (!ready_.load()) return false;
  for (const auto& m : mirrors_) {
    if (!m->loaded()) return false;
  }
  return true;
}

const PeerMirror* CatalogService::MirrorOf(absl::string_view city) const {
  for (const auto& m : mirrors_) {
    if (m->peer() == city) return m.get();
  }
  return nullptr;
}

absl::StatusOr<CatalogService::ReadSource> CatalogService::SourceOf(absl::string_view name) const {
  ReadSource source;
  source.city = city_;
  const absl::string_view city = CityOfName(name);
  if (city == city_) return source;
  const PeerMirror* mirror = MirrorOf(city);
  if (mirror == nullptr) return source;  // parsing with our city says what is wrong
  source.city = std::string(city);
  source.mirror = mirror->index();
  source.as_of = mirror->as_of();
  if (source.mirror == nullptr) {
    // Nothing of the peer is known here yet (its first harvest is not
    // complete): the name is not found, as it would be in an empty mirror.
    return NotFound("NOT_MIRRORED_YET",
                    absl::StrCat(name.substr(0, 200), " is not known here: the first harvest of ",
                                 city, "'s catalog is not complete yet"),
                    {{"owner", std::string(city)}});
  }
  return source;
}

absl::Status CatalogService::RefuseMirrored(absl::string_view name) const {
  const absl::string_view city = CityOfName(name);
  if (city.empty() || city == city_ || MirrorOf(city) == nullptr) return absl::OkStatus();
  return FailedPrecondition(
      "OWNED_BY_PEER",
      absl::StrCat(name, " belongs to ", city, ", whose catalog we only mirror: change it there"),
      {{"owner", std::string(city)}});
}

absl::StatusOr<std::vector<CatalogService::ReadSource>> CatalogService::SearchSources(
    const pb::SearchProgramsRequest& req) const {
  if (req.origin_cities_size() > kMaxOriginCities) {
    return InvalidArgument("TOO_MANY_VALUES", "origin_cities takes at most 20 cities",
                           {{"field", "origin_cities"}});
  }
  if (!pb::SearchScope_IsValid(req.scope())) {
    return InvalidArgument("INVALID_SCOPE", "scope must be a SearchScope value",
                           {{"field", "scope"}});
  }
  for (const std::string& c : req.origin_cities()) {
    if (c != city_ && MirrorOf(c) == nullptr) {
      return InvalidArgument("UNKNOWN_CITY",
                             absl::StrCat("origin_cities: '", c.substr(0, 64),
                                          "' is neither this city nor a peer we mirror"),
                             {{"field", "origin_cities"}});
    }
  }
  auto wanted = [&](absl::string_view c) {
    if (req.origin_cities_size() > 0) {
      return std::find(req.origin_cities().begin(), req.origin_cities().end(), c) !=
             req.origin_cities().end();
    }
    return c == city_ || req.scope() == pb::SEARCH_SCOPE_NETWORK;
  };
  std::vector<ReadSource> sources;
  if (wanted(city_)) sources.push_back({city_, nullptr, std::nullopt});
  for (const auto& m : mirrors_) {
    if (!wanted(m->peer())) continue;
    ReadSource s{m->peer(), m->index(), m->as_of(), &m->page_cache()};
    if (s.mirror != nullptr) sources.push_back(std::move(s));
  }
  return sources;
}

uint64_t CatalogService::SearchGeneration() const {
  uint64_t generation = index_.generation();
  for (const auto& m : mirrors_) {
    if (auto index = m->index()) generation += index->generation();
    // A swapped-in index starts its generation afresh: count swaps apart,
    // high up, so the sum never repeats an earlier one.
    generation += m->swaps() << 40;
  }
  return generation;
}

absl::Status CatalogService::DoListPeerStatuses(const pb::ListPeerStatusesRequest& req,
                                                pb::ListPeerStatusesResponse& resp) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  for (const config::v1::PeerCity& peer : options_.city.peers()) {
    pb::PeerStatus* out = resp.add_peers();
    out->set_city(peer.city_id());
    if (const PeerMirror* m = MirrorOf(peer.city_id())) {
      out->set_generation(m->generation());
      if (auto index = m->index()) {
        out->set_programs(static_cast<int64_t>(index->program_count()));
        out->set_offerings(static_cast<int64_t>(index->offering_count()));
      }
      if (auto as_of = m->as_of()) *out->mutable_mirrored_as_of() = TimestampFromTime(*as_of);
    }
    if (peer.catalog_address().empty()) {
      out->set_last_error_message("no catalog_address configured for this peer: not harvested");
      continue;
    }
    ASSIGN_OR_RETURN(auto status, MirrorStore(pool_, peer.city_id()).ReadStatus());
    auto field = [&](const char* name) { return status[name]; };
    auto millis = [&](const char* name) {
      int64_t ms = 0;
      return absl::SimpleAtoi(field(name), &ms) && ms > 0
                 ? std::optional<absl::Time>(absl::FromUnixMillis(ms))
                 : std::nullopt;
    };
    pb::PeerState state = pb::PEER_STATE_SYNCING;
    if (!pb::PeerState_Parse(field("state"), &state)) state = pb::PEER_STATE_SYNCING;
    // Harvested, but not yet loaded into this replica's index (a few
    // seconds at 100,000 programs): not searchable here yet.
    if (out->generation() == 0 &&
        (state == pb::PEER_STATE_CAUGHT_UP || state == pb::PEER_STATE_LAGGING)) {
      state = pb::PEER_STATE_SYNCING;
    }
    out->set_state(state);
    if (auto t = millis("last_success_ms"))
      *out->mutable_last_success_time() = TimestampFromTime(*t);
    if (auto t = millis("error_ms")) *out->mutable_last_error_time() = TimestampFromTime(*t);
    out->set_last_error_code(field("error_code"));
    out->set_last_error_message(field("error_message"));
    int64_t n = 0;
    if (absl::SimpleAtoi(field("lag_changes"), &n)) out->set_lag_changes(n);
    if (absl::SimpleAtoi(field("skipped"), &n)) out->set_records_skipped(n);
    if (absl::SimpleAtoi(field("over_quota"), &n)) out->set_records_over_quota(n);
    out->set_over_quota(field("at_quota") == "1");
    double seconds = 0;
    if (absl::SimpleAtod(field("lag_seconds"), &seconds)) out->set_lag_seconds(seconds);
    out->set_harvester(field("harvester"));
  }
  return absl::OkStatus();
}

}  // namespace gnlc::catalog
