-- ARGV: 4 learner id, 5 the digest ArchiveCandidates gave, 6 external
-- subject, 7 the archived rows (bytes), 8 the learner's source id in them.
-- Unless the learner's records changed since (then 0): deletes the learner
-- and every record and index entry of theirs (anonymous counts stay; the
-- seats their completions held are given back), keeps the rows until
-- confirmed (archive) and the source id for a later erasure (archived).
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
