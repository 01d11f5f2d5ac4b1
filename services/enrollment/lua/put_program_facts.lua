-- ARGV: 4 program id, 5 version, 6 state, 7 kind
local key = k('prog', ARGV[4])
local prior = redis.call('HGET', key, 'ver')
if prior and tonumber(prior) >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', key, 'ver', ARGV[5], 'state', ARGV[6], 'kind', ARGV[7])
return 1
