-- ARGV: 4 row count, 5 the skills program kind, then per row 12 values:
--       source id, enrollment id, expected mapping ('' for a new row),
--       learner id, offering id, offering name, record, fingerprint,
--       "1" if it records employment, event time (unix ms), record state,
--       "1" if restored from an archive (its event says so).
-- The record's state decides its place: a seat, the waitlist, or neither.
-- In an offering that has not ended, seats and the waitlist limit hold as
-- for a live enrollment. A corrected row keeps its learner and offering.
-- Returns per row: IMPORTED, UPDATED, CONFLICT, NO_LEARNER, NO_FACTS,
-- NO_OFFERING, NOT_SKILLS, MOVED, ACTIVE_EXISTS {id}, FULL {capacity} or
-- WAITLIST_FULL {limit}; each result is one string ("FULL 20").
local SKILLS = ARGV[5]
local now_s = math.floor(NOW / 1000)
local out, touched = {}, {}
-- What several rows of a batch share is read once: offering facts, program
-- kinds, learners' statistics fields. Writes of whole records are gathered
-- and made with one HSET per hash at the end (a row's check never reads
-- another row's record, only its seat and active enrollment, written at
-- once).
local offers, kinds, learners = {}, {}, {}
local enr, metas, srcs, completed = {}, {}, {}, {}

local function offering(oid)
  local f = offers[oid]
  if f == nil then
    f = redis.call('HMGET', k('off', oid), 'prog', 'cap', 'end', 'wlimit', 'name', 'modality')
    if not f[1] then f = false end
    offers[oid] = f
  end
  return f
end
local function kind(prog)
  local v = kinds[prog]
  if v == nil then
    v = redis.call('HGET', k('prog', read_id(prog)), 'kind') or '0'
    kinds[prog] = v
  end
  return v
end
-- The learner's statistics fields, or false if the learner does not exist.
local function learner(lid)
  local v = learners[lid]
  if v == nil then
    v = redis.call('HGET', k('lstat'), lid)
    if v == false and redis.call('HEXISTS', k('learners'), lid) == 1 then v = '' end
    learners[lid] = v
  end
  return v
end

local function check(src, expected, lid, oid, name, employed)
  if (redis.call('HGET', k('src'), 'e:' .. src) or '') ~= expected then return 'CONFLICT' end
  if learner(lid) == false then return 'NO_LEARNER' end
  local f = offering(oid)
  if not f then return 'NO_FACTS' end
  if f[5] ~= name then return 'NO_OFFERING' end
  if employed == '1' and kind(f[1]) ~= SKILLS then return 'NOT_SKILLS' end
  return nil, f
end

local function apply(src, eid, expected, lid, oid, blob, fp, at, state, f, restored)
  local old_state, old_lid, old_oid
  if expected ~= '' then old_state, old_lid, old_oid = meta(eid) end
  if old_state and (old_lid ~= lid or old_oid ~= oid) then return 'MOVED' end
  local holds = state == CONFIRMED or state == WAITLISTED
  local active = (holds or old_state) and redis.call('HGET', k('active', lid), oid)
  if holds and active and active ~= eid then return 'ACTIVE_EXISTS ' .. active end
  local current = tonumber(f[3]) > now_s
  local cap, wlimit = tonumber(f[2]), tonumber(f[4])
  if current and state == CONFIRMED and cap >= 0 then
    local held = (old_state == CONFIRMED or old_state == COMPLETED) and 1 or 0
    if taken(oid) + (completed[oid] or 0) - held >= cap then return 'FULL ' .. f[2] end
  end
  if current and state == WAITLISTED and wlimit >= 0 then
    local waiting = old_state == WAITLISTED and 1 or 0
    if redis.call('ZCARD', k('wl', oid)) - waiting >= wlimit then return 'WAITLIST_FULL ' .. f[4] end
  end
  local previous = nil
  local seq
  if old_state then
    previous = redis.call('HGET', k('enr'), eid)
    if old_state == CONFIRMED then
      redis.call('SREM', k('seated', oid), eid)
    elseif old_state == WAITLISTED then
      redis.call('ZREM', k('wl', oid), eid)
    elseif old_state == COMPLETED then
      completed[oid] = (completed[oid] or 0) - 1
    end
    if active == eid then redis.call('HDEL', k('active', lid), oid) end
    seq = redis.call('ZSCORE', k('roster', oid), eid)
  else
    seq = redis.call('INCR', k('seq'))
    redis.call('ZADD', k('le', lid), seq, eid)
    redis.call('ZADD', k('roster', oid), seq, eid)
  end
  local position = 0
  if state == CONFIRMED then
    redis.call('SADD', k('seated', oid), eid)
  elseif state == WAITLISTED then
    redis.call('ZADD', k('wl', oid), seq, eid)
    position = redis.call('ZRANK', k('wl', oid), eid) + 1
  elseif state == COMPLETED then
    completed[oid] = (completed[oid] or 0) + 1
  end
  if holds then redis.call('HSET', k('active', lid), oid, eid) end
  enr[#enr + 1] = eid
  enr[#enr + 1] = blob
  metas[#metas + 1] = eid
  metas[#metas + 1] = state .. ' ' .. lid .. ' ' .. oid
  srcs[#srcs + 1] = 'e:' .. src
  srcs[#srcs + 1] = eid .. ' ' .. fp
  redis.call('SADD', k('lsrc', lid), 'e:' .. src)
  -- The event, as enrollment_event writes it (with the facts at hand).
  if position > 0 then blob = blob .. pb_int(ENROLLMENT_WAITLIST_POSITION, position) end
  local payload = pb_int(ENROLLMENT_CHANGED_CHANGE, ENROLLMENT_CHANGE_IMPORTED) ..
                  pb_bytes(ENROLLMENT_CHANGED_ENROLLMENT, blob) .. learner(lid) ..
                  pb_int(ENROLLMENT_CHANGED_PROGRAM_KIND, tonumber(kind(f[1]))) ..
                  pb_int(ENROLLMENT_CHANGED_MODALITY, tonumber(f[6] or '0'))
  if previous then payload = payload .. pb_bytes(ENROLLMENT_CHANGED_PREVIOUS, previous) end
  if restored == '1' then payload = payload .. pb_int(ENROLLMENT_CHANGED_RESTORED, 1) end
  local id = publish('enrollment_changed', 'cities/' .. CITY .. '/enrollments/' .. eid,
                     EVENT_ENROLLMENT_CHANGED, payload, at)
  remember_event(lid, id)
  if current then touched[oid] = true end
  return old_state and 'UPDATED' or 'IMPORTED'
end

for j = 0, tonumber(ARGV[4]) - 1 do
  local b = 6 + j * 12
  local src, eid, expected, lid = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local oid, name, blob, fp = ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7]
  local employed, at = ARGV[b + 8], tonumber(ARGV[b + 9])
  local problem, f = check(src, expected, lid, oid, name, employed)
  if problem then
    out[#out + 1] = problem
  else
    local state = tonumber(ARGV[b + 10])
    out[#out + 1] = apply(src, eid, expected, lid, oid, blob, fp, at, state, f, ARGV[b + 11])
  end
end
if #enr > 0 then
  redis.call('HSET', k('enr'), unpack(enr))
  redis.call('HSET', k('meta'), unpack(metas))
  redis.call('HSET', k('src'), unpack(srcs))
end
for oid, n in pairs(completed) do
  if n ~= 0 then redis.call('HINCRBY', k('off', oid), 'completed', n) end
end
for oid in pairs(touched) do publish_seats(oid) end
return out
