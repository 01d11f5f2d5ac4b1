#include "services/analytics/program_recount.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/stream_retention.h"
#include "common/events/streams.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/analytics/analytics_keys.h"
#include "services/analytics/ingest_plan.h"
#include "services/analytics/ingester.h"

namespace gnlc::analytics {

absl::StatusOr<std::string> ProgramRecount::Run(const absl::Notification& stop) {
  ASSIGN_OR_RETURN(const std::string tail, StreamPosition(*pool_, kCatalogStream));
  LogJson(LogLevel::kWarn, "recounting the programs on offer from the catalog", {{"until", tail}});
  const google::protobuf::Timestamp now = TimestampFromTime(absl::Now());
  IngestPlan plan(absl::UTCTimeZone());  // gauges go by the month of `now` only
  absl::flat_hash_set<std::string> published;
  std::string token;
  do {
    auto page = catalog_->ListPrograms(city_, catalog::v1::PROGRAM_STATE_PUBLISHED, token,
                                       absl::Now() + absl::Seconds(2));
    if (!page.ok()) {
      LogJson(LogLevel::kWarn, "program recount waits for the catalog",
              {{"error", std::string(page.status().message())}});
      if (stop.WaitForNotificationWithTimeout(absl::Seconds(1))) {
        return absl::CancelledError("stopped during a recount");
      }
      continue;
    }
    for (const auto& program : page->programs()) {
      published.insert(program.name());
      Event e;
      *e.mutable_time() = now;
      *e.mutable_program_upserted()->mutable_program() = program;
      plan.AddSnapshot(e);
    }
    token = page->next_page_token();
  } while (!token.empty());

  // Counted before ("1:{kind}") and not published now.
  std::string cursor = "0";
  do {
    ASSIGN_OR_RETURN(RedisReply scan,
                     pool_->Command({"HSCAN", Key("progs"), cursor, "COUNT", "500"}));
    cursor = std::string(scan.view()[0].str());
    const ReplyView fields = scan.view()[1];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      const absl::string_view name = fields[i].str();
      const absl::string_view counted = fields[i + 1].str();
      if (published.contains(name) || counted.substr(0, 2) != "1:") continue;
      int kind = 0;
      (void)absl::SimpleAtoi(counted.substr(2), &kind);
      Event e;
      *e.mutable_time() = now;
      auto& program = *e.mutable_program_deleted()->mutable_program();
      program.set_name(std::string(name));
      program.set_kind(static_cast<gnlc::type::v1::ProgramKind>(kind));
      plan.AddSnapshot(e);
    }
  } while (cursor != "0");
  RETURN_IF_ERROR(store_->Apply(kCatalogStream, kAnalyticsGroup, plan).status());
  RETURN_IF_ERROR(store_->MarkApplied(kCatalogStream, tail));
  LogJson(LogLevel::kInfo, "program recount done", {{"published", absl::StrCat(published.size())}});
  return tail;
}

}  // namespace gnlc::analytics
