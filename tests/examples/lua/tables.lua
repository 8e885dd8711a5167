-- table.sort with and without comparators, closures, metatables, GC under load.
local t = {}
local seed = 12345
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed end
for i = 1, 2000 do t[i] = rnd() % 10000 end
table.sort(t)
local ok = true
for i = 2, #t do if t[i - 1] > t[i] then ok = false end end
print("sorted", ok, t[1], t[1000], t[2000])
local words = {}
for w in ("pear apple fig banana cherry date elderberry grape kiwi lemon mango"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) if #a ~= #b then return #a < #b end return a < b end)
print(table.concat(words, " "))
print(pcall(table.sort, {3, 1, 2}, function(a, b) error("cmp failed") end))
-- closures and upvalues
local function counter()
  local n = 0
  return function(step) n = n + (step or 1); return n end
end
local c1, c2 = counter(), counter()
c1(); c1(5); c2(2)
print(c1(), c2())
local fns = {}
for i = 1, 5 do fns[i] = function() return i * i end end
print(fns[1](), fns[3](), fns[5]())
-- metatables
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__len = function() return 2 end
V.__call = function(self, k) return self.x * k end
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
local sum = vec(1, 2) + vec(3, 4)
print(tostring(sum), sum == vec(4, 6), vec(1, 0) < vec(2, 0), #sum, sum(10))
local proxy = setmetatable({}, {__index = function(_, k) return k .. "!" end, __newindex = function(tb, k, v) rawset(tb, k, v * 2) end})
proxy.a = 21
print(proxy.a, proxy.b, rawget(proxy, "b"))
-- GC under load: many short-lived tables and strings, weak tables, finalizers
local weak = setmetatable({}, {__mode = "v"})
local finalized = 0
for i = 1, 20000 do
  local obj = {i, tostring(i), {i}}
  if i % 1000 == 0 then weak[#weak + 1] = obj; setmetatable(obj, {__gc = function() finalized = finalized + 1 end}) end
end
collectgarbage()
collectgarbage()
local alive = 0
for _ in pairs(weak) do alive = alive + 1 end
print("weak alive", alive, "finalized", finalized)
local big = {}
for i = 1, 50000 do big[i] = i end
local acc = 0
for i, v in ipairs(big) do acc = acc + v end
print("sum", acc, #big, select("#", table.unpack(big, 1, 200)))
big = nil
collectgarbage("collect")
print(type(collectgarbage("count")), collectgarbage("isrunning"))
table.insert(words, 1, "first"); table.remove(words); print(words[1], #words, table.move({1, 2, 3}, 1, 3, 2)[3])
local keys = {}
for k in pairs({a = 1, b = 2, c = 3}) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys))
print(string.format("%.14g", math.sin(1) + math.cos(1) + math.sqrt(2) + math.exp(1) + math.log(10) + math.fmod(7, 3)))
print(math.max(3, 9, 1), math.min(2.5, -1), math.floor(-2.5), math.ceil(2.1), math.abs(-4), math.ult(1, -1))
