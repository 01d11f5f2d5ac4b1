-- KEYS: changes, programs, offerings, tombstones, seats, epoch, seq, hidden
-- ARGV: after, limit, expected epoch ('' any), a fresh epoch in case the
--       feed has none yet (first read, or Redis was rebuilt)
-- Returns {epoch, head sequence, 'RESET'} when the cursor is not of this
-- feed, else {epoch, head sequence, head entry (5 values, or none),
-- entries (5 values each)...}.
redis.call('SET', KEYS[6], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[6])
local head = tonumber(redis.call('GET', KEYS[7]) or '0')
if (ARGV[3] ~= '' and ARGV[3] ~= epoch) or tonumber(ARGV[1]) > head then
  return {epoch, tostring(head), 'RESET'}
end
local out = {epoch, tostring(head), 'OK'}
local newest = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #newest == 2 then gnlc_feed_entry(out, newest[1], newest[2], KEYS[8]) end
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf',
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #items, 2 do gnlc_feed_entry(out, items[i], items[i + 1], KEYS[8]) end
return out
