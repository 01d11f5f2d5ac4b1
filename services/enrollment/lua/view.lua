-- ARGV: 4.. enrollment ids. Returns record, position pairs ('' if absent).
local out = {}
for i = 4, #ARGV do
  local blob, position = view(ARGV[i])
  out[#out + 1] = blob
  out[#out + 1] = position
end
return out
