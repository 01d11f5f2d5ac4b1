-- ARGV: 4 offering id, 5 version, 6 name, 7 program id, 8 capacity (-1
--       unlimited), 9 open, 10 close, 11 end (unix s), 12 cancelled "0"/"1",
--       13 waitlist limit (-1 none), 14 modality, 15 cancel_reason bytes,
--       16 start (unix s), 17 venue name (LocalizedText bytes), 18 venue
--       address. A changed start or venue publishes offering_rescheduled.
-- Returns 1 if applied, 0 if not newer than what is stored.
local oid = ARGV[4]
local key = k('off', oid)
local prior = redis.call('HMGET', key, 'ver', 'cap', 'cancelled', 'start', 'vname', 'vaddr')
if prior[1] and tonumber(prior[1]) >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', key, 'ver', ARGV[5], 'name', ARGV[6], 'prog', ARGV[7], 'cap', ARGV[8],
           'open', ARGV[9], 'close', ARGV[10], 'end', ARGV[11], 'cancelled', ARGV[12],
           'wlimit', ARGV[13], 'modality', ARGV[14], 'start', ARGV[16], 'vname', ARGV[17],
           'vaddr', ARGV[18])
if not prior[1] then return 1 end
if ARGV[12] == '1' and prior[3] ~= '1' then
  for _, eid in ipairs(redis.call('SMEMBERS', k('seated', oid))) do
    cancel(eid, 'offering cancelled', ARGV[15], 'offering')
  end
  for _, eid in ipairs(redis.call('ZRANGE', k('wl', oid), 0, -1)) do
    cancel(eid, 'offering cancelled', ARGV[15], 'offering')
  end
  publish_seats(oid)
elseif prior[2] ~= ARGV[8] then
  promote(oid)
  publish_seats(oid)
end
-- Facts stored before start and venue were kept have no 'start': nothing
-- to compare with, so no notification.
if ARGV[12] ~= '1' and prior[4] and
   (prior[4] ~= ARGV[16] or prior[5] ~= ARGV[17] or prior[6] ~= ARGV[18]) then
  publish('offering_rescheduled', ARGV[6], EVENT_OFFERING_RESCHEDULED,
          pb_bytes(OFFERING_RESCHEDULED_OFFERING, ARGV[6]) ..
          pb_time(OFFERING_RESCHEDULED_START_TIME, tonumber(ARGV[16]) * 1000) ..
          pb_time(OFFERING_RESCHEDULED_PREVIOUS_START_TIME, tonumber(prior[4]) * 1000) ..
          pb_bytes(OFFERING_RESCHEDULED_VENUE_NAME, ARGV[17]) ..
          pb_bytes(OFFERING_RESCHEDULED_VENUE_ADDRESS, ARGV[18]))
end
return 1
