-- ARGV: 4 learner id, 5 external subject, 6 learner name. Cancels what is
-- active (promoting others), deletes every record and index entry of the
-- learner and the stream entries that name them, then publishes the
-- erasure. Anonymous counts (seats used by completions) stay.
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
  publish('learner_erased', ARGV[6], EVENT_LEARNER_ERASED, pb_bytes(LEARNER_ERASED_LEARNER, ARGV[6]))
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
  redis.call('XDEL', k('ntf', read_id(backend)), id)
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
publish('learner_erased', ARGV[6], EVENT_LEARNER_ERASED, pb_bytes(LEARNER_ERASED_LEARNER, ARGV[6]))
return 1
