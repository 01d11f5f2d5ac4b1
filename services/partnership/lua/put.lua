-- KEYS: records, versions, state, stream, request key
-- ARGV: kind ("p"/"s"), id, expected version, blob, state ("" for partners),
--       event, maxlen, request id, fingerprint, name
local again = replay(KEYS[5], ARGV[8], ARGV[9])
if again then return again end
local vkey = ARGV[1] .. ':' .. ARGV[2]
local expected = tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[2], vkey) or '0')
if current ~= expected then return {'CONFLICT', tostring(current)} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[2], vkey, expected + 1)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[5]) end
gnlc_publish(KEYS[4], ARGV[7], ARGV[6])
remember(KEYS[5], ARGV[8], ARGV[9], ARGV[10])
return {'OK'}
