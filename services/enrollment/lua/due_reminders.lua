-- ARGV: 4 now (ms), 5 MINID (ms), 6 most reminders to send, 7 the reminder
-- lead (ms). Sends each due reminder of a still confirmed enrollment once,
-- and forgets the markers of reminders whose offering has started. Returns
-- how many were due.
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
    notify(read_id(string.sub(v, 1, space - 1)), lid, string.sub(v, space + 1), ARGV[5])
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
