#include "services/catalog/harvester.h"

#include <grpcpp/client_context.h>

#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/catalog/feed_cursor.h"
#include "services/catalog/feed_digest.h"
#include "services/catalog/peer_records.h"

namespace gnlc::catalog {
namespace {

// Buckets repaired per reconciliation at most: a mirror that differs
// everywhere is better served by a resync than by thousands of repairs.
constexpr int kMaxRepairsPerCycle = 256;

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

int64_t SequenceOf(absl::string_view cursor) {
  auto c = DecodeFeedCursor(cursor);
  return c.ok() ? c->sequence : 0;
}

}  // namespace

HarvesterOptions HarvesterOptions::FromConfig(const config::v1::FederationSettings& f) {
  HarvesterOptions o;
  if (f.harvest_poll_ms() > 0) o.poll = absl::Milliseconds(f.harvest_poll_ms());
  if (f.reconcile_interval_seconds() > 0)
    o.reconcile = absl::Seconds(f.reconcile_interval_seconds());
  if (f.peer_call_timeout_ms() > 0) o.call_timeout = absl::Milliseconds(f.peer_call_timeout_ms());
  if (f.harvest_page_size() > 0) o.page_size = std::min(f.harvest_page_size(), 1000);
  if (f.harvest_lease_ms() > 0) o.lease_ttl = absl::Milliseconds(f.harvest_lease_ms());
  return o;
}

Harvester::Harvester(std::string peer, RedisPool* pool,
                     std::unique_ptr<v1::CatalogService::StubInterface> stub,
                     HarvesterOptions options, std::string holder, HarvesterMetrics metrics)
    : peer_(std::move(peer)),
      store_(pool, peer_, options.quota),
      stub_(std::move(stub)),
      options_(options),
      holder_(std::move(holder)),
      metrics_(metrics),
      page_size_(options.page_size),
      next_reconcile_(absl::Now() + options.reconcile) {
  peer_config_.set_city_id(peer_);
}

Harvester::~Harvester() { Stop(); }

void Harvester::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Harvester::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Harvester::Run() {
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<bool> held = store_.HoldLease(holder_, options_.lease_ttl);
    if (!held.ok() || !*held) {
      // Redis is down, or another replica harvests this peer: look again
      // before its lease could run out.
      stop_.WaitForNotificationWithTimeout(options_.lease_ttl / 3);
      continue;
    }
    absl::StatusOr<absl::Duration> wait = Step();
    if (wait.ok()) {
      failures_ = 0;
      if (*wait > absl::ZeroDuration()) stop_.WaitForNotificationWithTimeout(*wait);
      continue;
    }
    RecordFailure(wait.status());
    stop_.WaitForNotificationWithTimeout(Backoff(wait.status()));
  }
  (void)store_.ReleaseLease(holder_);
}

absl::Duration Harvester::Backoff(const absl::Status& status) {
  ++failures_;
  if (auto delay = RetryDelayOf(status)) return std::min(*delay, options_.max_backoff * 4);
  const absl::Duration base =
      std::min(options_.max_backoff, absl::Milliseconds(250) * (1 << std::min(failures_, 8)));
  // Full jitter between half and all of it: peers restarted together do not
  // come back in step.
  return base * absl::Uniform(rng_, 0.5, 1.0);
}

absl::StatusOr<v1::ListProgramChangesResponse> Harvester::FetchPage(const std::string& cursor) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  v1::ListProgramChangesRequest req;
  req.set_parent(CityName(peer_));
  req.set_cursor(cursor);
  req.set_page_size(page_size_);
  v1::ListProgramChangesResponse resp;
  const grpc::Status s = stub_->ListProgramChanges(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

std::vector<MirrorWrite> Harvester::Check(
    const google::protobuf::RepeatedPtrField<v1::ProgramChange>& in) {
  std::vector<MirrorWrite> writes;
  writes.reserve(in.size());
  const absl::Time now = absl::Now();
  int64_t skipped = 0;
  for (const v1::ProgramChange& change : in) {
    CheckedChange c = CheckPeerChange(change, peer_config_, now);
    if (!c.problem.empty()) {
      ++skipped;
      LogJson(LogLevel::kWarn, "peer record skipped",
              {{"peer", peer_}, {"name", change.name().substr(0, 200)}, {"problem", c.problem}});
    }
    if (c.member.empty()) continue;
    // A tombstone drops the member; a skipped record keeps its position
    // (the digest counts it as the peer does) without a record.
    int64_t sequence = change.sequence();
    if (!c.problem.empty()) sequence = -std::max<int64_t>(1, sequence);
    if (change.deleted() && c.problem.empty()) sequence = 0;
    writes.push_back({std::move(c.member), sequence, std::move(c.bytes)});
  }
  skipped_ += skipped;
  if (metrics_.skipped != nullptr && skipped > 0) metrics_.skipped->Increment(skipped);
  return writes;
}

absl::StatusOr<absl::Duration> Harvester::Step() {
  ASSIGN_OR_RETURN(MirrorState state, store_.ReadState());
  if (state.generation == 0 && state.building == 0) {
    RETURN_IF_ERROR(store_.StartBuilding(holder_, 1));
    return absl::ZeroDuration();
  }
  const bool building = state.building != 0;
  const int64_t generation = building ? state.building : state.generation;
  const std::string& from = building ? state.build_cursor : state.cursor;
  const int64_t asked_ms = NowMs();
  absl::StatusOr<v1::ListProgramChangesResponse> page = FetchPage(from);
  if (!page.ok() && absl::IsResourceExhausted(page.status()) &&
      ErrorReason(page.status()).empty() && page_size_ > 1) {
    // Our own limit on what we receive (4 MiB), not the peer's rate limit
    // (which carries a reason): ask for smaller pages from now on.
    page_size_ = std::max(1, page_size_ / 4);
    LogJson(LogLevel::kWarn, "peer page too large: asking for smaller pages",
            {{"peer", peer_}, {"page_size", absl::StrCat(page_size_)}});
    return absl::ZeroDuration();
  }
  if (!page.ok()) {
    if (absl::IsFailedPrecondition(page.status()) && ErrorReason(page.status()) == "FEED_RESET") {
      LogJson(LogLevel::kWarn, "peer feed reset: harvesting a new generation",
              {{"peer", peer_}, {"generation", absl::StrCat(generation + 1)}});
      RETURN_IF_ERROR(store_.StartBuilding(holder_, std::max(state.generation, state.building) + 1,
                                           state.building));
      return absl::ZeroDuration();
    }
    return page.status();
  }
  // A page that claims more but does not move on would loop for ever (a
  // resumption token that never ends), and one that moves back would
  // apply old changes over new ones.
  auto to = DecodeFeedCursor(page->next_cursor()), at = DecodeFeedCursor(from);
  if (!to.ok() || !at.ok() || (page->has_more() && page->next_cursor() == from) ||
      (to->epoch == at->epoch && to->sequence < at->sequence)) {
    return MakeError(absl::StatusCode::kDataLoss, "BAD_PEER_CURSOR",
                     "the peer's next_cursor does not move forward from ours");
  }
  const std::vector<MirrorWrite> writes = Check(page->changes());
  // Known complete as of when we asked, once the feed is read to its end.
  const int64_t as_of = !page->has_more() && !building ? asked_ms : 0;
  ASSIGN_OR_RETURN(int64_t refused, store_.Apply(holder_, generation, building, from,
                                                 page->next_cursor(), writes, as_of));
  CountOverQuota(refused, !writes.empty());
  RecordSuccess(state, *page, building);
  if (page->has_more()) return absl::ZeroDuration();
  if (building) {
    state.build_cursor = page->next_cursor();
    RETURN_IF_ERROR(store_.Swap(holder_, state));
    RETURN_IF_ERROR(store_.SetAsOf(holder_, asked_ms));
    LogJson(LogLevel::kInfo, "peer mirror generation complete",
            {{"peer", peer_}, {"generation", absl::StrCat(state.building)}});
    next_reconcile_ = absl::Now() + options_.reconcile;
    return absl::ZeroDuration();
  }
  if (const absl::Time now = absl::Now(); now >= next_reconcile_) {
    next_reconcile_ = now + options_.reconcile;
    state.cursor = page->next_cursor();
    if (absl::Status s = Reconcile(state); !s.ok()) {
      // Shown like any failed call, and tried again sooner than a full
      // interval; the harvest itself carries on meanwhile.
      RecordFailure(s);
      next_reconcile_ = now + std::min(options_.reconcile, absl::Minutes(5));
    }
  }
  return options_.poll;
}

void Harvester::RecordSuccess(const MirrorState& state, const v1::ListProgramChangesResponse& page,
                              bool building) {
  const int64_t applied = SequenceOf(page.next_cursor());
  const int64_t lag = std::max<int64_t>(0, page.head_sequence() - applied);
  double lag_seconds = 0;
  if (lag > 0 && page.changes_size() > 0 && page.has_head_change_time()) {
    lag_seconds = std::max(
        0.0, absl::ToDoubleSeconds(TimeFromTimestamp(page.head_change_time()) -
                                   TimeFromTimestamp(page.changes().rbegin()->change_time())));
  }
  v1::PeerState s = v1::PEER_STATE_CAUGHT_UP;
  if (building) {
    s = state.generation == 0 ? v1::PEER_STATE_SYNCING : v1::PEER_STATE_RESYNCING;
  } else if (page.has_more()) {
    s = v1::PEER_STATE_LAGGING;
  }
  SetState(s);
  const int64_t now = NowMs();
  (void)store_.WriteStatus({{"state", v1::PeerState_Name(s)},
                            {"last_success_ms", std::to_string(now)},
                            {"lag_changes", std::to_string(lag)},
                            {"lag_seconds", absl::StrCat(lag_seconds)},
                            {"skipped", std::to_string(skipped_)},
                            {"over_quota", std::to_string(over_quota_)},
                            {"at_quota", at_quota_ ? "1" : "0"},
                            {"harvester", holder_}});
  if (metrics_.lag_changes != nullptr) metrics_.lag_changes->Set(static_cast<double>(lag));
  if (metrics_.lag_seconds != nullptr) metrics_.lag_seconds->Set(lag_seconds);
  if (metrics_.last_success != nullptr) metrics_.last_success->Set(static_cast<double>(now) / 1000);
}

void Harvester::CountOverQuota(int64_t refused, bool wrote) {
  if (wrote) at_quota_ = refused > 0;
  if (refused == 0) return;
  over_quota_ += refused;
  if (metrics_.over_quota != nullptr) metrics_.over_quota->Increment(static_cast<double>(refused));
  LogJson(LogLevel::kWarn, "peer mirror at its quota: records refused",
          {{"peer", peer_}, {"refused", absl::StrCat(refused)}});
}

void Harvester::SetState(v1::PeerState state) {
  for (size_t i = 0; i < metrics_.state.size(); ++i) {
    if (metrics_.state[i] != nullptr) metrics_.state[i]->Set(static_cast<int>(i) == state ? 1 : 0);
  }
}

void Harvester::RecordFailure(const absl::Status& failure) {
  absl::Status status = failure;
  if (identity_ != nullptr && !status.ok()) {
    if (const std::string presented = identity_->LastMismatch(); !presented.empty()) {
      status =
          MakeError(absl::StatusCode::kPermissionDenied, "PEER_IDENTITY_MISMATCH",
                    absl::StrCat("the server at the peer's address is not ", identity_->spiffe_id(),
                                 ": it presented ", presented, "; nothing was harvested"));
    }
  }
  SetState(v1::PEER_STATE_UNREACHABLE);
  LogJson(LogLevel::kWarn, "peer harvest failed",
          {{"peer", peer_},
           {"code", absl::StatusCodeToString(status.code())},
           {"error", std::string(status.message()).substr(0, 300)}});
  if (metrics_.failures != nullptr) metrics_.failures->Increment();
  (void)store_.WriteStatus({{"state", v1::PeerState_Name(v1::PEER_STATE_UNREACHABLE)},
                            {"error_code", absl::StatusCodeToString(status.code())},
                            {"error_message", std::string(status.message()).substr(0, 300)},
                            {"error_ms", std::to_string(NowMs())},
                            {"harvester", holder_}});
}

absl::Status Harvester::Reconcile(const MirrorState& state) {
  const int buckets = options_.digest_buckets;
  auto call = [&](v1::GetFeedDigestRequest req) -> absl::StatusOr<v1::GetFeedDigestResponse> {
    grpc::ClientContext ctx;
    // A digest reads the whole log at the peer: give it more time.
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout * 4));
    req.set_parent(CityName(peer_));
    req.set_bucket_count(buckets);
    v1::GetFeedDigestResponse resp;
    const grpc::Status s = stub_->GetFeedDigest(&ctx, req, &resp);
    if (!s.ok()) return FromGrpcStatus(s);
    return resp;
  };
  ASSIGN_OR_RETURN(v1::GetFeedDigestResponse theirs, call({}));
  ASSIGN_OR_RETURN(FeedCursor as_of, DecodeFeedCursor(theirs.cursor()));
  ASSIGN_OR_RETURN(FeedCursor ours, DecodeFeedCursor(state.cursor));
  if (theirs.buckets_size() != buckets || as_of.epoch != ours.epoch) {
    return absl::OkStatus();  // a reset is on its way: the feed will say so
  }
  // Compare what both hold up to the digest's position. Changes since then
  // are left out on both sides (we may not have harvested them yet).
  // What we hold: the records themselves (not an index of them, which
  // could differ from them), and the positions of skipped records.
  FeedDigest mine(buckets);
  absl::flat_hash_map<std::string, int64_t> sequences;
  auto hold = [&](absl::string_view m, int64_t seq) {
    if (seq <= as_of.sequence) mine.Add(m, seq);
    sequences.emplace(m, seq);
  };
  RETURN_IF_ERROR(
      store_.LoadGeneration(state.generation, [&](absl::string_view m, absl::string_view bytes) {
        v1::ProgramChange c;
        if (c.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          hold(m, c.sequence());
        }
      }));
  RETURN_IF_ERROR(store_.ScanSequences(state.generation, [&](absl::string_view m, int64_t seq) {
    if (seq < 0) hold(m, -seq);
  }));
  int repaired = 0, differing = 0;
  for (int b = 0; b < buckets && differing < kMaxRepairsPerCycle; ++b) {
    if (mine.counts()[b] == theirs.buckets(b).count() &&
        mine.hashes()[b] == theirs.buckets(b).hash()) {
      continue;
    }
    ++differing;
    // Their records of the bucket, every page.
    absl::flat_hash_map<std::string, v1::ProgramChange> records;
    v1::GetFeedDigestRequest req;
    req.set_records(true);
    req.set_bucket(b);
    do {
      ASSIGN_OR_RETURN(v1::GetFeedDigestResponse page, call(req));
      for (v1::ProgramChange& c : *page.mutable_changes()) {
        std::string member = MemberOfName(c.name());
        if (!member.empty() && FeedBucketOf(member, buckets) == b) {
          records[std::move(member)] = std::move(c);
        }
      }
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    google::protobuf::RepeatedPtrField<v1::ProgramChange> fix;
    for (auto& [member, change] : records) {
      auto it = sequences.find(member);
      if (it == sequences.end() || it->second != change.sequence()) *fix.Add() = change;
    }
    std::vector<MirrorWrite> writes = Check(fix);
    for (const auto& [member, seq] : sequences) {
      if (seq <= as_of.sequence && FeedBucketOf(member, buckets) == b &&
          !records.contains(member)) {
        writes.push_back({member, 0, ""});  // gone at the origin
      }
    }
    if (writes.empty()) continue;
    repaired += static_cast<int>(writes.size());
    ASSIGN_OR_RETURN(int64_t refused, store_.Apply(holder_, state.generation, false, state.cursor,
                                                   state.cursor, writes, 0));
    CountOverQuota(refused, true);
  }
  LogJson(LogLevel::kInfo, "peer mirror reconciled",
          {{"peer", peer_},
           {"buckets_differing", absl::StrCat(differing)},
           {"records_repaired", absl::StrCat(repaired)}});
  if (metrics_.repaired != nullptr && repaired > 0) metrics_.repaired->Increment(repaired);
  return store_.WriteStatus(
      {{"reconciled_ms", std::to_string(NowMs())}, {"repaired", std::to_string(repaired)}});
}

}  // namespace gnlc::catalog
