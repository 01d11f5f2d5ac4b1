-- KEYS: stream, trimmed; ARGV: trim point. Trims and records the point,
-- unless an earlier trim went as far: the record only grows, so a reader
-- that compares its position with it never misses a trim.
local function split(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local old = redis.call('GET', KEYS[2])
if old then
  local a, b = split(old)
  local x, y = split(ARGV[1])
  if x < a or (x == a and y <= b) then return old end
end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
return ARGV[1]
