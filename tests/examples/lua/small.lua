-- Small enough for the interpreter: an error, a coroutine, a float format, a sort.
print(pcall(error, "small"))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a * 2); return a + b end)
print(co(20), co(1))
print(string.format("%.3f %g %5.1e", 2 / 3, 1e15, 12345.678))
local t = {5, 3, 9, 1}
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "), ("a1b22c333"):gsub("%d+", "#"))
