-- ARGV: 4 learner id, 5 blob, 6 statistics bytes, 7 external subject,
--       8 request id, 9 request fingerprint
local lid, rid = ARGV[4], ARGV[8]
if rid ~= '' then
  local prior = redis.call('HMGET', k('req:l', rid), 'fp', 'lid')
  if prior[1] then
    if prior[1] ~= ARGV[9] then return {'REQUEST_MISMATCH'} end
    return {'DUPLICATE', prior[2]}
  end
end
if redis.call('HEXISTS', k('learners'), lid) == 1 then return {'ID_TAKEN'} end
if ARGV[7] ~= '' then
  local owner = redis.call('HGET', k('subjects'), ARGV[7])
  if owner then return {'SUBJECT_TAKEN', owner} end
  redis.call('HSET', k('subjects'), ARGV[7], lid)
end
redis.call('HSET', k('learners'), lid, ARGV[5])
redis.call('HSET', k('lstat'), lid, ARGV[6])
if rid ~= '' then
  redis.call('HSET', k('req:l', rid), 'fp', ARGV[9], 'lid', lid)
  remember_request(lid, k('req:l', rid))
end
return {'OK'}
