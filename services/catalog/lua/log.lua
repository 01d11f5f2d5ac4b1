-- KEYS: changes, programs, offerings, seq, hidden
-- ARGV: after, up to, limit. {member, sequence, 1 live / 0 tombstone or
-- hidden}...
-- for log entries in (after, up to], the head sequence first.
local out = {redis.call('GET', KEYS[4]) or '0'}
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], ARGV[2],
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #items, 2 do
  local member = items[i]
  local hash = KEYS[3]
  if string.sub(member, 1, 1) == 'p' then hash = KEYS[2] end
  out[#out + 1] = member
  out[#out + 1] = items[i + 1]
  local live = redis.call('HEXISTS', hash, string.sub(member, 3))
  if live == 1 then live = 1 - redis.call('HEXISTS', KEYS[5], member) end
  out[#out + 1] = live
end
return out
