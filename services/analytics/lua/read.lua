-- KEYS: gm, then n:{period} of each period asked for. ARGV: pairs of
-- (period key, ordinal of its last month). Returns, per period, its hash
-- and the hash of the latest month with gauges at or before its end.
-- Runs after common/redis/lua/keys.lua.
local out = {}
for j = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HGETALL', k('n', ARGV[j]))
  local snap = redis.call('ZREVRANGEBYSCORE', k('gm'), ARGV[j + 1], '-inf', 'LIMIT', 0, 1)
  if snap[1] then
    out[#out + 1] = redis.call('HGETALL', k('n', read_id(snap[1])))
  else
    out[#out + 1] = {}
  end
end
return out
