-- KEYS: programs, versions, offerings, changes, seq, stream, tombstones, po-set,
--       hidden
-- ARGV: program id, expected version ("0": any), event, maxlen, now ms,
--       program name
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'NOT_FOUND'} end
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if ARGV[2] ~= '0' and tonumber(ARGV[2]) ~= current then
  return {'CONFLICT', tostring(current)}
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], current + 1)
local seq = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[4], seq, 'p:' .. ARGV[1])
redis.call('HSET', KEYS[7], 'p:' .. ARGV[1], ARGV[5] .. ' ' .. ARGV[6])
redis.call('HDEL', KEYS[9], 'p:' .. ARGV[1])
for _, oid in ipairs(redis.call('SMEMBERS', KEYS[8])) do
  redis.call('HDEL', KEYS[9], 'o:' .. oid)
  redis.call('HDEL', KEYS[3], oid)
  redis.call('HINCRBY', KEYS[2], oid, 1)
  seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[4], seq, 'o:' .. oid)
  redis.call('HSET', KEYS[7], 'o:' .. oid, ARGV[5] .. ' ' .. ARGV[6] .. '/offerings/' .. oid)
end
redis.call('DEL', KEYS[8])
gnlc_publish(KEYS[6], ARGV[4], ARGV[3])
return {'OK', tostring(current + 1)}
