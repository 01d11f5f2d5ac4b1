-- KEYS: state, lease, stream, old records, old seqs, old bytes
-- ARGV: holder, generation, event, maxlen, build cursor
if not gnlc_fenced() then return 'LEASE' end
if redis.call('HGET', KEYS[1], 'building') ~= ARGV[2] then return 'GENERATION' end
if (redis.call('HGET', KEYS[1], 'build_cursor') or '') ~= ARGV[5] then return 'CURSOR' end
redis.call('HSET', KEYS[1], 'generation', ARGV[2], 'cursor', ARGV[5])
redis.call('HDEL', KEYS[1], 'building', 'build_cursor')
redis.call('UNLINK', KEYS[4], KEYS[5], KEYS[6])
gnlc_publish(KEYS[3], ARGV[4], ARGV[3])
return 'OK'
