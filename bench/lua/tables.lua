-- Table-heavy: inserts, hash lookups, sort, many small tables (allocator and GC).
local n = tonumber(arg[1]) or 200000
local t, h = {}, {}
for i = 1, n do t[i] = (i * 7919) % n; h["k" .. (i % 5000)] = i end
table.sort(t)
local objs = {}
for i = 1, n do objs[i % 1000 + 1] = {x = i, y = {i, i + 1}} end
local s = 0
for k, v in pairs(h) do s = s + v end
print(t[1], t[n], s, #objs)
