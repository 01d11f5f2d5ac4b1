-- ARGV: 4 enrollment id, 5 reason (history), 6 cancel_reason bytes,
--       7 actor ("learner" or "city", for notifications)
local state, _, oid = meta(ARGV[4])
if not state then return {'NOT_FOUND'} end
if state ~= CONFIRMED and state ~= WAITLISTED then return {'NOT_ACTIVE', tostring(state)} end
local blob = cancel(ARGV[4], ARGV[5], ARGV[6], ARGV[7])
promote(oid)
publish_seats(oid)
return {'OK', blob}
