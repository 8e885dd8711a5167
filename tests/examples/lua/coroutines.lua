-- Coroutines: resume/yield switch C stacks with longjmp when errors cross them.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i * i) end
    return "done"
  end)
end
local g = gen(5)
for _ = 1, 6 do io.write(tostring(g()), " ") end
print()
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  error("inside " .. (d + e))
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
-- producer/consumer
local function producer()
  return coroutine.create(function()
    for _, w in ipairs({"alpha", "beta", "gamma"}) do coroutine.yield(w) end
  end)
end
local p = producer()
while true do
  local ok, w = coroutine.resume(p)
  if not w then break end
  io.write(w:upper(), ";")
end
print()
print(coroutine.isyieldable(), select(2, coroutine.running()))
local wrapped = coroutine.wrap(function() error({msg = "table error"}) end)
local ok, e = pcall(wrapped)
print(ok, type(e), e.msg)
-- many coroutines alive at once
local cos = {}
for i = 1, 200 do cos[i] = coroutine.create(function(x) while true do x = coroutine.yield(x + i) end end) end
local sum = 0
for round = 1, 5 do for i = 1, 200 do local _, v = coroutine.resume(cos[i], round); sum = sum + v end end
print("sum", sum)
print(coroutine.close(cos[1]), coroutine.status(cos[1]))
