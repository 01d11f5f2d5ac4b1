-- ARGV: 4 offering id. Returns {} if unknown, else capacity, taken,
-- waitlist length.
local cap = redis.call('HGET', k('off', ARGV[4]), 'cap')
if not cap then return {} end
return {tonumber(cap), taken(ARGV[4]), redis.call('ZCARD', k('wl', ARGV[4]))}
