local cursor = redis.call('GET', k('evsscan')) or '0'
local scan = redis.call('HSCAN', k('evs'), cursor, 'COUNT', 500)
for j = 1, #scan[2], 2 do
  local kept = {}
  for id in string.gmatch(scan[2][j + 1], '%S+') do
    if tonumber(string.match(id, '^(%d+)')) >= tonumber(string.match(ARGV[4], '^(%d+)')) then
      kept[#kept + 1] = id .. ' '
    end
  end
  if #kept == 0 then redis.call('HDEL', k('evs'), scan[2][j])
  else redis.call('HSET', k('evs'), scan[2][j], table.concat(kept)) end
end
if scan[1] == '0' then redis.call('DEL', k('evsscan'))
else redis.call('SET', k('evsscan'), scan[1]) end
return 0
