-- Errors through pcall/xpcall/error: every one is a longjmp in the C code.
local function fail(kind)
  if kind == 1 then error("plain message")
  elseif kind == 2 then error({code = 42})
  elseif kind == 3 then local t = nil; return t.field
  elseif kind == 4 then return 1 + {}
  elseif kind == 5 then error("no position", 0)
  end
  return "no error"
end
for k = 1, 6 do
  local ok, err = pcall(fail, k)
  if type(err) == "table" then err = "table with code " .. err.code end
  print(k, ok, err)
end
print(xpcall(fail, function(m) return "handled: " .. tostring(m) end, 1))
-- nested pcall, error in a message handler, errors across levels
local depth = 0
local function nest(n)
  depth = depth + 1
  if n == 0 then error("bottom") end
  local ok, err = pcall(nest, n - 1)
  error(err .. "<" .. n, 0)
end
print(pcall(nest, 10))
print(select("#", pcall(error)))
print(pcall(string.rep, "x", -1))
print(pcall(setmetatable, 1, {}))
local ok, msg = pcall(function() local a = "x" .. nil end)
print(ok, msg)
print(string.format("%q", "tab\there"))
