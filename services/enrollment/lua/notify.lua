-- Appends one notification to `backend`'s stream (id from the service's
-- clock, so ids and the retention share one timeline), trimming what is older
-- than MINID (ms) and remembering the newest trimmed id (for CURSOR_EXPIRED)
-- and the entry under the learner (for erasure). The learner's list keeps
-- only entries the stream still holds, and expires with its newest, so it
-- never outgrows the retention.
-- Whether the enrollment's reminder went out (for a start still ahead).
local function reminded(eid)
  return redis.call('ZSCORE', k('reminded'), eid) or
         redis.call('HGET', k('remindn'), eid) == 'sent'
end
local function notify(backend, lid, bytes, minid)
  local stream = k('ntf', backend)
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if oldest and tonumber(string.match(oldest[1], '^(%d+)')) < tonumber(minid) then
    local gone = redis.call('XREVRANGE', stream, '(' .. minid .. '-0', '-', 'COUNT', 1)[1]
    if gone then redis.call('SET', k('ntftrim', backend), gone[1]) end
  end
  -- Ids in the service's clock (NOW), like the retention that trims them;
  -- if another replica's clock ran ahead, Redis picks the next id itself.
  local id = redis.pcall('XADD', stream, 'MINID', minid, NOW .. '-*', 'n', bytes)
  if type(id) == 'table' and id.err then
    id = redis.call('XADD', stream, 'MINID', minid, '*', 'n', bytes)
  end
  local list = k('lntf', lid)
  local kept = {}
  for b, old in string.gmatch(redis.call('GET', list) or '', '(%S+) (%S+)') do
    if tonumber(string.match(old, '^(%d+)')) >= tonumber(minid) then
      kept[#kept + 1] = b .. ' ' .. old .. ' '
    end
  end
  kept[#kept + 1] = backend .. ' ' .. id .. ' '
  redis.call('SET', list, table.concat(kept), 'PX', NOW - tonumber(minid) + 60000)
  return id
end
