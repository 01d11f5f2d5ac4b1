#include "services/analytics/recount.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/stream_retention.h"
#include "common/events/streams.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/analytics/analytics_keys.h"
#include "services/analytics/ingest_plan.h"
#include "services/analytics/ingester.h"

namespace gnlc::analytics {
namespace {

// A stream id's milliseconds ("1732430000000-3" -> 1732430000000; 0 if none).
int64_t MillisOf(absl::string_view id) {
  int64_t ms = 0;
  (void)absl::SimpleAtoi(id.substr(0, id.find('-')), &ms);
  return ms;
}

int64_t MicrosOf(const google::protobuf::Timestamp& t) {
  return absl::ToUnixMicros(TimeFromTimestamp(t));
}

// A record changed this long before the recount's starting point may still
// have its event after it (the service's and Redis' clocks may differ).
constexpr int64_t kClockSlackMs = 60'000;

}  // namespace

absl::StatusOr<std::string> Recount::Run(const absl::Notification& stop) {
  ASSIGN_OR_RETURN(std::vector<GroupNeed> groups,
                   GroupNeeds(CommandsOf(*pool_), kEnrollmentStream));
  std::string position = "0-0";
  for (const GroupNeed& g : groups) {
    if (g.group == kAnalyticsGroup) position = g.needed;
  }
  // A group that never read anything recounts every period.
  const int64_t position_ms = MillisOf(position);
  const int from_year =
      position_ms == 0
          ? 0
          : static_cast<int>(absl::ToCivilYear(absl::FromUnixMillis(position_ms), tz_).year());
  const absl::Time from =
      position_ms == 0 ? absl::InfinitePast() : absl::FromCivil(absl::CivilYear(from_year), tz_);
  // Where the group goes on from: every event up to here is in the records.
  ASSIGN_OR_RETURN(const std::string tail, StreamPosition(*pool_, kEnrollmentStream));
  LogJson(LogLevel::kWarn, "recounting the enrollment indicators from the records",
          {{"position", position}, {"from_year", absl::StrCat(from_year)}, {"until", tail}});
  const absl::Time start = absl::Now();

  std::string cursor = "0";
  do {
    ASSIGN_OR_RETURN(cursor, store_->ResetFromYear(cursor, from_year));
  } while (cursor != "0");

  recent_.clear();
  records_ = 0;
  absl::flat_hash_set<std::string> learners;
  const int64_t recent_from_us = (MillisOf(tail) - kClockSlackMs) * 1000;
  std::string token;
  do {
    absl::StatusOr<enrollment::v1::ListStatisticsRecordsResponse> page = client_->ListPage(token);
    if (!page.ok()) {
      // The same page again once enrollment answers; nothing was counted.
      LogJson(LogLevel::kWarn, "recount waits for the enrollment service",
              {{"error", std::string(page.status().message())}});
      if (stop.WaitForNotificationWithTimeout(absl::Seconds(1))) {
        return absl::CancelledError("stopped during a recount");
      }
      continue;
    }
    for (const std::string& name : page->learners())
      learners.insert(std::string(LastSegment(name)));
    IngestPlan plan(rules_);
    plan.CountOnlyFrom(from);
    for (const auto& record : page->records()) {
      plan.AddRecord(record);
      const int64_t updated = MicrosOf(record.enrollment().update_time());
      if (updated >= recent_from_us) recent_[record.enrollment().name()] = updated;
    }
    // Without event ids a plan is never refused as a duplicate.
    RETURN_IF_ERROR(store_->Apply(kEnrollmentStream, kAnalyticsGroup, plan).status());
    records_ += page->records_size();
    token = page->next_page_token();
  } while (!token.empty());

  // Learners erased while analytics was away: their erasure events were
  // trimmed, and their bits in the periods before the recount remain.
  int64_t erased = 0;
  cursor = "0";
  do {
    ASSIGN_OR_RETURN(RedisReply scan, pool_->Command({"HSCAN", Key("ln"), cursor, "COUNT", "500"}));
    cursor = std::string(scan.view()[0].str());
    IngestPlan plan(rules_);
    const ReplyView fields = scan.view()[1];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (learners.contains(fields[i].str())) continue;
      plan.AddErasure(fields[i].str());
      ++erased;
    }
    RETURN_IF_ERROR(store_->Apply(kEnrollmentStream, kAnalyticsGroup, plan).status());
  } while (cursor != "0");

  horizon_ms_ = absl::ToUnixMillis(absl::Now()) + kClockSlackMs;
  RETURN_IF_ERROR(store_->MarkApplied(kEnrollmentStream, tail));
  LogJson(LogLevel::kInfo, "recount done",
          {{"records", absl::StrCat(records_)},
           {"learners", absl::StrCat(learners.size())},
           {"erased", absl::StrCat(erased)},
           {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - start))}});
  return tail;
}

bool Recount::Skips(const Event& event) {
  if (recent_.empty()) return false;
  if (MillisOf(event.id()) > horizon_ms_) {
    recent_.clear();
    return false;
  }
  if (!event.has_enrollment_changed()) return false;
  const auto& e = event.enrollment_changed().enrollment();
  const auto it = recent_.find(e.name());
  return it != recent_.end() && MicrosOf(e.update_time()) <= it->second;
}

}  // namespace gnlc::analytics
