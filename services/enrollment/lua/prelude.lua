-- Shared by every script. ARGV[1..3] = city, now (unix ms), the stream's
-- retention (ms: the longest it keeps an entry, stream_retention.h).
-- KEYS[1] = the enrollment stream, then the shared keys and the keys of the
-- ids in the request (enrollment_keys.h).
--
-- Runs after proto.lua, the field and enum constants it writes with
-- (EVENT_TYPE, ENROLLMENT_STATE_CONFIRMED, ...: enrollment_scripts.cc takes
-- them from the compiled descriptors) and common/redis/lua/keys.lua.
local CITY, NOW, RETENTION_MS, STREAM = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), KEYS[1]
local CONFIRMED, WAITLISTED = ENROLLMENT_STATE_CONFIRMED, ENROLLMENT_STATE_WAITLISTED
local CANCELLED, COMPLETED = ENROLLMENT_STATE_CANCELLED, ENROLLMENT_STATE_COMPLETED

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

-- meta: "{state} {learner id} {offering id}", what scripts know without
-- parsing the enrollment record.
local function meta(eid)
  local m = redis.call('HGET', k('meta'), eid)
  if not m then return nil end
  local state, lid, oid = string.match(m, '^(%d+) (%S+) (%S+)$')
  return tonumber(state), read_id(lid), read_id(oid)
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
  local event = pb_bytes(EVENT_TYPE, type) .. pb_bytes(EVENT_CITY, CITY) ..
                pb_time(EVENT_TIME, at or NOW) .. pb_bytes(EVENT_RESOURCE, resource) ..
                pb_bytes(field, payload)
  return redis.call('XADD', STREAM, '*', 'e', event)
end

-- The learner's enrollment events still in the stream, which erasing the
-- learner deletes: by time, without those below the stream's trim point
-- (gone already), and expiring once the newest must be trimmed too (the
-- stream keeps nothing longer than the retention), so that it never holds
-- more than the stream does.
local function remember_event(lid, id)
  local index = k('lev', lid)
  local trimmed = redis.call('GET', k('events:trimmed'))
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
    kind = off[1] and redis.call('HGET', k('prog', read_id(off[1])), 'kind')
  end
  if position > 0 then blob = blob .. pb_int(ENROLLMENT_WAITLIST_POSITION, position) end
  return pb_int(ENROLLMENT_CHANGED_CHANGE, change) .. pb_bytes(ENROLLMENT_CHANGED_ENROLLMENT, blob) ..
         (redis.call('HGET', k('lstat'), lid) or '') ..
         pb_int(ENROLLMENT_CHANGED_PROGRAM_KIND, tonumber(kind or '0')) ..
         pb_int(ENROLLMENT_CHANGED_MODALITY, tonumber(modality or '0')), lid
end
local function emit_enrollment_event(change, eid, blob, position, actor, at, extra, facts)
  local payload, lid = enrollment_payload(change, eid, blob, position, facts)
  if actor then payload = payload .. pb_bytes(ENROLLMENT_CHANGED_ACTOR, actor) end
  if extra then payload = payload .. extra end
  local id = publish('enrollment_changed', 'cities/' .. CITY .. '/enrollments/' .. eid,
                     EVENT_ENROLLMENT_CHANGED, payload, at)
  remember_event(lid, id)
end
local function enrollment_event(change, eid, blob, position, actor, at, extra)
  emit_enrollment_event(change, eid, blob, position, actor, at, extra)
end

-- Appends a state change (with its history entry) to a stored enrollment.
local function transition(blob, from, to, reason)
  local entry = pb_int(ENROLLMENT_TRANSITION_FROM_STATE, from) ..
                pb_int(ENROLLMENT_TRANSITION_TO_STATE, to) .. pb_time(ENROLLMENT_TRANSITION_TIME, NOW) ..
                pb_bytes(ENROLLMENT_TRANSITION_REASON, reason)
  return blob .. pb_int(ENROLLMENT_STATE, to) .. pb_bytes(ENROLLMENT_HISTORY, entry) ..
         pb_time(ENROLLMENT_UPDATE_TIME, NOW)
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
  local seats = pb_bytes(OFFERING_SEATS_OFFERING, name) .. pb_int(OFFERING_SEATS_CAPACITY, cap) ..
                pb_int(OFFERING_SEATS_TAKEN, used) .. pb_int(OFFERING_SEATS_FREE, free) ..
                pb_int(OFFERING_SEATS_WAITLIST_LENGTH, redis.call('ZCARD', k('wl', oid)))
  publish('seats_changed', name, EVENT_SEATS_CHANGED,
          pb_bytes(SEATS_CHANGED_SEATS, seats) .. pb_int(SEATS_CHANGED_VERSION, version))
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
    enrollment_event(ENROLLMENT_CHANGE_PROMOTED, head, blob, 0)
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
  if reason_text ~= '' then blob = blob .. pb_bytes(ENROLLMENT_CANCEL_REASON, reason_text) end
  redis.call('HSET', k('enr'), eid, blob)
  enrollment_event(ENROLLMENT_CHANGE_CANCELLED, eid, blob, 0, actor)
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
