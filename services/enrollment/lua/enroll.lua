-- ARGV: 4 learner id, 5 offering id, 6 enrollment id, 7 request id,
--       8 request fingerprint, 9 record if confirmed, 10 record if waitlisted,
--       11 offering name (must match the facts: the id alone is not enough)
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
local prog = redis.call('HMGET', k('prog', read_id(f[1])), 'state', 'kind')
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
  emit_enrollment_event(ENROLLMENT_CHANGE_ENROLLED, eid, blob, 0, nil, nil, nil, facts)
else
  redis.call('ZADD', k('wl', oid), seq, eid)
  position = redis.call('ZCARD', k('wl', oid))  -- seq is the highest score
  emit_enrollment_event(ENROLLMENT_CHANGE_WAITLISTED, eid, blob, position, nil, nil, nil, facts)
end
publish_seats(oid, {f[7], cap, used})
if rid ~= '' then
  redis.call('HSET', k('req:e', rid), 'fp', fp, 'resp', blob, 'pos', position)
  remember_request(lid, k('req:e', rid))
end
return {'OK', blob, tostring(position)}
