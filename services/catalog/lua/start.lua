-- KEYS: state, lease, records, seqs, bytes (of the new generation),
-- records, seqs, bytes (of a generation whose build it abandons, or the new
-- one's again)
-- ARGV: holder, gen
if not gnlc_fenced() then return 'LEASE' end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('HSET', KEYS[1], 'building', ARGV[2], 'build_cursor', '')
return 'OK'
