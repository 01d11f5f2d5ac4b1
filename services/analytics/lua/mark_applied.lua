-- KEYS: applied zset, its low mark. ARGV: 1 a padded stream id: every id up to it counts
-- as applied (a recount has counted it from the records).
local low = redis.call('GET', KEYS[2]) or ''
local mark = ARGV[1] .. '~'
if mark > low then
  redis.call('SET', KEYS[2], mark)
  redis.call('ZREMRANGEBYLEX', KEYS[1], '-', '(' .. mark)
end
return 0
