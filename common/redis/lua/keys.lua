-- Keys in scripts (docs/design/writing-code.md, "Lua scripts"). Runs after
-- `local KEY_PREFIX = '...'` (the service's prefix, from its C++ key
-- names) and before the script that uses k().
--
-- A script gets in KEYS every key its caller can name. Keys of ids the
-- script reads from a record (a promoted enrollment's learner, a program in
-- offering facts) no caller could name beforehand: the script marks such an
-- id with read_id() and may then build keys from it. k() refuses any other
-- key before the script writes anything, so a caller that forgets a key
-- fails its tests instead of hiding what it touches.
local DECLARED, READ_IDS = {}, {}
for _, key in ipairs(KEYS) do DECLARED[key] = true end
-- Marks an id the script read from a record.
local function read_id(id)
  if id then READ_IDS[id] = true end
  return id
end
-- The key `name` (of `id`): one the caller passed in KEYS, or one of an id
-- this script read. Any other key is a bug in the caller, refused before
-- anything is written.
local function k(name, id)
  local key = KEY_PREFIX .. name
  if id then key = key .. ':' .. id end
  if not DECLARED[key] and not (id and READ_IDS[id]) then
    error('gnlc: key not passed in KEYS: ' .. key)
  end
  return key
end
-- What every key `name` of an id starts with (a SCAN pattern).
local function key_pattern(name) return KEY_PREFIX .. name .. ':*' end
