#include "services/analytics/analytics_store.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_script.h"
#include "common/redis/stored_record.h"
#include "common/status/status_macros.h"
#include "services/analytics/analytics_keys.h"
#include "services/analytics/lua/apply.lua.h"
#include "services/analytics/lua/mark_applied.lua.h"
#include "services/analytics/lua/read.lua.h"
#include "services/analytics/lua/reset_from_year.lua.h"
#include "services/analytics/lua/union_count.lua.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

const std::string kTargets = Key("targets");

// Scripts that build keys with k() start with its Lua (redis_script.h).
const RedisScript kApply(absl::StrCat(ScriptKeysLua(kKeyPrefix), kApplyLua));

const RedisScript kResetFromYear(absl::StrCat(ScriptKeysLua(kKeyPrefix), kResetFromYearLua));

const RedisScript kMarkApplied(kMarkAppliedLua);

const RedisScript kUnionCount(kUnionCountLua);

const RedisScript kRead(absl::StrCat(ScriptKeysLua(kKeyPrefix), kReadLua), RedisScript::kReadOnly);

std::string AppliedKey(absl::string_view stream) { return Key("applied", stream); }

void AddFields(const ReplyView& fields, bool gauges, Counters& out) {
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const absl::string_view field = fields[i].str();
    if (absl::StartsWith(field, "g:") != gauges) continue;
    int64_t v = 0;
    if (absl::SimpleAtoi(fields[i + 1].str(), &v)) out[std::string(field)] = v;
  }
}

}  // namespace

absl::StatusOr<std::string> AnalyticsStore::ResetFromYear(absl::string_view cursor, int year) {
  ASSIGN_OR_RETURN(RedisReply r, kResetFromYear.Run(*pool_, {Key("bitmaps"), Key("sets")},
                                                    {cursor, absl::StrCat(year)}));
  return std::string(r.view().str());
}

absl::Status AnalyticsStore::MarkApplied(absl::string_view stream, absl::string_view through) {
  const std::string applied = AppliedKey(stream);
  const std::string low = absl::StrCat(applied, ":low");
  return kMarkApplied.Run(*pool_, {applied, low}, {IngestPlan::PadStreamId(through)}).status();
}

absl::StatusOr<std::vector<std::string>> AnalyticsStore::Apply(absl::string_view stream,
                                                               absl::string_view group,
                                                               const IngestPlan& plan) {
  std::vector<std::string> keys = {AppliedKey(stream), absl::StrCat(AppliedKey(stream), ":low")};
  for (absl::string_view name : kApplySharedKeys) keys.push_back(Key(name));
  std::vector<std::string> op_keys = plan.OpKeys();
  keys.insert(keys.end(), std::make_move_iterator(op_keys.begin()),
              std::make_move_iterator(op_keys.end()));
  std::vector<std::string> args = {std::string(stream), std::string(group),
                                   absl::StrCat(plan.ids().size())};
  args.insert(args.end(), plan.ids().begin(), plan.ids().end());
  std::vector<std::string> ops = plan.EncodeOps();
  args.insert(args.end(), std::make_move_iterator(ops.begin()), std::make_move_iterator(ops.end()));
  std::vector<absl::string_view> argv(args.begin(), args.end());
  ASSIGN_OR_RETURN(
      RedisReply reply,
      kApply.Run(*pool_, std::vector<absl::string_view>(keys.begin(), keys.end()), argv));
  const ReplyView r = reply.view();
  std::vector<std::string> dups;
  if (r.size() > 0 && r[0].str() == "dup") {
    for (size_t i = 1; i < r.size(); ++i) dups.emplace_back(r[i].str());
  } else if (r.size() == 0 || r[0].str() != "ok") {
    return absl::InternalError("unexpected reply from the analytics apply script");
  }
  return dups;
}

absl::StatusOr<std::vector<Counters>> AnalyticsStore::ReadPeriods(
    const std::vector<pb::Period>& periods) {
  std::vector<std::string> args;
  std::vector<std::string> keys = {Key("gm")};
  for (const auto& p : periods) {
    args.push_back(PeriodKey(p));
    keys.push_back(Key("n", args.back()));
    args.push_back(absl::StrCat(LastMonthOrdinal(p)));
  }
  std::vector<absl::string_view> argv(args.begin(), args.end());
  ASSIGN_OR_RETURN(
      RedisReply reply,
      kRead.Run(*pool_, std::vector<absl::string_view>(keys.begin(), keys.end()), argv));
  const ReplyView r = reply.view();
  if (r.size() != 2 * periods.size()) {
    return absl::InternalError("unexpected reply from the analytics read script");
  }
  std::vector<Counters> out(periods.size());
  for (size_t i = 0; i < periods.size(); ++i) {
    AddFields(r[2 * i], /*gauges=*/false, out[i]);
    AddFields(r[2 * i + 1], /*gauges=*/true, out[i]);
  }
  return out;
}

absl::StatusOr<int64_t> AnalyticsStore::DistinctIn(absl::string_view metric,
                                                   const std::vector<std::string>& spans) {
  std::vector<std::string> keys = {Key("scratch")};
  for (const auto& span : spans) keys.push_back(Key("b", absl::StrCat(span, ":", metric)));
  ASSIGN_OR_RETURN(
      RedisReply reply,
      kUnionCount.Run(*pool_, std::vector<absl::string_view>(keys.begin(), keys.end()), {}));
  return reply.view().integer();
}

absl::Status AnalyticsStore::PutTarget(const pb::Target& target, bool only_if_absent) {
  const IndicatorInfo* info = FindIndicator(target.indicator());
  if (info == nullptr) return absl::InternalError("target of an unknown indicator");
  const std::string blob = target.SerializeAsString();
  return pool_->Command({only_if_absent ? "HSETNX" : "HSET", kTargets, info->slug, blob}).status();
}

absl::StatusOr<RedisMemory> AnalyticsStore::Memory() {
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command({"INFO", "memory"}));
  return ParseRedisMemory(reply.view().str());
}

absl::StatusOr<std::vector<pb::Target>> AnalyticsStore::ListTargets() {
  std::vector<pb::Target> out;
  RETURN_IF_ERROR(ScanHash(*pool_, kTargets, [&](absl::string_view id, absl::string_view value) {
    pb::Target t;
    if (ParseStoredRecord(value, t, kTargets, id)) out.push_back(std::move(t));
  }));
  std::sort(out.begin(), out.end(),
            [](const pb::Target& a, const pb::Target& b) { return a.indicator() < b.indicator(); });
  return out;
}

}  // namespace gnlc::analytics
