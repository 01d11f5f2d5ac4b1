-- KEYS: changes, programs, offerings, tombstones, seats, hidden
-- ARGV: members. Their entries (as ChangesScript), in order.
local out = {}
for i = 1, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score then gnlc_feed_entry(out, ARGV[i], score, KEYS[6]) end
end
return out
