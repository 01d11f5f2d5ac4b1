-- ARGV: 4 cursor the batch was read after ('' if never set), 5 the batch's
-- last event id, 6 MINID (ms), 7 notification count n, then n x (backend,
-- learner id, Notification bytes), then reminder changes x (op, enrollment
-- id, due ms, "{backend} {Notification}"): op "S" schedules (a confirmed
-- enrollment not yet reminded), "X" drops. Returns {'OK'} or {'CONFLICT'}
-- when another replica committed this batch first.
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
