-- ARGV: 4 enrollment id, 5 expected blob, 6 new blob, 7 change, 8 new state
--       ("0": unchanged; "4": completed, only from confirmed)
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
