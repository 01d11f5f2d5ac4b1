#include "services/enrollment/enrollment_service.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/event_codec.h"
#include "common/events/stream_retention.h"
#include "common/events/streams.h"
#include "common/server/bulk_pacer_metrics.h"
#include "common/server/logging.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "services/enrollment/enrollment_keys.h"

namespace gnlc::enrollment {
namespace {

absl::Duration AofRewriteInterval() {
  const char* value = std::getenv("GNLC_ERASURE_AOF_REWRITE_SECONDS");
  int seconds = 3600;
  if (value != nullptr && (!absl::SimpleAtoi(value, &seconds) || seconds < 0)) seconds = 3600;
  return absl::Seconds(seconds);
}

}  // namespace

EnrollmentService::EnrollmentService(const ServerOptions& options, RedisPool* pool,
                                     Metrics* metrics, Clock clock)
    : RpcService(MakeWaitingRpcEdge(options, metrics, "enrollment.gnlc.org")),
      options_(options),
      city_(options.city.city_id()),
      clock_(std::move(clock)),
      store_(pool, city_, clock_, StreamRetention::FromEnvironment().max_age),
      catalog_(options.catalog_address, options.city),
      tokens_(options.page_token_secret),
      partner_programs_(city_),
      pool_(pool),
      bulk_(pool),
      live_publisher_(pool, "enrollment"),
      hub_(pool, metrics, "enrollment.gnlc.org"),
      aof_rewrite_interval_(AofRewriteInterval()) {
  ExportBulkPacerMetrics(metrics, &bulk_);
  ServeRpcs();
}

EnrollmentService::~EnrollmentService() { Stop(); }

absl::Status EnrollmentService::Start() {
  catalog_consumer_ = std::make_unique<GroupConsumer>(
      options_.redis,
      // A new group starts at the stream's end: offerings created
      // before are fetched over gRPC when first enrolled in.
      GroupConsumerOptions{.stream = kCatalogStream,
                           .group = "enrollment",
                           .consumer = DefaultConsumerName(),
                           .start_id = "$",
                           .on_gap = [this] { return RefreshOfferingFacts(); }},
      [this](const Event& e) { return ApplyCatalogEvent(e); });
  catalog_consumer_->Start();
  partnership_follower_ =
      std::make_unique<StreamFollower>(options_.redis, kPartnershipStream, "0",
                                       [this](const Event& e) { partner_programs_.Apply(e); });
  partnership_follower_->Start();
  // The notification translator's cursor is a reader of the stream too.
  trimmer_ = std::make_unique<StreamTrimmer>(
      pool_,
      TrimmerOptions{.stream = kEnrollmentStream,
                     .position_keys = {Key("ntfcursor")},
                     .after_trim =
                         [this](const std::string& point) {
                           RETURN_IF_ERROR(store_.SweepOldEventIds(point));
                           return RepublishSeatsAfterACut(point);
                         }},
      StreamRetention::FromEnvironment());
  trimmer_->Start();
  const NotificationSettings settings = NotificationSettings::FromEnvironment();
  if (settings.enabled) {
    translator_ = std::make_unique<NotificationTranslator>(
        options_.redis, pool_, &store_, city_, clock_, settings, [this] { hub_.Wake(); });
    translator_->Start();
  }
  hub_.Start();
  return absl::OkStatus();
}

void EnrollmentService::Stop() {
  if (trimmer_ != nullptr) trimmer_->Stop();
  if (catalog_consumer_ != nullptr) catalog_consumer_->Stop();
  if (partnership_follower_ != nullptr) partnership_follower_->Stop();
  if (translator_ != nullptr) translator_->Stop();
  hub_.Stop();
}

absl::Status EnrollmentService::ApplyCatalogEvent(const Event& event) {
  switch (event.payload_case()) {
    case Event::kOfferingUpserted: {
      const auto& offering = event.offering_upserted().offering();
      auto ref = ParseOfferingName(offering.name(), city_, "offering");
      if (!ref.ok()) return absl::OkStatus();  // not ours
      return store_.PutOfferingFacts(FactsOf(offering, ref->offering_id, ref->program_id));
    }
    case Event::kProgramUpserted:
    case Event::kProgramDeleted: {
      const bool deleted = event.has_program_deleted();
      const auto& program =
          deleted ? event.program_deleted().program() : event.program_upserted().program();
      auto id = ParseProgramName(program.name(), city_, "program");
      if (!id.ok()) return absl::OkStatus();
      return store_.PutProgramFacts(FactsOf(program, *id, deleted));
    }
    default:
      return absl::OkStatus();
  }
}

void EnrollmentService::RewriteAofSoon() {
  if (aof_rewrite_interval_ == absl::ZeroDuration()) return;
  {
    absl::MutexLock lock(&rewrite_mu_);
    const absl::Time now = absl::Now();
    if (now - last_rewrite_ < aof_rewrite_interval_) return;
    last_rewrite_ = now;
  }
  // Best effort: "already in progress" or a Redis user without the right
  // is logged, never the caller's problem.
  if (auto r = pool_->Command({"BGREWRITEAOF"}); !r.ok()) {
    LogJson(LogLevel::kWarn, "AOF rewrite after erasure not started",
            {{"error", std::string(r.status().message())}});
  }
}

absl::StatusOr<std::string> EnrollmentService::RefreshOfferingFacts() {
  ASSIGN_OR_RETURN(std::string position, StreamPosition(*pool_, kCatalogStream));
  std::string cursor = "0";
  int64_t refreshed = 0, gone = 0;
  do {
    ASSIGN_OR_RETURN(RedisReply page,
                     pool_->Command({"SCAN", cursor, "MATCH", Key("off", "*"), "COUNT", "1000"}));
    cursor = std::string(page.view()[0].str());
    for (size_t i = 0; i < page.view()[1].size(); ++i) {
      const absl::string_view key = page.view()[1][i].str();
      const std::string offering_id(key.substr(key.rfind(':') + 1));
      ASSIGN_OR_RETURN(RedisReply program, pool_->Command({"HGET", key, "prog"}));
      if (program.view().is_nil()) continue;
      const OfferingRef ref{std::string(program.view().str()), offering_id};
      const absl::Status s = LearnOffering(ref, absl::Now() + absl::Seconds(2));
      if (absl::IsNotFound(s)) {
        // Deleted with its program (the catalog never deletes an offering
        // alone), and the deletion event is gone: archive the program.
        ASSIGN_OR_RETURN(RedisReply known,
                         pool_->Command({"HMGET", Key("prog", ref.program_id), "ver", "kind"}));
        ProgramFacts facts;
        facts.program_id = ref.program_id;
        if (!absl::SimpleAtoi(known.view()[0].str(), &facts.version) ||
            !absl::SimpleAtoi(known.view()[1].str(), &facts.kind)) {
          return BrokenInvariant("stored program facts hold a field that is not a number",
                                 {{"program", ref.program_id}});
        }
        facts.version += 1;
        facts.state = gnlc::catalog::v1::PROGRAM_STATE_ARCHIVED;
        RETURN_IF_ERROR(store_.PutProgramFacts(facts));
        ++gone;
        continue;
      }
      RETURN_IF_ERROR(s);
      ++refreshed;
    }
  } while (cursor != "0");
  LogJson(LogLevel::kInfo, "offering facts refreshed from the catalog",
          {{"offerings", absl::StrCat(refreshed)}, {"gone", absl::StrCat(gone)}});
  return position;
}

// The catalog records every offering's seats from this stream (its group
// "catalog"). A trim below what that group still needs (it was stopped for
// longer than the retention) takes seat reports it never read: then every
// offering's seats are published again, so that it learns them from what
// follows. Once per such cut: again only when the trim passes the last
// republication too (the catalog stays away for another retention period).
absl::Status EnrollmentService::RepublishSeatsAfterACut(const std::string& point) {
  ASSIGN_OR_RETURN(std::vector<GroupNeed> groups,
                   GroupNeeds(CommandsOf(*pool_), kEnrollmentStream));
  bool cut = false;
  for (const GroupNeed& g : groups) {
    if (g.group == kCatalogSeatsGroup && MissedEntries(g.needed, point)) cut = true;
  }
  if (!cut) return absl::OkStatus();
  const std::string kLastRepublished = Key("seatsrepublished");
  ASSIGN_OR_RETURN(RedisReply last, pool_->Command({"GET", kLastRepublished}));
  if (!last.view().is_nil() && CompareStreamIds(last.view().str(), point) >= 0) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const std::string from, StreamPosition(*pool_, kEnrollmentStream));
  LogJson(LogLevel::kWarn,
          "the catalog missed seat reports: publishing every offering's seats again",
          {{"trimmed", point}});
  RETURN_IF_ERROR(store_.RepublishSeats());
  return pool_->Command({"SET", kLastRepublished, from}).status();
}

absl::Status EnrollmentService::LearnOffering(const OfferingRef& ref, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      auto offering,
      catalog_.GetOffering(OfferingName(city_, ref.program_id, ref.offering_id), deadline));
  ASSIGN_OR_RETURN(auto program, catalog_.GetProgram(ProgramName(city_, ref.program_id), deadline));
  // The program first: an offering whose program is unknown is not
  // enrollable, never wrongly enrollable.
  RETURN_IF_ERROR(store_.PutProgramFacts(FactsOf(program, ref.program_id, /*deleted=*/false)));
  return store_.PutOfferingFacts(FactsOf(offering, ref.offering_id, ref.program_id));
}

absl::Status EnrollmentService::ChangeEnrollment(
    absl::string_view enrollment_field, absl::string_view name, int change, bool completing,
    const std::function<absl::Status(pb::Enrollment&)>& edit, pb::Enrollment& out) {
  ASSIGN_OR_RETURN(std::string id, ParseEnrollmentName(name, city_, enrollment_field));
  // A concurrent change (a promotion, another outcome) makes the write
  // ABORTED; a fresh read settles it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(StoredEnrollment stored, store_.ReadEnrollment(id));
    pb::Enrollment e = stored.enrollment;
    RETURN_IF_ERROR(edit(e));
    *e.mutable_update_time() = TimestampFromTime(clock_());
    const absl::Status written = store_.Rewrite(id, stored.blob, e, change, completing);
    if (absl::IsAborted(written)) continue;
    RETURN_IF_ERROR(written);
    out = std::move(e);
    return absl::OkStatus();
  }
  return Aborted("CONCURRENT_UPDATE", "the enrollment keeps changing: retry");
}

// The RPCs: each hands its logic to the common edge (parsing, permissions,
// status mapping, metrics, logs). The logic lives in learner_rpcs.cc,
// enrollment_rpcs.cc, outcome_rpcs.cc, notification_rpcs.cc,
// import_rpcs.cc, statistics_rpcs.cc and archive_rpcs.cc.
void EnrollmentService::ServeRpcs() {
  Rpc(&EnrollmentService::DoCreateLearner);
  Rpc(&EnrollmentService::DoGetLearner);
  Rpc(&EnrollmentService::DoUpdateLearner);
  Rpc(&EnrollmentService::DoCreateEnrollment);
  Rpc(&EnrollmentService::DoGetEnrollment);
  Rpc(&EnrollmentService::DoCancelEnrollment);
  Rpc(&EnrollmentService::DoListEnrollments);
  Rpc(&EnrollmentService::DoCompleteEnrollment);
  Rpc(&EnrollmentService::DoGetOfferingSeats);
  Rpc(&EnrollmentService::DoRecordEmploymentOutcome);
  Rpc(&EnrollmentService::DoSubmitFeedback);
  Rpc(&EnrollmentService::DoExportLearnerData);
  Rpc(&EnrollmentService::DoEraseLearner);
  Rpc(&EnrollmentService::DoImportHistory);
  Rpc(&EnrollmentService::DoListStatisticsRecords);
  Rpc(&EnrollmentService::DoArchiveHistory);
  Rpc(&EnrollmentService::DoConfirmArchive);
  Rpc(&EnrollmentService::DoSubscribeNotifications);
  CheckAllServed();
}

}  // namespace gnlc::enrollment
