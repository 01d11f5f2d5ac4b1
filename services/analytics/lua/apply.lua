-- KEYS: 1 applied zset, 2 its low mark, then the shared keys
-- (kApplySharedKeys) and IngestPlan::OpKeys(). ARGV: stream, group, n, n
-- padded ids, then the ops of IngestPlan::EncodeOps: flows, distinct adds,
-- ratings, gauges, erasures.
-- The stream is an argument, not a key: analytics may only read another
-- service's stream (XPENDING here), and Redis requires a script's declared
-- keys to be writable by its caller (common/redis/redis_acl.h). It shares
-- the {0} hash slot with every other key, so a cluster still routes it here.
-- Runs after common/redis/lua/keys.lua.
local applied, applied_low = KEYS[1], KEYS[2]
local i = 1
local function nxt() local v = ARGV[i]; i = i + 1; return v end
local stream = nxt()
local group = nxt()
local n = tonumber(nxt())
local ids = {}
for j = 1, n do ids[j] = nxt() end
local low = redis.call('GET', applied_low) or ''
if n > 0 then
  local seen = redis.call('ZMSCORE', applied, unpack(ids))
  local dups = {'dup'}
  for j = 1, n do
    if seen[j] or ids[j] < low then dups[#dups + 1] = ids[j] end
  end
  if #dups > 1 then return dups end
end

-- Increments are summed here and written once per field at the end.
local acc = {}
local function add(period, field, d)
  local h = acc[period]
  if not h then h = {}; acc[period] = h end
  h[field] = (h[field] or 0) + d
end

for _ = 1, tonumber(nxt()) do
  local period, field, d = nxt(), nxt(), tonumber(nxt())
  add(period, field, d)
end

-- Distinct members are bits: a learner gets a dense number the first time
-- (ln), and "counted in this metric of this period (and slice)" is that bit
-- of b:{period}:{metric}[|slice]. SETBIT answers whether it was set. A set
-- s:{period}:{metric} written before bitmaps still counts for its members.
local bitmaps_index = k('bitmaps')
local numbers = {}
local function number_of(learner)
  local n = numbers[learner]
  if n then return n end
  n = redis.call('HGET', k('ln'), learner)
  if not n then
    n = redis.call('INCR', k('lnseq')) - 1
    redis.call('HSET', k('ln'), learner, n)
  end
  numbers[learner] = n
  return n
end
-- Grouped by bitmap, so that each is set with one BITFIELD (which answers
-- the old bits) per 500 learners.
local groups, order, old_sets = {}, {}, {}
for _ = 1, tonumber(nxt()) do
  local period, metric, member, nf = nxt(), nxt(), nxt(), tonumber(nxt())
  local fields = {}
  for f = 1, nf do fields[f] = nxt() end
  local learner, slice = string.match(member, '^([^|]+)|?(.*)$')
  local key = k('b', period .. ':' .. metric .. (slice ~= '' and ('|' .. slice) or ''))
  local g = groups[key]
  if not g then
    g = {period = period, old = k('s', period .. ':' .. metric), ops = {}}
    groups[key] = g
    order[#order + 1] = key
  end
  g.ops[#g.ops + 1] = {n = number_of(learner), member = member, fields = fields}
end
for _, key in ipairs(order) do
  local g = groups[key]
  redis.call('SADD', bitmaps_index, key)
  for first = 1, #g.ops, 500 do
    local last = math.min(first + 499, #g.ops)
    local args = {}
    for j = first, last do
      args[#args + 1] = 'SET'; args[#args + 1] = 'u1'
      args[#args + 1] = g.ops[j].n; args[#args + 1] = 1
    end
    local was = redis.call('BITFIELD', key, unpack(args))
    for j = first, last do
      local op = g.ops[j]
      local counted = was[j - first + 1] == 1
      if not counted then
        if old_sets[g.old] == nil then old_sets[g.old] = redis.call('EXISTS', g.old) == 1 end
        counted = old_sets[g.old] and redis.call('SISMEMBER', g.old, op.member) == 1
      end
      if not counted then
        for _, field in ipairs(op.fields) do add(g.period, field, 1) end
      end
    end
  end
end

for _ = 1, tonumber(nxt()) do
  local learner, enrollment, rating, periods, slices = nxt(), nxt(), tonumber(nxt()), nxt(), nxt()
  local key = k('fb', learner)
  local old = redis.call('HGET', key, enrollment)
  local before = nil
  if old then
    local r, p, s = string.match(old, '^(%d+)|([^|]*)|(.*)$')
    before, periods, slices = tonumber(r), p, s
    -- The periods the earlier rating counted in, read here.
    for period in string.gmatch(periods, '[^,]+') do read_id(period) end
  end
  local good = rating >= 4 and 1 or 0
  for period in string.gmatch(periods, '[^,]+') do
    for slice in string.gmatch(slices .. ',', '([^,]*),') do
      local sfx = slice == '' and '' or ('|' .. slice)
      if before then
        add(period, 'rsum' .. sfx, rating - before)
        add(period, 'r45' .. sfx, good - (before >= 4 and 1 or 0))
      else
        add(period, 'rated' .. sfx, 1)
        add(period, 'rsum' .. sfx, rating)
        add(period, 'r45' .. sfx, good)
      end
    end
  end
  redis.call('HSET', key, enrollment, rating .. '|' .. periods .. '|' .. slices)
end

local g = k('g')
for _ = 1, tonumber(nxt()) do
  local kind, name, a, b, month, ordinal = nxt(), nxt(), nxt(), nxt(), nxt(), nxt()
  if kind == 'f' then
    redis.call('HINCRBY', g, 'g:' .. a .. '|' .. name, b)
  else
    local index = k(kind == 'p' and 'pships' or 'progs')
    local metric = kind == 'p' and 'g:active' or 'g:prog'
    local dim = kind == 'p' and '|pm:' or '|k:'
    local now = a .. ':' .. b
    local old = redis.call('HGET', index, name)
    if old ~= now then
      if old then
        local oa, ob = string.match(old, '^(%d):(%d+)$')
        if oa == '1' then
          redis.call('HINCRBY', g, metric, -1)
          redis.call('HINCRBY', g, metric .. dim .. ob, -1)
        end
      end
      if a == '1' then
        redis.call('HINCRBY', g, metric, 1)
        redis.call('HINCRBY', g, metric .. dim .. b, 1)
      end
      redis.call('HSET', index, name, now)
    end
  end
  -- The month keeps the gauges as they stand after its latest change.
  local all = redis.call('HGETALL', g)
  if #all > 0 then redis.call('HSET', k('n', month), unpack(all)) end
  redis.call('ZADD', k('gm'), ordinal, month)
end

for _ = 1, tonumber(nxt()) do
  local learner, nm = nxt(), tonumber(nxt())
  local members = {}
  for k = 1, nm do members[k] = nxt() end
  local n = redis.call('HGET', k('ln'), learner)
  if n then
    -- (The indexes hold key names: keys read here, like read ids.)
  -- GETBIT first: SETBIT 0 past a bitmap's end would lengthen it.
    for _, key in ipairs(redis.call('SMEMBERS', bitmaps_index)) do
      if redis.call('GETBIT', key, n) == 1 then redis.call('SETBIT', key, n, 0) end
    end
    redis.call('HDEL', k('ln'), learner)
  end
  for _, key in ipairs(redis.call('SMEMBERS', k('sets'))) do
    redis.call('SREM', key, unpack(members))
  end
  redis.call('DEL', k('fb', learner))
end

for period, h in pairs(acc) do
  for field, d in pairs(h) do
    if d ~= 0 then redis.call('HINCRBY', k('n', period), field, d) end
  end
end

if n > 0 then
  local z = {}
  for j = 1, n do z[#z + 1] = 0; z[#z + 1] = ids[j] end
  redis.call('ZADD', applied, unpack(z))
  -- Every id below the oldest entry still pending in the group was applied
  -- and acknowledged: it becomes the low mark (an id below it is a
  -- duplicate, even if the group is rewound with XGROUP SETID), and the
  -- zset forgets those ids.
  local pending = redis.call('XPENDING', stream, group)
  if pending[2] then
    local ms, seq = string.match(pending[2], '^(%d+)-(%d+)$')
    local mark = string.rep('0', 13 - #ms) .. ms .. '-' .. string.rep('0', 10 - #seq) .. seq
    if mark > low then
      redis.call('SET', applied_low, mark)
      redis.call('ZREMRANGEBYLEX', applied, '-', '(' .. mark)
    end
  end
end
return {'ok'}
