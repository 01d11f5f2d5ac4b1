-- ARGV: 1 SCAN cursor ("0" to begin), 2 a year. Forgets, in about 500 of
-- analytics' keys, what the periods of that year and later counted: their
-- counters (not the gauge snapshots, g:*), bitmaps and sets, and the
-- feedback remembered in them. Returns the next cursor ("0": done).
-- KEYS: bitmaps, sets. The keys SCAN finds are used as found. Runs after
-- common/redis/lua/keys.lua.
local P = KEY_PREFIX
local from = tonumber(ARGV[2])
local function counted(period) return (tonumber(string.sub(period, 1, 4)) or 0) >= from end
local scan = redis.call('SCAN', ARGV[1], 'MATCH', P .. '*', 'COUNT', 500)
for _, key in ipairs(scan[2]) do
  local kind, rest = string.match(string.sub(key, #P + 1), '^(%a+):(.*)$')
  if kind == 'n' and counted(rest) then
    local drop = {}
    for _, f in ipairs(redis.call('HKEYS', key)) do
      if string.sub(f, 1, 2) ~= 'g:' then drop[#drop + 1] = f end
    end
    for first = 1, #drop, 1000 do
      redis.call('HDEL', key, unpack(drop, first, math.min(first + 999, #drop)))
    end
  elseif (kind == 'b' or kind == 's') and counted(rest) then
    redis.call('DEL', key)
    redis.call('SREM', k(kind == 'b' and 'bitmaps' or 'sets'), key)
  elseif kind == 'fb' then
    local all = redis.call('HGETALL', key)
    for j = 1, #all, 2 do
      local periods = string.match(all[j + 1], '^%d+|([^|]*)|')
      for period in string.gmatch(periods or '', '[^,]+') do
        if counted(period) then redis.call('HDEL', key, all[j]); break end
      end
    end
  end
end
return scan[1]
