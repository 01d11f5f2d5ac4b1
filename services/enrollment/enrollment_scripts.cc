#include "services/enrollment/enrollment_scripts.h"

#include "absl/strings/str_cat.h"
#include "common/events/proto_lua.h"

namespace gnlc::enrollment {
namespace {

// Shared by every script. ARGV[1..3] = city, now (unix ms), the stream's
// retention (ms: the longest it keeps an entry, stream_retention.h);
// KEYS[1] = the enrollment stream. Keys are built from ids inside the
// scripts; all of them carry the hash tag {0}, so a script touches one slot.
//
// Field numbers are those of gnlc.events.v1.Event (type 2, city 3, time 4,
// resource 5, enrollment_changed 20, seats_changed 21, learner_erased 22),
// EnrollmentChanged (change 1, enrollment 2, district 3, age band 4, kind 5,
// modality 6, counts 7), Enrollment (state 4, waitlist_position 5, history
// 6, cancel_reason 10, update_time 12), EnrollmentTransition (from 1, to 2,
// time 3, reason 4) and OfferingSeats (offering 1, capacity 2, taken 3,
// free 4, waitlist_length 5).
constexpr absl::string_view kPrelude = R"lua(
local CITY, NOW, RETENTION_MS, STREAM = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), KEYS[1]
local function k(name, id)
  if id then return 'enr:{0}:' .. name .. ':' .. id end
  return 'enr:{0}:' .. name
end
local CONFIRMED, WAITLISTED, CANCELLED, COMPLETED = 1, 2, 3, 4

-- An idempotency key lives a day (a retry comes within minutes; payment
-- APIs keep theirs about as long). The learner's index of them, which
-- erasure reads, keeps only those that may still exist (scored by when
-- they expire) and expires with the last, so it never outgrows a day.
local REQUEST_TTL_S = 86400
local function remember_request(lid, key)
  redis.call('EXPIRE', key, REQUEST_TTL_S)
  local index = k('lreq', lid)
  local expires = NOW + REQUEST_TTL_S * 1000
  if redis.call('TYPE', index).ok == 'set' then
    -- An index written before it was sorted: its keys kept a day more.
    local old = redis.call('SMEMBERS', index)
    redis.call('DEL', index)
    for _, m in ipairs(old) do redis.call('ZADD', index, expires, m) end
  end
  redis.call('ZREMRANGEBYSCORE', index, '-inf', NOW)
  redis.call('ZADD', index, expires, key)
  redis.call('EXPIRE', index, REQUEST_TTL_S)
end
local function remembered_requests(lid)
  local index = k('lreq', lid)
  if redis.call('TYPE', index).ok == 'set' then return redis.call('SMEMBERS', index) end
  return redis.call('ZRANGE', index, 0, -1)
end
local CHANGE_ENROLLED, CHANGE_WAITLISTED, CHANGE_PROMOTED, CHANGE_CANCELLED = 1, 2, 3, 4

-- meta: "{state} {learner id} {offering id}", what scripts know without
-- parsing the enrollment record.
local function meta(eid)
  local m = redis.call('HGET', k('meta'), eid)
  if not m then return nil end
  local state, lid, oid = string.match(m, '^(%d+) (%S+) (%S+)$')
  return tonumber(state), lid, oid
end
local function set_meta(eid, state, lid, oid)
  redis.call('HSET', k('meta'), eid, state .. ' ' .. lid .. ' ' .. oid)
end
-- A digest of a learner's records (to archive them only as they were
-- read), and whether every enrollment of theirs is cancelled or completed.
local function archive_digest(lid, blob)
  local parts = {blob}
  for _, eid in ipairs(redis.call('ZRANGE', k('le', lid), 0, -1)) do
    local state = meta(eid)
    if state ~= CANCELLED and state ~= COMPLETED then return nil, false end
    parts[#parts + 1] = eid
    parts[#parts + 1] = redis.call('HGET', k('enr'), eid)
  end
  return redis.sha1hex(table.concat(parts, '|')), true
end

-- `at`: the event's time in unix ms (an import's original time); NOW if nil.
local function publish(type, resource, field, payload, at)
  local event = pb_bytes(2, type) .. pb_bytes(3, CITY) .. pb_time(4, at or NOW) ..
                pb_bytes(5, resource) .. pb_bytes(field, payload)
  return redis.call('XADD', STREAM, '*', 'e', event)
end

-- The learner's enrollment events still in the stream, which erasing the
-- learner deletes: by time, without those below the stream's trim point
-- (gone already), and expiring once the newest must be trimmed too (the
-- stream keeps nothing longer than the retention), so that it never holds
-- more than the stream does.
local function remember_event(lid, id)
  local index = k('lev', lid)
  local trimmed = redis.call('GET', STREAM .. ':trimmed')
  if trimmed then
    local ms, seq = string.match(trimmed, '^(%d+)-(%d+)$')
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. ms)
    for _, old in ipairs(redis.call('ZRANGEBYSCORE', index, ms, ms)) do
      if tonumber(string.match(old, '-(%d+)$')) < tonumber(seq) then
        redis.call('ZREM', index, old)
      end
    end
  end
  redis.call('ZADD', index, tonumber(string.match(id, '^(%d+)')), id)
  redis.call('PEXPIRE', index, RETENTION_MS + 86400000)
end

-- An enrollment event, with the statistics facts analytics needs. Its
-- stream id is remembered so that erasing the learner can delete it.
-- `at` as in publish; `extra`: more EnrollmentChanged fields (bytes).
-- `facts`: {learner id, program kind, modality} when the caller already
-- holds them (the enroll script); read here otherwise.
-- The EnrollmentChanged fields every such event carries (and the learner).
local function enrollment_payload(change, eid, blob, position, facts)
  local lid, kind, modality
  if facts then
    lid, kind, modality = facts[1], facts[2], facts[3]
  else
    local _, l, oid = meta(eid)
    local off = redis.call('HMGET', k('off', oid), 'prog', 'modality')
    lid, modality = l, off[2]
    kind = off[1] and redis.call('HGET', k('prog', off[1]), 'kind')
  end
  if position > 0 then blob = blob .. pb_int(5, position) end
  return pb_int(1, change) .. pb_bytes(2, blob) ..
         (redis.call('HGET', k('lstat'), lid) or '') ..
         pb_int(5, tonumber(kind or '0')) .. pb_int(6, tonumber(modality or '0')), lid
end
local function emit_enrollment_event(change, eid, blob, position, actor, at, extra, facts)
  local payload, lid = enrollment_payload(change, eid, blob, position, facts)
  if actor then payload = payload .. pb_bytes(8, actor) end
  if extra then payload = payload .. extra end
  local id = publish('enrollment_changed', 'cities/' .. CITY .. '/enrollments/' .. eid, 20, payload,
                     at)
  remember_event(lid, id)
end
local function enrollment_event(change, eid, blob, position, actor, at, extra)
  emit_enrollment_event(change, eid, blob, position, actor, at, extra)
end

-- Appends a state change (with its history entry) to a stored enrollment.
local function transition(blob, from, to, reason)
  local entry = pb_int(1, from) .. pb_int(2, to) .. pb_time(3, NOW) .. pb_bytes(4, reason)
  return blob .. pb_int(4, to) .. pb_bytes(6, entry) .. pb_time(12, NOW)
end

local function taken(oid)
  return redis.call('SCARD', k('seated', oid)) +
         tonumber(redis.call('HGET', k('off', oid), 'completed') or '0')
end

-- `known`: {name, capacity, taken} when the caller holds them.
local function publish_seats(oid, known)
  local name, cap, used
  if known then
    name, cap, used = known[1], known[2], known[3]
  else
    local f = redis.call('HMGET', k('off', oid), 'cap', 'name')
    name, cap, used = f[2], tonumber(f[1]), taken(oid)
  end
  local free = -1
  if cap >= 0 then free = math.max(cap - used, 0) end
  local version = redis.call('HINCRBY', k('off', oid), 'seatver', 1)
  local seats = pb_bytes(1, name) .. pb_int(2, cap) .. pb_int(3, used) .. pb_int(4, free) ..
                pb_int(5, redis.call('ZCARD', k('wl', oid)))
  publish('seats_changed', name, 21, pb_bytes(1, seats) .. pb_int(2, version))
end

-- Gives free seats to the head of the waitlist, in order. Over capacity
-- (capacity was reduced) nobody moves until enough seats are free.
local function promote(oid)
  local cap = tonumber(redis.call('HGET', k('off', oid), 'cap'))
  local used = taken(oid)
  while cap >= 0 and used < cap do
    local head = redis.call('ZRANGE', k('wl', oid), 0, 0)[1]
    if not head then break end
    redis.call('ZREM', k('wl', oid), head)
    redis.call('SADD', k('seated', oid), head)
    local _, lid = meta(head)
    set_meta(head, CONFIRMED, lid, oid)
    local blob = transition(redis.call('HGET', k('enr'), head), WAITLISTED, CONFIRMED,
                            'promoted from waitlist')
    redis.call('HSET', k('enr'), head, blob)
    enrollment_event(CHANGE_PROMOTED, head, blob, 0)
    used = used + 1
  end
end

-- Cancels an active enrollment; the caller promotes and publishes seats.
local function cancel(eid, reason, reason_text, actor)
  local state, lid, oid = meta(eid)
  if state == CONFIRMED then
    redis.call('SREM', k('seated', oid), eid)
  else
    redis.call('ZREM', k('wl', oid), eid)
  end
  redis.call('HDEL', k('active', lid), oid)
  set_meta(eid, CANCELLED, lid, oid)
  local blob = transition(redis.call('HGET', k('enr'), eid), state, CANCELLED, reason)
  if reason_text ~= '' then blob = blob .. pb_bytes(10, reason_text) end
  redis.call('HSET', k('enr'), eid, blob)
  enrollment_event(CHANGE_CANCELLED, eid, blob, 0, actor)
  return blob
end

-- An enrollment as read: its record and its waitlist position (0 if none).
-- `state` and `oid`, from meta, when the caller has already read them.
local function view(eid, state, oid)
  local blob = redis.call('HGET', k('enr'), eid)
  if not blob then return '', 0 end
  if not state then
    local s, _, o = meta(eid)
    state, oid = s, o
  end
  local position = 0
  if state == WAITLISTED then position = redis.call('ZRANK', k('wl', oid), eid) + 1 end
  return blob, position
end
)lua";

}  // namespace

const RedisScript* MakeEnrollmentScript(absl::string_view body, RedisScript::Access access) {
  return new RedisScript(absl::StrCat(kProtoLua, kPrelude, body), access);
}

namespace {
const RedisScript* Make(absl::string_view body) { return MakeEnrollmentScript(body); }
// A script that only reads (RedisScript::kReadOnly).
const RedisScript* MakeReader(absl::string_view body) {
  return MakeEnrollmentScript(body, RedisScript::kReadOnly);
}
}  // namespace

// ARGV: 4 learner id, 5 blob, 6 statistics bytes, 7 external subject,
//       8 request id, 9 request fingerprint
const RedisScript& CreateLearnerScript() {
  static const RedisScript* script = Make(R"lua(
local lid, rid = ARGV[4], ARGV[8]
if rid ~= '' then
  local prior = redis.call('HMGET', k('req:l', rid), 'fp', 'lid')
  if prior[1] then
    if prior[1] ~= ARGV[9] then return {'REQUEST_MISMATCH'} end
    return {'DUPLICATE', prior[2]}
  end
end
if redis.call('HEXISTS', k('learners'), lid) == 1 then return {'ID_TAKEN'} end
if ARGV[7] ~= '' then
  local owner = redis.call('HGET', k('subjects'), ARGV[7])
  if owner then return {'SUBJECT_TAKEN', owner} end
  redis.call('HSET', k('subjects'), ARGV[7], lid)
end
redis.call('HSET', k('learners'), lid, ARGV[5])
redis.call('HSET', k('lstat'), lid, ARGV[6])
if rid ~= '' then
  redis.call('HSET', k('req:l', rid), 'fp', ARGV[9], 'lid', lid)
  remember_request(lid, k('req:l', rid))
end
return {'OK'}
)lua");
  return *script;
}

// ARGV: 4 learner id, 5 expected blob, 6 new blob, 7 statistics bytes
const RedisScript& UpdateLearnerScript() {
  static const RedisScript* script = Make(R"lua(
local current = redis.call('HGET', k('learners'), ARGV[4])
if not current then return {'NOT_FOUND'} end
if current ~= ARGV[5] then return {'CONFLICT'} end
redis.call('HSET', k('learners'), ARGV[4], ARGV[6])
redis.call('HSET', k('lstat'), ARGV[4], ARGV[7])
return {'OK'}
)lua");
  return *script;
}

// ARGV: 4 learner id, 5 offering id, 6 enrollment id, 7 request id,
//       8 request fingerprint, 9 record if confirmed, 10 record if waitlisted,
//       11 offering name (must match the facts: the id alone is not enough)
const RedisScript& EnrollScript() {
  static const RedisScript* script = Make(R"lua(
local lid, oid, eid, rid, fp = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if rid ~= '' then
  local prior = redis.call('HMGET', k('req:e', rid), 'fp', 'resp', 'pos')
  if prior[1] then
    if prior[1] ~= fp then return {'REQUEST_MISMATCH'} end
    return {'DUPLICATE', prior[2], prior[3]}
  end
end
if redis.call('HEXISTS', k('learners'), lid) == 0 then return {'NO_LEARNER'} end
-- Every fact of the offering and its program this script needs, read once.
local f = redis.call('HMGET', k('off', oid), 'prog', 'cap', 'open', 'close', 'cancelled', 'wlimit',
                     'name', 'modality', 'completed')
if not f[1] then return {'NO_FACTS'} end
if f[7] ~= ARGV[11] then return {'NO_OFFERING'} end
local prog = redis.call('HMGET', k('prog', f[1]), 'state', 'kind')
if prog[1] ~= '2' then return {'NOT_PUBLISHED'} end
if f[5] == '1' then return {'CANCELLED'} end
local now_s = math.floor(NOW / 1000)
if now_s < tonumber(f[3]) then return {'NOT_OPEN', f[3]} end
if now_s >= tonumber(f[4]) then return {'CLOSED', f[4]} end
local existing = redis.call('HGET', k('active', lid), oid)
if existing then return {'EXISTS', existing} end
local cap = tonumber(f[2])
local used = redis.call('SCARD', k('seated', oid)) + tonumber(f[9] or '0')
local state, blob, position = CONFIRMED, ARGV[9], 0
if cap >= 0 and used >= cap then
  local limit = tonumber(f[6])
  if limit >= 0 and redis.call('ZCARD', k('wl', oid)) >= limit then
    return {'WAITLIST_FULL', f[6]}
  end
  state, blob = WAITLISTED, ARGV[10]
end
local seq = redis.call('INCR', k('seq'))
redis.call('HSET', k('enr'), eid, blob)
set_meta(eid, state, lid, oid)
redis.call('ZADD', k('le', lid), seq, eid)
redis.call('HSET', k('active', lid), oid, eid)
redis.call('ZADD', k('roster', oid), seq, eid)
local facts = {lid, prog[2], f[8]}
if state == CONFIRMED then
  redis.call('SADD', k('seated', oid), eid)
  used = used + 1
  emit_enrollment_event(CHANGE_ENROLLED, eid, blob, 0, nil, nil, nil, facts)
else
  redis.call('ZADD', k('wl', oid), seq, eid)
  position = redis.call('ZCARD', k('wl', oid))  -- seq is the highest score
  emit_enrollment_event(CHANGE_WAITLISTED, eid, blob, position, nil, nil, nil, facts)
end
publish_seats(oid, {f[7], cap, used})
if rid ~= '' then
  redis.call('HSET', k('req:e', rid), 'fp', fp, 'resp', blob, 'pos', position)
  remember_request(lid, k('req:e', rid))
end
return {'OK', blob, tostring(position)}
)lua");
  return *script;
}

// ARGV: 4 enrollment id, 5 reason (history), 6 cancel_reason bytes,
//       7 actor ("learner" or "city", for notifications)
const RedisScript& CancelScript() {
  static const RedisScript* script = Make(R"lua(
local state, _, oid = meta(ARGV[4])
if not state then return {'NOT_FOUND'} end
if state ~= CONFIRMED and state ~= WAITLISTED then return {'NOT_ACTIVE', tostring(state)} end
local blob = cancel(ARGV[4], ARGV[5], ARGV[6], ARGV[7])
promote(oid)
publish_seats(oid)
return {'OK', blob}
)lua");
  return *script;
}

// ARGV: 4 enrollment id, 5 expected blob, 6 new blob, 7 change, 8 new state
//       ("0": unchanged; "4": completed, only from confirmed)
const RedisScript& RewriteScript() {
  static const RedisScript* script = Make(R"lua(
local eid = ARGV[4]
local state, lid, oid = meta(eid)
if not state then return {'NOT_FOUND'} end
if redis.call('HGET', k('enr'), eid) ~= ARGV[5] then return {'CONFLICT'} end
if tonumber(ARGV[8]) == COMPLETED then
  if state ~= CONFIRMED then return {'CONFLICT'} end
  redis.call('SREM', k('seated', oid), eid)
  redis.call('HINCRBY', k('off', oid), 'completed', 1)
  set_meta(eid, COMPLETED, lid, oid)
end
redis.call('HSET', k('enr'), eid, ARGV[6])
enrollment_event(tonumber(ARGV[7]), eid, ARGV[6], 0)
return {'OK'}
)lua");
  return *script;
}

// ARGV: 4 offering id, 5 version, 6 name, 7 program id, 8 capacity (-1
//       unlimited), 9 open, 10 close, 11 end (unix s), 12 cancelled "0"/"1",
//       13 waitlist limit (-1 none), 14 modality, 15 cancel_reason bytes,
//       16 start (unix s), 17 venue name (LocalizedText bytes), 18 venue
//       address. A changed start or venue publishes offering_rescheduled.
// Returns 1 if applied, 0 if not newer than what is stored.
const RedisScript& PutOfferingFactsScript() {
  static const RedisScript* script = Make(R"lua(
local oid = ARGV[4]
local key = k('off', oid)
local prior = redis.call('HMGET', key, 'ver', 'cap', 'cancelled', 'start', 'vname', 'vaddr')
if prior[1] and tonumber(prior[1]) >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', key, 'ver', ARGV[5], 'name', ARGV[6], 'prog', ARGV[7], 'cap', ARGV[8],
           'open', ARGV[9], 'close', ARGV[10], 'end', ARGV[11], 'cancelled', ARGV[12],
           'wlimit', ARGV[13], 'modality', ARGV[14], 'start', ARGV[16], 'vname', ARGV[17],
           'vaddr', ARGV[18])
if not prior[1] then return 1 end
if ARGV[12] == '1' and prior[3] ~= '1' then
  for _, eid in ipairs(redis.call('SMEMBERS', k('seated', oid))) do
    cancel(eid, 'offering cancelled', ARGV[15], 'offering')
  end
  for _, eid in ipairs(redis.call('ZRANGE', k('wl', oid), 0, -1)) do
    cancel(eid, 'offering cancelled', ARGV[15], 'offering')
  end
  publish_seats(oid)
elseif prior[2] ~= ARGV[8] then
  promote(oid)
  publish_seats(oid)
end
-- Facts stored before start and venue were kept have no 'start': nothing
-- to compare with, so no notification.
if ARGV[12] ~= '1' and prior[4] and
   (prior[4] ~= ARGV[16] or prior[5] ~= ARGV[17] or prior[6] ~= ARGV[18]) then
  publish('offering_rescheduled', ARGV[6], 23,
          pb_bytes(1, ARGV[6]) .. pb_time(2, tonumber(ARGV[16]) * 1000) ..
          pb_time(3, tonumber(prior[4]) * 1000) .. pb_bytes(4, ARGV[17]) .. pb_bytes(5, ARGV[18]))
end
return 1
)lua");
  return *script;
}

// ARGV: 4 program id, 5 version, 6 state, 7 kind
const RedisScript& PutProgramFactsScript() {
  static const RedisScript* script = Make(R"lua(
local key = k('prog', ARGV[4])
local prior = redis.call('HGET', key, 'ver')
if prior and tonumber(prior) >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', key, 'ver', ARGV[5], 'state', ARGV[6], 'kind', ARGV[7])
return 1
)lua");
  return *script;
}

// ARGV: 4.. enrollment ids. Returns record, position pairs ('' if absent).
const RedisScript& ViewScript() {
  static const RedisScript* script = MakeReader(R"lua(
local out = {}
for i = 4, #ARGV do
  local blob, position = view(ARGV[i])
  out[#out + 1] = blob
  out[#out + 1] = position
end
return out
)lua");
  return *script;
}

// ARGV: 4 index key (a learner's or an offering's ZSET), 5 after score,
//       6 state (0 any), 7 limit, 8 most entries to scan, 9 a learner who
//       must exist ('' for none: the page's one round trip checks it)
// Returns: last scanned score, more (0/1; -1: the learner does not exist),
// then record, position pairs.
const RedisScript& ListScript() {
  static const RedisScript* script = MakeReader(R"lua(
local index, cursor, want = ARGV[4], ARGV[5], tonumber(ARGV[6])
local limit, budget = tonumber(ARGV[7]), tonumber(ARGV[8])
if ARGV[9] ~= '' and redis.call('HEXISTS', k('learners'), ARGV[9]) == 0 then return {'', -1} end
local out = {'', 0}
local found, scanned = 0, 0
-- A batch's states, and then the matches' records, each in one call: a
-- page of 50 is a handful of Redis calls, not a hundred.
while found < limit and scanned < budget do
  local batch = redis.call('ZRANGEBYSCORE', index, '(' .. cursor, '+inf', 'WITHSCORES',
                           'LIMIT', 0, math.min(100, budget - scanned))
  if #batch == 0 then break end
  local ids = {}
  for i = 1, #batch, 2 do ids[#ids + 1] = batch[i] end
  local metas = redis.call('HMGET', k('meta'), unpack(ids))
  local picked, states, offerings = {}, {}, {}
  for i, eid in ipairs(ids) do
    cursor = batch[2 * i]
    scanned = scanned + 1
    local state, oid
    if metas[i] then
      local st, _, o = string.match(metas[i], '^(%d+) (%S+) (%S+)$')
      state, oid = tonumber(st), o
    end
    if want == 0 or state == want then
      local n = #picked + 1
      picked[n], states[n], offerings[n] = eid, state, oid
      found = found + 1
      if found >= limit then break end
    end
  end
  if #picked > 0 then
    local blobs = redis.call('HMGET', k('enr'), unpack(picked))
    for i, eid in ipairs(picked) do
      local position = 0
      if blobs[i] and states[i] == WAITLISTED then
        position = redis.call('ZRANK', k('wl', offerings[i]), eid) + 1
      end
      out[#out + 1] = blobs[i] or ''
      out[#out + 1] = position
    end
  end
end
out[1] = cursor
if redis.call('ZCOUNT', index, '(' .. cursor, '+inf') > 0 then out[2] = 1 end
return out
)lua");
  return *script;
}

// ARGV: 4 offering id. Returns {} if unknown, else capacity, taken,
// waitlist length.
const RedisScript& SeatsScript() {
  static const RedisScript* script = MakeReader(R"lua(
local cap = redis.call('HGET', k('off', ARGV[4]), 'cap')
if not cap then return {} end
return {tonumber(cap), taken(ARGV[4]), redis.call('ZCARD', k('wl', ARGV[4]))}
)lua");
  return *script;
}

const RedisScript& SweepOldEventIdsScript() {
  static const RedisScript* script = Make(R"lua(
local cursor = redis.call('GET', k('evsscan')) or '0'
local scan = redis.call('HSCAN', k('evs'), cursor, 'COUNT', 500)
for j = 1, #scan[2], 2 do
  local kept = {}
  for id in string.gmatch(scan[2][j + 1], '%S+') do
    if tonumber(string.match(id, '^(%d+)')) >= tonumber(string.match(ARGV[4], '^(%d+)')) then
      kept[#kept + 1] = id .. ' '
    end
  end
  if #kept == 0 then redis.call('HDEL', k('evs'), scan[2][j])
  else redis.call('HSET', k('evs'), scan[2][j], table.concat(kept)) end
end
if scan[1] == '0' then redis.call('DEL', k('evsscan'))
else redis.call('SET', k('evsscan'), scan[1]) end
return 0
)lua");
  return *script;
}

// ARGV: 4 SCAN cursor ("0" to begin). Publishes the seats of about 200
// offerings again (SeatsChanged, each with a new version); returns the
// next cursor ("0": every offering done).
const RedisScript& RepublishSeatsScript() {
  static const RedisScript* script = Make(R"lua(
local prefix = k('off', '')
local scan = redis.call('SCAN', ARGV[4], 'MATCH', prefix .. '*', 'COUNT', 200)
for _, key in ipairs(scan[2]) do
  local oid = string.sub(key, #prefix + 1)
  if redis.call('HEXISTS', key, 'cap') == 1 then publish_seats(oid) end
end
return scan[1]
)lua");
  return *script;
}

// ARGV: 4 HSCAN cursor ("0" to begin), 5 how many to scan, 6 "enr" (the
// enrollment records), "learners" or "archived" (learners archived).
// Returns {next cursor ("0": done), then per item scanned the
// EnrollmentChanged bytes (IMPORTED) of a record, or a learner's id}: what
// analytics recounts from.
const RedisScript& StatisticsPageScript() {
  static const RedisScript* script = MakeReader(R"lua(
local learners = ARGV[6] ~= 'enr'
local scan = redis.call('HSCAN', k(ARGV[6]), ARGV[4], 'COUNT', tonumber(ARGV[5]))
local out = {scan[1]}
for j = 1, #scan[2], 2 do
  if learners then
    out[#out + 1] = scan[2][j]
  elseif meta(scan[2][j]) then
    out[#out + 1] = enrollment_payload(8, scan[2][j], scan[2][j + 1], 0)
  end
end
return out
)lua");
  return *script;
}

// ARGV: 4 HSCAN cursor of the learners ("0" to begin), 5 how many. Returns
// {next cursor, then per learner whose every enrollment is cancelled or
// completed: id, record, its import source id ("" if none), digest of its
// records, enrollment count n, then n times (id, record, source id)}.
const RedisScript& ArchiveCandidatesScript() {
  static const RedisScript* script = MakeReader(R"lua(
local scan = redis.call('HSCAN', k('learners'), ARGV[4], 'COUNT', tonumber(ARGV[5]))
local out = {scan[1]}
for j = 1, #scan[2], 2 do
  local lid = scan[2][j]
  local digest, terminal = archive_digest(lid, scan[2][j + 1])
  if terminal then
    local sources = {}
    for _, field in ipairs(redis.call('SMEMBERS', k('lsrc', lid))) do
      if string.sub(field, 1, 2) == 'l:' then
        sources[lid] = string.sub(field, 3)
      else
        local eid = string.match(redis.call('HGET', k('src'), field) or '', '^(%S+)')
        if eid then sources[eid] = string.sub(field, 3) end
      end
    end
    local eids = redis.call('ZRANGE', k('le', lid), 0, -1)
    out[#out + 1] = lid
    out[#out + 1] = scan[2][j + 1]
    out[#out + 1] = sources[lid] or ''
    out[#out + 1] = digest
    out[#out + 1] = #eids
    for _, eid in ipairs(eids) do
      out[#out + 1] = eid
      out[#out + 1] = redis.call('HGET', k('enr'), eid)
      out[#out + 1] = sources[eid] or ''
    end
  end
end
return out
)lua");
  return *script;
}

// ARGV: 4 learner id, 5 the digest ArchiveCandidates gave, 6 external
// subject, 7 the archived rows (bytes), 8 the learner's source id in them.
// Unless the learner's records changed since (then 0): deletes the learner
// and every record and index entry of theirs (anonymous counts stay; the
// seats their completions held are given back), keeps the rows until
// confirmed (archive) and the source id for a later erasure (archived).
const RedisScript& StageArchiveScript() {
  static const RedisScript* script = Make(R"lua(
local lid = ARGV[4]
local blob = redis.call('HGET', k('learners'), lid)
if not blob then return 0 end
local digest, terminal = archive_digest(lid, blob)
if not terminal or digest ~= ARGV[5] then return 0 end
local freed = {}
for _, eid in ipairs(redis.call('ZRANGE', k('le', lid), 0, -1)) do
  local state, _, oid = meta(eid)
  if state == COMPLETED then freed[oid] = (freed[oid] or 0) + 1 end
  redis.call('ZREM', k('roster', oid), eid)
  redis.call('ZREM', k('remind'), eid)
  redis.call('HDEL', k('remindn'), eid)
  redis.call('ZREM', k('reminded'), eid)
  redis.call('HDEL', k('enr'), eid)
  redis.call('HDEL', k('meta'), eid)
  redis.call('HDEL', k('evs'), eid)
end
for oid, n in pairs(freed) do
  -- (Facts enrollment no longer holds need no count.)
  if redis.call('HEXISTS', k('off', oid), 'cap') == 1 then
    redis.call('HINCRBY', k('off', oid), 'completed', -n)
    publish_seats(oid)
  end
end
for _, key in ipairs(remembered_requests(lid)) do redis.call('DEL', key) end
for _, field in ipairs(redis.call('SMEMBERS', k('lsrc', lid))) do
  redis.call('HDEL', k('src'), field)
end
redis.call('DEL', k('le', lid), k('active', lid), k('lreq', lid), k('lsrc', lid), k('lev', lid),
           k('lntf', lid))
if ARGV[6] ~= '' and redis.call('HGET', k('subjects'), ARGV[6]) == lid then
  redis.call('HDEL', k('subjects'), ARGV[6])
end
redis.call('HDEL', k('learners'), lid)
redis.call('HDEL', k('lstat'), lid)
redis.call('HSET', k('archive'), lid, ARGV[7])
redis.call('HSET', k('archived'), lid, ARGV[8])
return 1
)lua");
  return *script;
}

// ARGV: 4 learner id, 5 external subject, 6 learner name. Cancels what is
// active (promoting others), deletes every record and index entry of the
// learner and the stream entries that name them, then publishes the
// erasure. Anonymous counts (seats used by completions) stay.
const RedisScript& EraseLearnerScript() {
  static const RedisScript* script = Make(R"lua(
local lid = ARGV[4]
if redis.call('HEXISTS', k('learners'), lid) == 0 then
  -- Archived: nothing of theirs is left here but the source id their rows
  -- carry, which a re-import of the archive is now refused (and rows not
  -- yet confirmed are dropped).
  local src = redis.call('HGET', k('archived'), lid)
  if not src then return 0 end
  redis.call('SADD', k('erasedsrc'), redis.sha1hex(src))
  redis.call('HDEL', k('archived'), lid)
  redis.call('HDEL', k('archive'), lid)
  publish('learner_erased', ARGV[6], 22, pb_bytes(1, ARGV[6]))
  return 1
end
local touched = {}
for _, eid in ipairs(redis.call('ZRANGE', k('le', lid), 0, -1)) do
  local state, _, oid = meta(eid)
  if state == CONFIRMED then
    redis.call('SREM', k('seated', oid), eid)
    touched[#touched + 1] = oid
  elseif state == WAITLISTED then
    redis.call('ZREM', k('wl', oid), eid)
    touched[#touched + 1] = oid
  end
  redis.call('ZREM', k('roster', oid), eid)
  redis.call('ZREM', k('remind'), eid)
  redis.call('HDEL', k('remindn'), eid)
  redis.call('ZREM', k('reminded'), eid)
  -- (evs: where earlier versions kept each enrollment's event ids.)
  for id in string.gmatch(redis.call('HGET', k('evs'), eid) or '', '%S+') do
    redis.call('XDEL', STREAM, id)
  end
  redis.call('HDEL', k('enr'), eid)
  redis.call('HDEL', k('meta'), eid)
  redis.call('HDEL', k('evs'), eid)
end
for _, id in ipairs(redis.call('ZRANGE', k('lev', lid), 0, -1)) do
  redis.call('XDEL', STREAM, id)
end
redis.call('DEL', k('lev', lid))
for _, oid in ipairs(touched) do
  promote(oid)
  publish_seats(oid)
end
for _, key in ipairs(remembered_requests(lid)) do redis.call('DEL', key) end
-- The learner's notifications not yet trimmed, in their backends' streams.
for backend, id in string.gmatch(redis.call('GET', k('lntf', lid)) or '', '(%S+) (%S+)') do
  redis.call('XDEL', k('ntf', backend), id)
end
redis.call('DEL', k('lntf', lid))
-- Imported records: their source ids go, and the learner's is remembered
-- only as a digest, so a re-import of the source file cannot bring them back.
for _, field in ipairs(redis.call('SMEMBERS', k('lsrc', lid))) do
  redis.call('HDEL', k('src'), field)
  if string.sub(field, 1, 2) == 'l:' then
    redis.call('SADD', k('erasedsrc'), redis.sha1hex(string.sub(field, 3)))
  end
end
redis.call('DEL', k('le', lid), k('active', lid), k('lreq', lid), k('lsrc', lid))
if ARGV[5] ~= '' and redis.call('HGET', k('subjects'), ARGV[5]) == lid then
  redis.call('HDEL', k('subjects'), ARGV[5])
end
redis.call('HDEL', k('learners'), lid)
redis.call('HDEL', k('lstat'), lid)
publish('learner_erased', ARGV[6], 22, pb_bytes(1, ARGV[6]))
return 1
)lua");
  return *script;
}

}  // namespace gnlc::enrollment
