-- ARGV: 4 index key (a learner's or an offering's ZSET, also in KEYS), 5 after score,
--       6 state (0 any), 7 limit, 8 most entries to scan, 9 a learner who
--       must exist ('' for none: the page's one round trip checks it)
-- Returns: last scanned score, more (0/1; -1: the learner does not exist),
-- then record, position pairs.
local index, cursor, want = ARGV[4], ARGV[5], tonumber(ARGV[6])
if not DECLARED[index] then error('gnlc: key not passed in KEYS: ' .. index) end
local limit, budget = tonumber(ARGV[7]), tonumber(ARGV[8])
if ARGV[9] ~= '' and redis.call('HEXISTS', k('learners'), ARGV[9]) == 0 then return {'', -1} end
local out = {'', 0}
local found, scanned = 0, 0
-- A batch's states, and then the matches' records, each in one call: a
-- page of 50 is a handful of Redis calls, not a hundred.
while found < limit and scanned < budget do
  local batch = redis.call('ZRANGEBYSCORE', index, '(' .. cursor, '+inf', 'WITHSCORES',
                           'LIMIT', 0, math.min(100, budget - scanned))
  if #batch == 0 then break end
  local ids = {}
  for i = 1, #batch, 2 do ids[#ids + 1] = batch[i] end
  local metas = redis.call('HMGET', k('meta'), unpack(ids))
  local picked, states, offerings = {}, {}, {}
  for i, eid in ipairs(ids) do
    cursor = batch[2 * i]
    scanned = scanned + 1
    local state, oid
    if metas[i] then
      local st, _, o = string.match(metas[i], '^(%d+) (%S+) (%S+)$')
      state, oid = tonumber(st), read_id(o)
    end
    if want == 0 or state == want then
      local n = #picked + 1
      picked[n], states[n], offerings[n] = eid, state, oid
      found = found + 1
      if found >= limit then break end
    end
  end
  if #picked > 0 then
    local blobs = redis.call('HMGET', k('enr'), unpack(picked))
    for i, eid in ipairs(picked) do
      local position = 0
      if blobs[i] and states[i] == WAITLISTED then
        position = redis.call('ZRANK', k('wl', offerings[i]), eid) + 1
      end
      out[#out + 1] = blobs[i] or ''
      out[#out + 1] = position
    end
  end
end
out[1] = cursor
if redis.call('ZCOUNT', index, '(' .. cursor, '+inf') > 0 then out[2] = 1 end
return out
