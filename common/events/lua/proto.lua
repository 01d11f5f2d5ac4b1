-- Lua that writes protobuf wire format, for scripts that must change a
-- stored record and publish its event in one atomic step when the change is
-- decided inside the script (e.g. who is promoted from a waitlist).
--
-- Protobuf parsing merges concatenated messages: a later scalar wins, a
-- repeated field grows, a sub-message merges. So a script can change a
-- stored record by appending fields to its bytes:
--
--   blob = blob .. pb_int(4, 1) .. pb_bytes(6, history_entry)
--
-- and C++ compacts it on its next read-modify-write. Only non-negative
-- integers below 2^53 and -1 are encoded (what our messages need).
--
-- Runs after ProtoLuaPrelude's constants (proto_fields_lua.h); scripts name
-- fields by those constants, never by number.
local function pb_varint(n)
  if n < 0 then return '\255\255\255\255\255\255\255\255\255\1' end  -- -1
  -- Tags, lengths and small numbers, most of a record, without a table.
  if n < 128 then return string.char(n) end
  if n < 16384 then return string.char(n % 128 + 128, math.floor(n / 128)) end
  local out = {}
  repeat
    local b = n % 128
    n = math.floor(n / 128)
    if n > 0 then b = b + 128 end
    out[#out + 1] = string.char(b)
  until n == 0
  return table.concat(out)
end
local function pb_int(field, n) return pb_varint(field * 8) .. pb_varint(n) end
local function pb_bytes(field, s) return pb_varint(field * 8 + 2) .. pb_varint(#s) .. s end
-- A google.protobuf.Timestamp from unix milliseconds.
local function pb_time(field, ms)
  return pb_bytes(field, pb_int(TIMESTAMP_SECONDS, math.floor(ms / 1000)) ..
                        pb_int(TIMESTAMP_NANOS, (ms % 1000) * 1000000))
end
