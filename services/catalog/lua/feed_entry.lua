-- One entry of the change log as the feed shows it: member, sequence,
-- 'r' and the record (with the offering's reported seats, '' if none) or 't'
-- and the tombstone (a hidden record's too). KEYS[2..5]: programs,
-- offerings, tombstones, seats; `hidden`: the hidden records' key.
local function gnlc_feed_entry(out, member, score, hidden)
  local is_program = string.sub(member, 1, 1) == 'p'
  local hash = KEYS[3]
  if is_program then hash = KEYS[2] end
  local id = string.sub(member, 3)
  local blob = redis.call('HGET', hash, id)
  local shown_as = blob and redis.call('HGET', hidden, member)
  out[#out + 1] = member
  out[#out + 1] = score
  if blob and not shown_as then
    out[#out + 1] = 'r'
    out[#out + 1] = blob
    local seats = false
    if not is_program then seats = redis.call('HGET', KEYS[5], id) end
    out[#out + 1] = seats or ''
  else
    out[#out + 1] = 't'
    out[#out + 1] = shown_as or redis.call('HGET', KEYS[4], member) or '0 '
    out[#out + 1] = ''
  end
end
