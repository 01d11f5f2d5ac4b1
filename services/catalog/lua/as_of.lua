-- KEYS: state, lease; ARGV: holder, as_of ms
if not gnlc_fenced() then return 'LEASE' end
redis.call('HSET', KEYS[1], 'as_of_ms', ARGV[2])
return 'OK'
