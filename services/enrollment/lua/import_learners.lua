-- ARGV: 4 row count, then per row 8 values: source id, learner id,
--       expected mapping ('' for a new row), record, statistics bytes,
--       external subject, fingerprint, the stored subject ('' none).
-- Returns per row: IMPORTED, UPDATED, ERASED, CONFLICT or SUBJECT_TAKEN.
local out = {}
for j = 0, tonumber(ARGV[4]) - 1 do
  local b = 5 + j * 8
  local src, lid, expected, blob = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local stats, subject, fp, old_subject = ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7]
  local field = 'l:' .. src
  local result
  if redis.call('SISMEMBER', k('erasedsrc'), redis.sha1hex(src)) == 1 then
    result = 'ERASED'
  elseif (redis.call('HGET', k('src'), field) or '') ~= expected then
    result = 'CONFLICT'
  else
    local owner = subject ~= '' and redis.call('HGET', k('subjects'), subject)
    if owner and owner ~= lid then
      result = 'SUBJECT_TAKEN'
    else
      if old_subject ~= '' and old_subject ~= subject then
        redis.call('HDEL', k('subjects'), old_subject)
      end
      if subject ~= '' then redis.call('HSET', k('subjects'), subject, lid) end
      redis.call('HSET', k('learners'), lid, blob)
      redis.call('HSET', k('lstat'), lid, stats)
      redis.call('HSET', k('src'), field, lid .. ' ' .. fp)
      redis.call('SADD', k('lsrc', lid), field)
      result = expected == '' and 'IMPORTED' or 'UPDATED'
    end
  end
  out[#out + 1] = result
end
return out
