-- ARGV: 4 HSCAN cursor ("0" to begin), 5 how many to scan, 6 "enr" (the
-- enrollment records), "learners" or "archived" (learners archived).
-- Returns {next cursor ("0": done), then per item scanned the
-- EnrollmentChanged bytes (IMPORTED) of a record, or a learner's id}: what
-- analytics recounts from.
local learners = ARGV[6] ~= 'enr'
local scan = redis.call('HSCAN', k(ARGV[6]), ARGV[4], 'COUNT', tonumber(ARGV[5]))
local out = {scan[1]}
for j = 1, #scan[2], 2 do
  if learners then
    out[#out + 1] = scan[2][j]
  elseif meta(scan[2][j]) then
    out[#out + 1] = enrollment_payload(ENROLLMENT_CHANGE_IMPORTED, scan[2][j], scan[2][j + 1], 0)
  end
end
return out
