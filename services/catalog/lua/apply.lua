-- KEYS: state, lease, records, seqs, stream, bytes
-- ARGV: holder, generation, 'building'|'generation', cursor field, from, to,
--       publish event ('' none), maxlen, as_of ms ('' keep), max records,
--       max bytes, then (member, sequence, bytes) triples
-- Returns 'OK' and the number of writes refused for the quota.
if not gnlc_fenced() then return 'LEASE' end
if redis.call('HGET', KEYS[1], ARGV[3]) ~= ARGV[2] then return 'GENERATION' end
if (redis.call('HGET', KEYS[1], ARGV[4]) or '') ~= ARGV[5] then return 'CURSOR' end
local max_records, max_bytes = tonumber(ARGV[10]), tonumber(ARGV[11])
local records = redis.call('HLEN', KEYS[3])
local bytes = tonumber(redis.call('GET', KEYS[6]) or '0')
local refused = 0
for i = 12, #ARGV, 3 do
  local old = redis.call('HSTRLEN', KEYS[3], ARGV[i])
  local grows = #ARGV[i + 2] - old
  local new = old == 0 and ARGV[i + 2] ~= ''
  if ARGV[i + 2] ~= '' and ((new and records >= max_records) or
                            (grows > 0 and bytes + grows > max_bytes)) then
    -- Past the quota: a new record is kept as skipped (its position
    -- counted, as the peer counts it), an existing one as it was.
    refused = refused + 1
    if new then
      redis.call('HSET', KEYS[4], ARGV[i], '-' .. string.gsub(ARGV[i + 1], '^%-', ''))
    end
  else
    if ARGV[i + 1] == '0' then
      redis.call('HDEL', KEYS[4], ARGV[i])
    else
      redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
    end
    if ARGV[i + 2] == '' then
      if old > 0 then records = records - 1 end
      bytes = bytes - old
      redis.call('HDEL', KEYS[3], ARGV[i])
    else
      if new then records = records + 1 end
      bytes = bytes + grows
      redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
    end
  end
end
redis.call('SET', KEYS[6], math.max(bytes, 0))
redis.call('HSET', KEYS[1], ARGV[4], ARGV[6])
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'as_of_ms', ARGV[9]) end
if ARGV[7] ~= '' then gnlc_publish(KEYS[5], ARGV[8], ARGV[7]) end
return {'OK', refused}
