#include "services/analytics/analytics_store.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_script.h"
#include "common/status/status_macros.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

constexpr absl::string_view kTargets = "ana:{0}:targets";

// KEYS: applied zset. ARGV: stream, group, n, n padded ids, then the ops of
// IngestPlan::EncodeOps: flows, distinct adds, ratings, gauges, erasures.
// The stream is an argument, not a key: analytics may only read another
// service's stream (XPENDING here), and Redis requires a script's declared
// keys to be writable by its caller (common/redis/redis_acl.h). It shares
// the {0} hash slot with every other key, so a cluster still routes it here.
const RedisScript kApply(R"lua(
local P = 'ana:{0}:'
local applied = KEYS[1]
local i = 1
local function nxt() local v = ARGV[i]; i = i + 1; return v end
local stream = nxt()
local group = nxt()
local n = tonumber(nxt())
local ids = {}
for j = 1, n do ids[j] = nxt() end
local low = redis.call('GET', applied .. ':low') or ''
if n > 0 then
  local seen = redis.call('ZMSCORE', applied, unpack(ids))
  local dups = {'dup'}
  for j = 1, n do
    if seen[j] or ids[j] < low then dups[#dups + 1] = ids[j] end
  end
  if #dups > 1 then return dups end
end

-- Increments are summed here and written once per field at the end.
local acc = {}
local function add(period, field, d)
  local h = acc[period]
  if not h then h = {}; acc[period] = h end
  h[field] = (h[field] or 0) + d
end

for _ = 1, tonumber(nxt()) do
  local period, field, d = nxt(), nxt(), tonumber(nxt())
  add(period, field, d)
end

-- Distinct members are bits: a learner gets a dense number the first time
-- (ln), and "counted in this metric of this period (and slice)" is that bit
-- of b:{period}:{metric}[|slice]. SETBIT answers whether it was set. A set
-- s:{period}:{metric} written before bitmaps still counts for its members.
local bitmaps_index = P .. 'bitmaps'
local numbers = {}
local function number_of(learner)
  local n = numbers[learner]
  if n then return n end
  n = redis.call('HGET', P .. 'ln', learner)
  if not n then
    n = redis.call('INCR', P .. 'lnseq') - 1
    redis.call('HSET', P .. 'ln', learner, n)
  end
  numbers[learner] = n
  return n
end
-- Grouped by bitmap, so that each is set with one BITFIELD (which answers
-- the old bits) per 500 learners.
local groups, order, old_sets = {}, {}, {}
for _ = 1, tonumber(nxt()) do
  local period, metric, member, nf = nxt(), nxt(), nxt(), tonumber(nxt())
  local fields = {}
  for f = 1, nf do fields[f] = nxt() end
  local learner, slice = string.match(member, '^([^|]+)|?(.*)$')
  local key = P .. 'b:' .. period .. ':' .. metric .. (slice ~= '' and ('|' .. slice) or '')
  local g = groups[key]
  if not g then
    g = {period = period, old = P .. 's:' .. period .. ':' .. metric, ops = {}}
    groups[key] = g
    order[#order + 1] = key
  end
  g.ops[#g.ops + 1] = {n = number_of(learner), member = member, fields = fields}
end
for _, key in ipairs(order) do
  local g = groups[key]
  redis.call('SADD', bitmaps_index, key)
  for first = 1, #g.ops, 500 do
    local last = math.min(first + 499, #g.ops)
    local args = {}
    for j = first, last do
      args[#args + 1] = 'SET'; args[#args + 1] = 'u1'
      args[#args + 1] = g.ops[j].n; args[#args + 1] = 1
    end
    local was = redis.call('BITFIELD', key, unpack(args))
    for j = first, last do
      local op = g.ops[j]
      local counted = was[j - first + 1] == 1
      if not counted then
        if old_sets[g.old] == nil then old_sets[g.old] = redis.call('EXISTS', g.old) == 1 end
        counted = old_sets[g.old] and redis.call('SISMEMBER', g.old, op.member) == 1
      end
      if not counted then
        for _, field in ipairs(op.fields) do add(g.period, field, 1) end
      end
    end
  end
end

for _ = 1, tonumber(nxt()) do
  local learner, enrollment, rating, periods, slices = nxt(), nxt(), tonumber(nxt()), nxt(), nxt()
  local key = P .. 'fb:' .. learner
  local old = redis.call('HGET', key, enrollment)
  local before = nil
  if old then
    local r, p, s = string.match(old, '^(%d+)|([^|]*)|(.*)$')
    before, periods, slices = tonumber(r), p, s
  end
  local good = rating >= 4 and 1 or 0
  for period in string.gmatch(periods, '[^,]+') do
    for slice in string.gmatch(slices .. ',', '([^,]*),') do
      local sfx = slice == '' and '' or ('|' .. slice)
      if before then
        add(period, 'rsum' .. sfx, rating - before)
        add(period, 'r45' .. sfx, good - (before >= 4 and 1 or 0))
      else
        add(period, 'rated' .. sfx, 1)
        add(period, 'rsum' .. sfx, rating)
        add(period, 'r45' .. sfx, good)
      end
    end
  end
  redis.call('HSET', key, enrollment, rating .. '|' .. periods .. '|' .. slices)
end

local g = P .. 'g'
for _ = 1, tonumber(nxt()) do
  local kind, name, a, b, month, ordinal = nxt(), nxt(), nxt(), nxt(), nxt(), nxt()
  if kind == 'f' then
    redis.call('HINCRBY', g, 'g:' .. a .. '|' .. name, b)
  else
    local index = P .. (kind == 'p' and 'pships' or 'progs')
    local metric = kind == 'p' and 'g:active' or 'g:prog'
    local dim = kind == 'p' and '|pm:' or '|k:'
    local now = a .. ':' .. b
    local old = redis.call('HGET', index, name)
    if old ~= now then
      if old then
        local oa, ob = string.match(old, '^(%d):(%d+)$')
        if oa == '1' then
          redis.call('HINCRBY', g, metric, -1)
          redis.call('HINCRBY', g, metric .. dim .. ob, -1)
        end
      end
      if a == '1' then
        redis.call('HINCRBY', g, metric, 1)
        redis.call('HINCRBY', g, metric .. dim .. b, 1)
      end
      redis.call('HSET', index, name, now)
    end
  end
  -- The month keeps the gauges as they stand after its latest change.
  local all = redis.call('HGETALL', g)
  if #all > 0 then redis.call('HSET', P .. 'n:' .. month, unpack(all)) end
  redis.call('ZADD', P .. 'gm', ordinal, month)
end

for _ = 1, tonumber(nxt()) do
  local learner, nm = nxt(), tonumber(nxt())
  local members = {}
  for k = 1, nm do members[k] = nxt() end
  local n = redis.call('HGET', P .. 'ln', learner)
  if n then
    -- GETBIT first: SETBIT 0 past a bitmap's end would lengthen it.
    for _, key in ipairs(redis.call('SMEMBERS', bitmaps_index)) do
      if redis.call('GETBIT', key, n) == 1 then redis.call('SETBIT', key, n, 0) end
    end
    redis.call('HDEL', P .. 'ln', learner)
  end
  for _, key in ipairs(redis.call('SMEMBERS', P .. 'sets')) do
    redis.call('SREM', key, unpack(members))
  end
  redis.call('DEL', P .. 'fb:' .. learner)
end

for period, h in pairs(acc) do
  for field, d in pairs(h) do
    if d ~= 0 then redis.call('HINCRBY', P .. 'n:' .. period, field, d) end
  end
end

if n > 0 then
  local z = {}
  for j = 1, n do z[#z + 1] = 0; z[#z + 1] = ids[j] end
  redis.call('ZADD', applied, unpack(z))
  -- Every id below the oldest entry still pending in the group was applied
  -- and acknowledged: it becomes the low mark (an id below it is a
  -- duplicate, even if the group is rewound with XGROUP SETID), and the
  -- zset forgets those ids.
  local pending = redis.call('XPENDING', stream, group)
  if pending[2] then
    local ms, seq = string.match(pending[2], '^(%d+)-(%d+)$')
    local mark = string.rep('0', 13 - #ms) .. ms .. '-' .. string.rep('0', 10 - #seq) .. seq
    if mark > low then
      redis.call('SET', applied .. ':low', mark)
      redis.call('ZREMRANGEBYLEX', applied, '-', '(' .. mark)
    end
  end
end
return {'ok'}
)lua");

// ARGV: 1 SCAN cursor ("0" to begin), 2 a year. Forgets, in about 500 of
// analytics' keys, what the periods of that year and later counted: their
// counters (not the gauge snapshots, g:*), bitmaps and sets, and the
// feedback remembered in them. Returns the next cursor ("0": done).
const RedisScript kResetFromYear(R"lua(
local P = 'ana:{0}:'
local from = tonumber(ARGV[2])
local function counted(period) return (tonumber(string.sub(period, 1, 4)) or 0) >= from end
local scan = redis.call('SCAN', ARGV[1], 'MATCH', P .. '*', 'COUNT', 500)
for _, key in ipairs(scan[2]) do
  local kind, rest = string.match(string.sub(key, #P + 1), '^(%a+):(.*)$')
  if kind == 'n' and counted(rest) then
    local drop = {}
    for _, f in ipairs(redis.call('HKEYS', key)) do
      if string.sub(f, 1, 2) ~= 'g:' then drop[#drop + 1] = f end
    end
    for first = 1, #drop, 1000 do
      redis.call('HDEL', key, unpack(drop, first, math.min(first + 999, #drop)))
    end
  elseif (kind == 'b' or kind == 's') and counted(rest) then
    redis.call('DEL', key)
    redis.call('SREM', P .. (kind == 'b' and 'bitmaps' or 'sets'), key)
  elseif kind == 'fb' then
    local all = redis.call('HGETALL', key)
    for j = 1, #all, 2 do
      local periods = string.match(all[j + 1], '^%d+|([^|]*)|')
      for period in string.gmatch(periods or '', '[^,]+') do
        if counted(period) then redis.call('HDEL', key, all[j]); break end
      end
    end
  end
end
return scan[1]
)lua");

// KEYS: applied zset. ARGV: 1 a padded stream id: every id up to it counts
// as applied (a recount has counted it from the records).
const RedisScript kMarkApplied(R"lua(
local low = redis.call('GET', KEYS[1] .. ':low') or ''
local mark = ARGV[1] .. '~'
if mark > low then
  redis.call('SET', KEYS[1] .. ':low', mark)
  redis.call('ZREMRANGEBYLEX', KEYS[1], '-', '(' .. mark)
end
return 0
)lua");

// ARGV: pairs of (period key, ordinal of its last month). Returns, per
// period, its hash and the hash of the latest month with gauges at or
// before its end.
const RedisScript kRead(R"lua(
local P = 'ana:{0}:'
local out = {}
for j = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HGETALL', P .. 'n:' .. ARGV[j])
  local snap = redis.call('ZREVRANGEBYSCORE', P .. 'gm', ARGV[j + 1], '-inf', 'LIMIT', 0, 1)
  if snap[1] then
    out[#out + 1] = redis.call('HGETALL', P .. 'n:' .. snap[1])
  else
    out[#out + 1] = {}
  end
end
return out
)lua",
                        RedisScript::kReadOnly);

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
  ASSIGN_OR_RETURN(RedisReply r, kResetFromYear.Run(*pool_, {}, {cursor, absl::StrCat(year)}));
  return std::string(r.view().str());
}

absl::Status AnalyticsStore::MarkApplied(absl::string_view stream, absl::string_view through) {
  return kMarkApplied
      .Run(*pool_, {absl::StrCat("ana:{0}:applied:", stream)}, {IngestPlan::PadStreamId(through)})
      .status();
}

absl::StatusOr<std::vector<std::string>> AnalyticsStore::Apply(absl::string_view stream,
                                                               absl::string_view group,
                                                               const IngestPlan& plan) {
  const std::string applied = absl::StrCat("ana:{0}:applied:", stream);
  std::vector<std::string> args = {std::string(stream), std::string(group),
                                   absl::StrCat(plan.ids().size())};
  args.insert(args.end(), plan.ids().begin(), plan.ids().end());
  std::vector<std::string> ops = plan.EncodeOps();
  args.insert(args.end(), std::make_move_iterator(ops.begin()), std::make_move_iterator(ops.end()));
  std::vector<absl::string_view> argv(args.begin(), args.end());
  ASSIGN_OR_RETURN(RedisReply reply, kApply.Run(*pool_, {applied}, argv));
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
  for (const auto& p : periods) {
    args.push_back(PeriodKey(p));
    args.push_back(absl::StrCat(LastMonthOrdinal(p)));
  }
  std::vector<absl::string_view> argv(args.begin(), args.end());
  ASSIGN_OR_RETURN(RedisReply reply, kRead.Run(*pool_, {}, argv));
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
  RETURN_IF_ERROR(ScanHash(*pool_, kTargets, [&](absl::string_view, absl::string_view value) {
    pb::Target t;
    if (t.ParseFromArray(value.data(), static_cast<int>(value.size()))) out.push_back(std::move(t));
  }));
  std::sort(out.begin(), out.end(),
            [](const pb::Target& a, const pb::Target& b) { return a.indicator() < b.indicator(); });
  return out;
}

}  // namespace gnlc::analytics
