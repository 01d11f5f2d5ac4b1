-- ARGV: 4 learner id, 5 expected blob, 6 new blob, 7 statistics bytes
local current = redis.call('HGET', k('learners'), ARGV[4])
if not current then return {'NOT_FOUND'} end
if current ~= ARGV[5] then return {'CONFLICT'} end
redis.call('HSET', k('learners'), ARGV[4], ARGV[6])
redis.call('HSET', k('lstat'), ARGV[4], ARGV[7])
return {'OK'}
