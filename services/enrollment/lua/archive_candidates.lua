-- ARGV: 4 HSCAN cursor of the learners ("0" to begin), 5 how many. Returns
-- {next cursor, then per learner whose every enrollment is cancelled or
-- completed: id, record, its import source id ("" if none), digest of its
-- records, enrollment count n, then n times (id, record, source id)}.
local scan = redis.call('HSCAN', k('learners'), ARGV[4], 'COUNT', tonumber(ARGV[5]))
local out = {scan[1]}
for j = 1, #scan[2], 2 do
  local lid = read_id(scan[2][j])
  local digest, terminal = archive_digest(lid, scan[2][j + 1])
  if terminal then
    local sources = {}
    for _, field in ipairs(redis.call('SMEMBERS', k('lsrc', lid))) do
      if string.sub(field, 1, 2) == 'l:' then
        sources[lid] = string.sub(field, 3)
      else
        local eid = string.match(redis.call('HGET', k('src'), field) or '', '^(%S+)')
        if eid then sources[eid] = string.sub(field, 3) end
      end
    end
    local eids = redis.call('ZRANGE', k('le', lid), 0, -1)
    out[#out + 1] = lid
    out[#out + 1] = scan[2][j + 1]
    out[#out + 1] = sources[lid] or ''
    out[#out + 1] = digest
    out[#out + 1] = #eids
    for _, eid in ipairs(eids) do
      out[#out + 1] = eid
      out[#out + 1] = redis.call('HGET', k('enr'), eid)
      out[#out + 1] = sources[eid] or ''
    end
  end
end
return out
