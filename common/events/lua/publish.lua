-- Lua that defines gnlc_publish(stream, maxlen, event_bytes): XADD of one
-- event. Prepend it to a script that changes state so that the change and
-- its event are one atomic step (the outbox). maxlen "0": the stream is
-- trimmed only behind its readers (stream_retention.h); otherwise it is
-- capped near maxlen (a stream whose readers can always reload).
local function gnlc_publish(stream, maxlen, event)
  if maxlen == '0' then return redis.call('XADD', stream, '*', 'e', event) end
  return redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', event)
end
