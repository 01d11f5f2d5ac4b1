-- The checks every mirror write starts with. KEYS[1] state, KEYS[2] lease,
-- ARGV[1] holder.
local function gnlc_fenced()
  return redis.call('GET', KEYS[2]) == ARGV[1]
end
