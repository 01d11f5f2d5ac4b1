-- KEYS: seats, offerings, changes, seq; ARGV: (offering id, version,
-- taken) triples. Reports may arrive out of order (several consumers,
-- redelivery): keep the newest. A live offering whose seats changed moves
-- to the head of the change log, so that mirrors in peer cities see seats
-- and FULL as the enrollment service reports them.
for i = 1, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if not stored or tonumber(string.match(stored, '^(%d+)')) < tonumber(ARGV[i + 1]) then
    local before = stored and string.match(stored, ' (%-?%d+)$')
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
    if before ~= ARGV[i + 2] and redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
      redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), 'o:' .. ARGV[i])
    end
  end
end
return 0
