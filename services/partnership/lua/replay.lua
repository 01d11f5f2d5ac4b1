-- Idempotency keys: a retried request gets the first one's answer.
--
-- What a request seen before is answered again: nil for a new request (or
-- one without an id), {'DUPLICATE', name} for a retry, {'REQUEST_MISMATCH'}
-- when the id came with a different request. `key`: the request's
-- idempotency key (a hash of its fingerprint and the created name).
local function replay(key, request_id, fingerprint)
  if request_id == '' then return nil end
  local prior = redis.call('HMGET', key, 'fp', 'name')
  if not prior[1] then return nil end
  if prior[1] ~= fingerprint then return {'REQUEST_MISMATCH'} end
  return {'DUPLICATE', prior[2]}
end
-- Remembers a request's answer for a day (a retry comes within minutes).
local function remember(key, request_id, fingerprint, name)
  if request_id == '' then return end
  redis.call('HSET', key, 'fp', fingerprint, 'name', name)
  redis.call('EXPIRE', key, 86400)
end
