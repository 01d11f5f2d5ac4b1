#include "services/analytics/ingester.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"

namespace gnlc::analytics {
namespace {

// Fields of one XINFO GROUPS entry (a flat name, value, ... array).
ReplyView FieldOf(const ReplyView& group, absl::string_view name, bool& found) {
  for (size_t i = 0; i + 1 < group.size(); i += 2) {
    if (group[i].str() == name) {
      found = true;
      return group[i + 1];
    }
  }
  found = false;
  return group;
}

constexpr absl::Duration kLagPollEvery = absl::Milliseconds(500);

}  // namespace

const std::vector<std::string>& Ingester::Streams() {
  static const auto* streams =
      new std::vector<std::string>{kEnrollmentStream, kCatalogStream, kPartnershipStream};
  return *streams;
}

Ingester::Ingester(RedisOptions redis, RedisPool* pool, CountingRules rules,
                   prometheus::Registry* registry, enrollment::StatisticsClient* enrollment,
                   catalog::CatalogClient* catalog, std::string city, std::string consumer)
    : redis_(std::move(redis)),
      pool_(pool),
      rules_(rules),
      consumer_(std::move(consumer)),
      store_(pool),
      bulk_(pool) {
  if (enrollment != nullptr) recount_ = std::make_unique<Recount>(pool, &store_, enrollment, rules);
  if (catalog != nullptr) {
    program_recount_ = std::make_unique<ProgramRecount>(pool, &store_, catalog, std::move(city));
  }
  auto& lag = prometheus::BuildGauge()
                  .Name("gnlc_analytics_consumer_lag")
                  .Help("Entries of a stream not yet read by the analytics consumer group")
                  .Register(*registry);
  auto& pending = prometheus::BuildGauge()
                      .Name("gnlc_analytics_consumer_pending")
                      .Help("Entries read by the analytics group and not yet acknowledged")
                      .Register(*registry);
  auto& applied = prometheus::BuildCounter()
                      .Name("gnlc_analytics_events_applied_total")
                      .Help("Events this process applied to the indicators")
                      .Register(*registry);
  auto& dups = prometheus::BuildCounter()
                   .Name("gnlc_analytics_events_duplicate_total")
                   .Help("Redelivered events found already applied and skipped")
                   .Register(*registry);
  for (const auto& s : Streams()) {
    metrics_.push_back({&lag.Add({{"stream", s}}), &pending.Add({{"stream", s}}),
                        &applied.Add({{"stream", s}}), &dups.Add({{"stream", s}})});
  }
}

Ingester::~Ingester() { Stop(); }

void Ingester::Start() {
  // A recount as a group's answer to a gap: counted, and cached answers
  // dropped.
  const auto recounting = [this](auto* recount, std::atomic<int64_t>* done) {
    return [this, recount, done]() -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(std::string from, recount->Run(stop_));
      done->fetch_add(1);
      on_applied_();
      return from;
    };
  };
  for (const auto& stream : Streams()) {
    // Bulk priority: nobody waits on a call for the indicators to move.
    GroupConsumerOptions options{
        .stream = stream, .group = kAnalyticsGroup, .consumer = consumer_, .bulk = true};
    if (stream == kCatalogStream && program_recount_ != nullptr) {
      options.on_gap = recounting(program_recount_.get(), &program_recounts_);
    }
    if (stream == kEnrollmentStream && recount_ != nullptr) {
      options.on_gap = recounting(recount_.get(), &recounts_);
    }
    consumers_.push_back(std::make_unique<GroupConsumer>(
        redis_, options,
        GroupConsumer::BatchHandler([this, stream](const std::vector<Event>& events) {
          return ApplyBatch(stream, events);
        })));
    consumers_.back()->Start();
  }
  lag_thread_ = std::thread([this] { PollLag(); });
}

void Ingester::Stop() {
  // First: a recount waiting for the enrollment service ends.
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (auto& c : consumers_) c->Stop();
  consumers_.clear();
  if (lag_thread_.joinable()) lag_thread_.join();
}

absl::Status Ingester::ApplyBatch(const std::string& stream, const std::vector<Event>& events) {
  const size_t index = static_cast<size_t>(std::find(Streams().begin(), Streams().end(), stream) -
                                           Streams().begin());
  std::vector<const Event*> todo;
  todo.reserve(events.size());
  for (const Event& e : events) {
    // Counted by a recount from its record already.
    if (recount_ != nullptr && stream == kEnrollmentStream && recount_->Skips(e)) continue;
    todo.push_back(&e);
  }
  return bulk_.ForEachChunk(
      absl::StrCat("apply ", stream), todo.size(), absl::InfiniteFuture(),
      [&](size_t begin, size_t end) {
        return ApplyEvents(
            stream, index,
            std::vector<const Event*>(todo.begin() + static_cast<std::ptrdiff_t>(begin),
                                      todo.begin() + static_cast<std::ptrdiff_t>(end)));
      });
}

absl::Status Ingester::ApplyEvents(const std::string& stream, size_t index,
                                   std::vector<const Event*> todo) {
  // A duplicate found by the script means another consumer (or an earlier
  // life of this one) applied it: plan again without it. Each round removes
  // at least one event, so this ends.
  while (!todo.empty()) {
    IngestPlan plan(rules_);
    for (const Event* e : todo) plan.Add(*e);
    ASSIGN_OR_RETURN(std::vector<std::string> dups, store_.Apply(stream, kAnalyticsGroup, plan));
    if (dups.empty()) {
      applied_ += static_cast<int64_t>(todo.size());
      metrics_[index].applied->Increment(static_cast<double>(todo.size()));
      on_applied_();
      return absl::OkStatus();
    }
    const absl::flat_hash_set<std::string> skip(dups.begin(), dups.end());
    metrics_[index].duplicates->Increment(static_cast<double>(skip.size()));
    todo.erase(std::remove_if(
                   todo.begin(), todo.end(),
                   [&](const Event* e) { return skip.contains(IngestPlan::PadStreamId(e->id())); }),
               todo.end());
  }
  return absl::OkStatus();
}

absl::StatusOr<StreamLag> Ingester::Lag(absl::string_view stream) {
  StreamLag lag;
  ASSIGN_OR_RETURN(RedisReply len, pool_->Command({"XLEN", stream}));
  auto groups = pool_->Command({"XINFO", "GROUPS", stream});
  if (!groups.ok()) {
    // No stream yet: nothing to read.
    return lag;
  }
  const ReplyView all = groups->view();
  for (size_t g = 0; g < all.size(); ++g) {
    bool found = false;
    if (FieldOf(all[g], "name", found).str() != kAnalyticsGroup) continue;
    lag.pending = FieldOf(all[g], "pending", found).integer();
    const ReplyView l = FieldOf(all[g], "lag", found);
    if (found && l.is_integer()) {
      lag.undelivered = l.integer();
      return lag;
    }
    // Redis cannot tell the lag after deletions (XDEL at erasures): count
    // what comes after the last delivered id (at most 10,000: "at least").
    const std::string after = absl::StrCat("(", FieldOf(all[g], "last-delivered-id", found).str());
    ASSIGN_OR_RETURN(RedisReply rest,
                     pool_->Command({"XRANGE", stream, after, "+", "COUNT", "10000"}));
    lag.undelivered = static_cast<int64_t>(rest.view().size());
    return lag;
  }
  lag.undelivered = len.view().integer();  // the group does not exist yet
  return lag;
}

absl::StatusOr<bool> Ingester::CaughtUp() {
  for (const auto& s : Streams()) {
    ASSIGN_OR_RETURN(StreamLag lag, Lag(s));
    if (lag.undelivered != 0 || lag.pending != 0) return false;
  }
  return true;
}

void Ingester::PollLag() {
  do {
    for (size_t i = 0; i < Streams().size(); ++i) {
      auto lag = Lag(Streams()[i]);
      if (!lag.ok()) continue;
      metrics_[i].lag->Set(static_cast<double>(lag->undelivered));
      metrics_[i].pending->Set(static_cast<double>(lag->pending));
    }
  } while (!stop_.WaitForNotificationWithTimeout(kLagPollEvery));
}

}  // namespace gnlc::analytics
