-- String-heavy: formatting, concatenation, patterns, gsub.
local n = tonumber(arg[1]) or 200000
local parts, total = {}, 0
for i = 1, n do
  local s = string.format("item-%d:%.3f", i, i / 7)
  parts[#parts + 1] = s:upper()
  if s:find("%-1%d") then total = total + #s end
end
local text = table.concat(parts, ",")
local count = select(2, text:gsub("ITEM", "x"))
print(total, #text, count)
