-- string.format of floats, tostring/tonumber round trips, patterns.
local values = {0, -0.0, 1, -1.5, 3.14159265358979, 1e100, 1e-100, 2^53, 2^63, -2^63, 1/3, 123456789.125,
                0.1 + 0.2, 5e-324, 1.7976931348623157e308, math.huge, -math.huge, math.pi * 1e10}
for _, v in ipairs(values) do
  print(string.format("%g %.3f %e %.17g %a %5.1f|%-12.4g|", v, v, v, v, v, v, v), tostring(v), v == tonumber(tostring(v)))
end
print(string.format("%d %5d %-5d| %x %X %o %c %s %q %%", 42, -7, 3, 255, 255, 8, 65, "str", "a\nb"))
print(string.format("%10.3s|%-10s|", "abcdef", "hi"), ("%i"):format(7))
print(tonumber("0x1p4"), tonumber("  12  "), tonumber("1e2"), tonumber("z", 36), tonumber("10", 2), tonumber("x"))
print(math.tointeger(3.0), 7 // 2, 7.0 // 2, 7 % -3, -7 % 3, 7.5 % 2, 1 // 0.0, 3 | 5, 6 & 3, 1 << 62, ~0)
local s = "The quick brown fox jumps over the lazy dog 2024-01-15"
print(s:find("quick"), s:find("o", 20), s:match("(%d+)-(%d+)-(%d+)"))
print(s:gsub("%w+", function(w) return w:sub(1, 1):upper() .. w:sub(2) end))
print(s:gsub("(%w+) (%w+)", "%2 %1", 3))
for word in s:gmatch("%a+") do io.write(#word, ",") end
print()
print(("hello world"):rep(3, "|"), ("abc"):reverse(), ("MiXeD"):lower(), ("%d"):format(3))
print(string.byte("ABC", 1, -1), string.char(72, 105), ("x"):byte())
print(("  trim  "):match("^%s*(.-)%s*$") .. "|", ("key=value; k2=v2"):match("k2=(%w+)"))
print(("[%]"):gsub("%%", "%%%%"), ("a.b.c"):gsub("%.", "/"), ("balanced (a(b)c) end"):match("%b()"))
print(("f(a,b)"):find("(", 1, true), ("%f[%w]%w+"), ("THE (quick) fox"):find("%f[%a]%a+%f[%A]"))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), #utf8.char(128512))
for p, c in utf8.codes("aé€") do io.write(p, ":", c, " ") end
print()
print(string.pack and #string.pack("i4d", 7, 1.5), string.unpack("<i4", string.pack("<i4", -2)))
print(table.concat({1, 2.5, "x"}, ", "), select(2, "a", "b", "c"))
