-- KEYS: 1 a scratch key, then the bitmaps to unite (b:{period}:{metric},
-- days and months alike). Returns how many learners are in any of them:
-- the distinct learners of a span that is no single period (growth of a
-- period under way compares the same days a year before). The scratch key
-- is written and deleted within the script, so no one ever sees it.
if #KEYS < 2 then return 0 end
local sources = {}
for j = 2, #KEYS do sources[#sources + 1] = KEYS[j] end
redis.call('BITOP', 'OR', KEYS[1], unpack(sources))
local n = redis.call('BITCOUNT', KEYS[1])
redis.call('DEL', KEYS[1])
return n
