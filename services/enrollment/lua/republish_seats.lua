-- ARGV: 4 SCAN cursor ("0" to begin). Publishes the seats of about 200
-- offerings again (SeatsChanged, each with a new version); returns the
-- next cursor ("0": every offering done).
local pattern = key_pattern('off')
local scan = redis.call('SCAN', ARGV[4], 'MATCH', pattern, 'COUNT', 200)
for _, key in ipairs(scan[2]) do
  local oid = read_id(string.sub(key, #pattern))
  if redis.call('HEXISTS', key, 'cap') == 1 then publish_seats(oid) end
end
return scan[1]
