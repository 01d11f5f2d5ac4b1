-- KEYS: state, funding hash, records (commitments or disbursements), stream,
--       request key
-- ARGV: partnership id, "c"/"d", record id, blob, currency, cents, funder,
--       recipient partner, recipient program, event, maxlen, request id,
--       fingerprint, record name
-- All amounts are integers in cents below 2^53, exact in Lua's numbers;
-- HINCRBY keeps them as Redis integers.
local again = replay(KEYS[5], ARGV[12], ARGV[13])
if again then return again end
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return {'NOT_FOUND'} end
local cur, cents = ARGV[5], tonumber(ARGV[6])
local committed = tonumber(redis.call('HGET', KEYS[2], 'c:' .. cur) or '0')
local disbursed = tonumber(redis.call('HGET', KEYS[2], 'd:' .. cur) or '0')
if ARGV[2] == 'c' then
  if state ~= '1' and state ~= '2' then return {'STATE', state} end
  if committed + cents > tonumber(ARGV[15]) then return {'TOO_LARGE'} end
  redis.call('HINCRBY', KEYS[2], 'c:' .. cur, cents)
  redis.call('HINCRBY', KEYS[2], 'f:' .. ARGV[7] .. ':' .. cur, cents)
else
  if state ~= '2' then return {'STATE', state} end
  if committed == 0 then return {'NO_COMMITMENT'} end
  if disbursed + cents > committed then
    return {'EXCEEDS', tostring(committed), tostring(disbursed)}
  end
  redis.call('HINCRBY', KEYS[2], 'd:' .. cur, cents)
  if ARGV[9] ~= '' then
    redis.call('HINCRBY', KEYS[2], 'g:' .. ARGV[9] .. ':' .. cur, cents)
  else
    redis.call('HINCRBY', KEYS[2], 'r:' .. ARGV[8] .. ':' .. cur, cents)
  end
end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
gnlc_publish(KEYS[4], ARGV[11], ARGV[10])
remember(KEYS[5], ARGV[12], ARGV[13], ARGV[14])
return {'OK'}
