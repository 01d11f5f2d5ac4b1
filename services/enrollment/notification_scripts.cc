// The scripts that turn translated notifications into entries of each
// backend's stream, and due reminders into notifications. Both run in every
// replica; atomicity makes each notification happen once.
#include "services/enrollment/enrollment_scripts.h"

namespace gnlc::enrollment {
namespace {

// Appends one notification to `backend`'s stream (id from the service's
// clock, so ids and the retention share one timeline), trimming what is older
// than MINID (ms) and remembering the newest trimmed id (for CURSOR_EXPIRED)
// and the entry under the learner (for erasure). The learner's list keeps
// only entries the stream still holds, and expires with its newest, so it
// never outgrows the retention.
constexpr absl::string_view kNotify = R"lua(
-- Whether the enrollment's reminder went out (for a start still ahead).
local function reminded(eid)
  return redis.call('ZSCORE', k('reminded'), eid) or
         redis.call('HGET', k('remindn'), eid) == 'sent'
end
local function notify(backend, lid, bytes, minid)
  local stream = k('ntf', backend)
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if oldest and tonumber(string.match(oldest[1], '^(%d+)')) < tonumber(minid) then
    local gone = redis.call('XREVRANGE', stream, '(' .. minid .. '-0', '-', 'COUNT', 1)[1]
    if gone then redis.call('SET', k('ntftrim', backend), gone[1]) end
  end
  -- Ids in the service's clock (NOW), like the retention that trims them;
  -- if another replica's clock ran ahead, Redis picks the next id itself.
  local id = redis.pcall('XADD', stream, 'MINID', minid, NOW .. '-*', 'n', bytes)
  if type(id) == 'table' and id.err then
    id = redis.call('XADD', stream, 'MINID', minid, '*', 'n', bytes)
  end
  local list = k('lntf', lid)
  local kept = {}
  for b, old in string.gmatch(redis.call('GET', list) or '', '(%S+) (%S+)') do
    if tonumber(string.match(old, '^(%d+)')) >= tonumber(minid) then
      kept[#kept + 1] = b .. ' ' .. old .. ' '
    end
  end
  kept[#kept + 1] = backend .. ' ' .. id .. ' '
  redis.call('SET', list, table.concat(kept), 'PX', NOW - tonumber(minid) + 60000)
  return id
end
)lua";

}  // namespace

// ARGV: 4 cursor the batch was read after ('' if never set), 5 the batch's
// last event id, 6 MINID (ms), 7 notification count n, then n x (backend,
// learner id, Notification bytes), then reminder changes x (op, enrollment
// id, due ms, "{backend} {Notification}"): op "S" schedules (a confirmed
// enrollment not yet reminded), "X" drops. Returns {'OK'} or {'CONFLICT'}
// when another replica committed this batch first.
const RedisScript& CommitNotificationsScript() {
  static const RedisScript* script = MakeEnrollmentScript(std::string(kNotify) + R"lua(
if (redis.call('GET', k('ntfcursor')) or '') ~= ARGV[4] then return {'CONFLICT'} end
redis.call('SET', k('ntfcursor'), ARGV[5])
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  -- An erased learner gets nothing (their erasure may have come between
  -- the translation and this commit).
  if redis.call('HEXISTS', k('learners'), ARGV[i + 1]) == 1 then
    notify(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[6])
  end
  i = i + 3
end
while i <= #ARGV do
  local op, eid = ARGV[i], ARGV[i + 1]
  if op == 'S' then
    if not reminded(eid) and meta(eid) == CONFIRMED then
      redis.call('ZADD', k('remind'), ARGV[i + 2], eid)
      redis.call('HSET', k('remindn'), eid, ARGV[i + 3])
    end
  else
    redis.call('ZREM', k('remind'), eid)
    redis.call('HDEL', k('remindn'), eid)
  end
  i = i + 4
end
return {'OK'}
)lua");
  return *script;
}

// ARGV: 4 now (ms), 5 MINID (ms), 6 most reminders to send, 7 the reminder
// lead (ms). Sends each due reminder of a still confirmed enrollment once,
// and forgets the markers of reminders whose offering has started. Returns
// how many were due.
const RedisScript& DueRemindersScript() {
  static const RedisScript* script = MakeEnrollmentScript(std::string(kNotify) + R"lua(
local now, lead = tonumber(ARGV[4]), tonumber(ARGV[7])
local due = redis.call('ZRANGEBYSCORE', k('remind'), '-inf', now, 'LIMIT', 0, ARGV[6],
                       'WITHSCORES')
for j = 1, #due, 2 do
  local eid = due[j]
  redis.call('ZREM', k('remind'), eid)
  local v = redis.call('HGET', k('remindn'), eid)
  redis.call('HDEL', k('remindn'), eid)
  local state, lid = meta(eid)
  if v and v ~= 'sent' and state == CONFIRMED then
    local space = string.find(v, ' ', 1, true)
    notify(string.sub(v, 1, space - 1), lid, string.sub(v, space + 1), ARGV[5])
    -- Remembered until the offering starts: only until then can the same
    -- start be scheduled again (a replayed or repeated event).
    redis.call('ZADD', k('reminded'), tonumber(due[j + 1]) + lead, eid)
  end
end
redis.call('ZREMRANGEBYSCORE', k('reminded'), '-inf', now)
-- Markers written as "sent" into remindn by earlier versions, which kept
-- them forever: a few per run become ordinary markers, kept for one more
-- lead (their start time is not known).
local scan = redis.call('HSCAN', k('remindn'), redis.call('GET', k('remindscan')) or '0',
                        'COUNT', 100)
for j = 1, #scan[2], 2 do
  if scan[2][j + 1] == 'sent' then
    redis.call('HDEL', k('remindn'), scan[2][j])
    redis.call('ZADD', k('reminded'), now + lead, scan[2][j])
  end
end
if scan[1] == '0' then redis.call('DEL', k('remindscan'))
else redis.call('SET', k('remindscan'), scan[1]) end
return #due / 2
)lua");
  return *script;
}

}  // namespace gnlc::enrollment
