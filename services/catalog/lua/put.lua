-- KEYS: records, versions, changes, seq, stream, request, programs, po-set
--       (an offering's program's, or a program's own), hidden
-- ARGV: id, expected version (0: create), blob, event, change member,
--       maxlen, request id ("" none), parent program id ("" none), name,
--       '1' a draft program / '0' another program / '' an offering, now ms
-- A program that becomes or stops being a draft takes its offerings with
-- it, logged again after it so that a harvester sees them after it.
local function gnlc_hide_offerings(hide, program_name)
  for _, oid in ipairs(redis.call('SMEMBERS', KEYS[8])) do
    local member = 'o:' .. oid
    if hide then
      redis.call('HSET', KEYS[9], member, ARGV[11] .. ' ' .. program_name .. '/offerings/' .. oid)
    else
      redis.call('HDEL', KEYS[9], member)
    end
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), member)
  end
end
if ARGV[7] ~= '' then
  local prior = redis.call('GET', KEYS[6])
  if prior then return {'DUPLICATE', prior} end
end
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[7], ARGV[8]) == 0 then
  return {'NO_PARENT'}
end
local expected = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if expected > 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return {'NOT_FOUND'}
end
if current ~= expected then return {'CONFLICT', tostring(current)} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], expected + 1)
local seq = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[3], seq, ARGV[5])
if ARGV[8] ~= '' then redis.call('SADD', KEYS[8], ARGV[1]) end
if ARGV[10] ~= '' then
  local draft = ARGV[10] == '1'
  local was = redis.call('HEXISTS', KEYS[9], ARGV[5]) == 1
  if draft then
    redis.call('HSET', KEYS[9], ARGV[5], ARGV[11] .. ' ' .. ARGV[9])
  else
    redis.call('HDEL', KEYS[9], ARGV[5])
  end
  if was ~= draft then gnlc_hide_offerings(draft, ARGV[9]) end
elseif ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[9], 'p:' .. ARGV[8]) == 1 then
  redis.call('HSET', KEYS[9], ARGV[5], ARGV[11] .. ' ' .. ARGV[9])
end
gnlc_publish(KEYS[5], ARGV[6], ARGV[4])
if ARGV[7] ~= '' then redis.call('SET', KEYS[6], ARGV[9], 'EX', 86400) end
return {'OK', tostring(seq)}
