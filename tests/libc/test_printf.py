"""The printf engine against the host C library's snprintf (glibc), through ctypes."""

from __future__ import annotations

import ctypes
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpfvm.libc.printf import FormatError, Formatter, format_printf

libc = ctypes.CDLL(None)
libc.snprintf.restype = ctypes.c_int
pytestmark = pytest.mark.skipif(not hasattr(libc, "gnu_get_libc_version"), reason="needs glibc")

CONVERSION = re.compile(rb"%[-+ #0]*[0-9]*(?:\.[0-9]*)?(?:hh|h|ll|l|z|j|t)?([diouxXcsp%])")
STRINGS = {0x1000: b"hello", 0x2000: b"", 0x3000: b"a longer string, with spaces"}


def host(fmt: bytes, *args: object) -> bytes:
    """glibc's snprintf output."""
    size = libc.snprintf(None, 0, fmt, *args)
    assert size >= 0, fmt
    buf = ctypes.create_string_buffer(size + 1)
    libc.snprintf(buf, size + 1, fmt, *args)
    return buf.raw[:size]


def ours(fmt: bytes, *values: int) -> bytes:
    def read_string(addr: int, limit: int | None) -> bytes:
        text = STRINGS[addr]
        return text if limit is None else text[:limit]

    return Formatter(read_string, lambda addr, size, value: None).format(fmt, values)


def c_arg(conv: str, value: int) -> object:
    if conv == "s":
        return ctypes.c_char_p(STRINGS[value]) if value else ctypes.c_char_p(None)
    if conv == "p":
        return ctypes.c_void_p(value)
    return ctypes.c_ulonglong(value)


FLAGS = st.lists(st.sampled_from("-+ #0"), max_size=4, unique=True).map("".join)
FIELD = st.one_of(st.none(), st.integers(0, 40))
INTS = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**31, 2**63, 2**64 - 1, 255, 128, 65535]))


@st.composite
def conversions(draw: st.DrawFn) -> tuple[str, int]:
    conv = draw(st.sampled_from("diouxXcsp"))
    length = draw(st.sampled_from(["", "hh", "h", "l", "ll", "z", "j", "t"])) if conv in "diouxX" else ""
    flags = draw(FLAGS)
    width, precision = draw(FIELD), draw(FIELD)
    if conv in "cp" or (conv == "s" and "0" in flags):
        precision = None  # undefined behaviour in C
    spec = "%" + flags + ("" if width is None else str(width)) + \
        ("" if precision is None else f".{precision}") + length + conv
    value = draw(st.sampled_from(sorted(STRINGS) + [0])) if conv == "s" else draw(INTS)
    return spec, value


@settings(max_examples=1500, deadline=None)
@given(st.lists(conversions(), min_size=1, max_size=4), st.sampled_from(["", " ", "ab", "%%", "\n", "x%%y"]))
def test_matches_glibc(specs: list[tuple[str, int]], text: str) -> None:
    fmt = text.join(spec for spec, _ in specs).encode()
    values = [value for _, value in specs]
    args = [c_arg(spec[-1], value) for spec, value in specs]
    assert ours(fmt, *values) == host(fmt, *args), fmt


@pytest.mark.parametrize("fmt, values", [
    (b"%d %i", [2**32 - 1, 2**31]),
    (b"%hhd %hhu %hd %hu", [0x1FF, 0x180, 0x18000, 0x18000]),
    (b"%ld %lu %lld %zu %zd %jd %td", [2**64 - 1] * 7),
    (b"%#o %#x %#X %#.0o %#.0x", [8, 255, 255, 0, 0]),
    (b"%+d % d %+ d %-+5d| %05d %-05d|", [5, 5, 5, 5, 2**32 - 5, 5]),
    (b"%.0d|%.0u|%5.0x|%.3d|%08.3d", [0, 0, 0, 2**32 - 7, 42]),
    (b"%c%c%c|%5c|%-5c|", [ord("a"), 0x142, 0x100 + ord("z"), ord("x"), ord("y")]),
    (b"%p %p %20p %-20p| %+p % p %.20p %020p", [0, 0x1234, 0x1234, 0x1234, 0x10, 0x10, 0x10, 0x10]),
    (b"%s|%.3s|%10s|%-10s|%.0s|%10.2s|", [0x1000] * 6),
    (b"%s|%.5s|%.6s|%10s|%-8s|", [0] * 5),  # NULL: "(null)", or nothing if cut
    (b"%5%|%-5%|%%", []),
    (b"%y|%-5y|%", []),
])
def test_cases(fmt: bytes, values: list[int]) -> None:
    convs = [c for c in CONVERSION.findall(fmt) if c != b"%"]
    args = [c_arg(c.decode(), v) for c, v in zip(convs, values)]
    if fmt.endswith(b"|%"):  # glibc fails on a format ending in "%"
        with pytest.raises(FormatError):
            ours(fmt, *values)
        return
    assert ours(fmt, *values) == host(fmt, *args)


def test_star_width_and_precision() -> None:
    neg = 2**64 - 7  # -7 as a register value: as an int, the low 32 bits
    assert ours(b"[%*d][%-*d][%*d]", 6, 42, 6, 42, neg, 42) == \
        host(b"[%*d][%-*d][%*d]", 6, 42, 6, 42, -7, 42)
    assert ours(b"[%.*d][%.*d][%*.*s]", 5, 42, neg, 42, 8, 2, 0x1000) == \
        host(b"[%.*d][%.*d][%*.*s]", 5, 42, -7, 42, 8, 2, b"hello")


def test_positional_arguments() -> None:
    assert ours(b"%2$d %1$d %2$*1$d|", 3, 4) == host(b"%2$d %1$d %2$*1$d|", 3, 4)


def test_n_stores_count() -> None:
    stored: list[tuple[int, int, int]] = []
    fmt = Formatter(lambda a, n: b"", lambda addr, size, value: stored.append((addr, size, value)))
    assert fmt.format(b"abc%n%hhn%5d%lln", [0x10, 0x20, 7, 0x30]) == b"abc    7"
    assert stored == [(0x10, 4, 3), (0x20, 1, 3), (0x30, 8, 8)]


def test_m_is_strerror_of_errno() -> None:
    fmt = Formatter(lambda a, n: b"", lambda *a: None, lambda: "No such file or directory")
    assert fmt.format(b"[%m] [%20m]", []) == b"[No such file or directory] [No such file or directory]"


def test_doubles_from_bits() -> None:
    bits = struct.unpack("<Q", struct.pack("<d", 3.25))[0]
    fmt = b"%f %.1e %g %8.3f %-9.2E|%G"
    assert format_printf(fmt, [bits] * 6) == host(fmt, *[ctypes.c_double(3.25)] * 6)


def test_missing_arguments_are_zero_and_huge_fields_fail() -> None:
    assert format_printf(b"%d %x", []) == b"0 0"
    with pytest.raises(FormatError):
        format_printf(b"%999999999d", [1])

