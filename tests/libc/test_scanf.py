"""The scanf family: conversions, widths, suppression and return values, diffed against glibc."""

from __future__ import annotations

import ctypes
import io
import struct
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm.libc import scanf as S
from bpfvm.libc import stdio as F

from .conftest import Guest

DEST = 64  #: bytes per destination buffer
PATTERN = bytes(range(0xA0, 0xA0 + DEST))  #: what each destination holds before the call


def bpf_sscanf(vm: bpfvm.VM, guest: Guest, text: bytes, fmt: bytes, n: int) -> tuple[int, list[bytes]]:
    """Run the intrinsic with ``n`` destination buffers: the result and the buffers after."""
    dests = [guest.bytes(PATTERN) for _ in range(n)]
    block = guest.bytes(struct.pack(f"<{n}Q", *dests)) if n else guest.buffer(8)
    result = S.sscanf(vm, guest.str(text), guest.str(fmt), block)
    return ctypes.c_int(result).value, [vm.memory.read(d, DEST) for d in dests]


def host_sscanf(text: bytes, fmt: bytes, n: int) -> tuple[int, list[bytes]]:
    """glibc's sscanf on the same input."""
    libc = ctypes.CDLL(None)
    bufs = [ctypes.create_string_buffer(PATTERN, DEST) for _ in range(n)]
    result = libc.sscanf(ctypes.c_char_p(text), ctypes.c_char_p(fmt), *[ctypes.byref(b) for b in bufs])
    return result, [b.raw for b in bufs]


needs_glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs the host glibc")


def assigning(fmt: bytes) -> int:
    """How many destination pointers ``fmt`` consumes (an upper bound is fine)."""
    return fmt.count(b"%") + 1


@needs_glibc
@pytest.mark.parametrize(("text", "fmt"), [
    (b"42", b"%d"), (b"  -17 rest", b"%d %s"), (b"0x1f 077 10", b"%i %i %i"), (b"ff FF", b"%x %X"),
    (b"0xZ", b"%x%c"), (b"-1", b"%u"), (b"99999999999999999999", b"%d"), (b"-99999999999999999999", b"%lld"),
    (b"99999999999999999999", b"%lu"), (b"300 70000", b"%hhd %hd"), (b"12345", b"%3d%d"),
    (b"abc def", b"%s%n %2s%n"), (b"hello", b"%3c"), (b"x", b"%5c"), (b"abc]def", b"%[]a-c]%s"),
    (b"key=value;", b"%[^=]=%[^;]"), (b"", b"%d"), (b"   ", b"%d"), (b"", b"%n%d"), (b"x", b"%d"),
    (b"5", b"%*d%d"), (b"5 6", b"%*d%d"), (b"100%", b"%d%%"), (b"100 %", b"%d%%"), (b"a", b"b%d"),
    (b"", b"abc"), (b"-", b"%d"), (b"+7", b"%d"), (b"0x", b"%i"), (b"08", b"%i%d"), (b"1 2", b"%zu %lld"),
    (b"abc", b"%[a-]%s"), (b"--", b"%[a-]"), (b"12", b"%1x%1o"), (b"doom1.wad", b"doom%d.wad%n"),
])
def test_examples_match_glibc(vm: bpfvm.VM, guest: Guest, text: bytes, fmt: bytes) -> None:
    n = assigning(fmt)
    assert bpf_sscanf(vm, guest, text, fmt, n) == host_sscanf(text, fmt, n)


_directive = st.one_of(
    st.builds(lambda sup, width, length, conv: b"%" + sup + width + length + conv,
              st.sampled_from([b"", b"*"]), st.sampled_from([b"", b"1", b"2", b"3", b"7"]),
              st.sampled_from([b"", b"hh", b"h", b"l", b"ll", b"z"]), st.sampled_from(list(b"diuxXo"))
              .map(lambda c: bytes([c]))),
    st.builds(lambda sup, width, conv: b"%" + sup + width + conv, st.sampled_from([b"", b"*"]),
              st.sampled_from([b"", b"1", b"3", b"9"]),
              st.sampled_from([b"c", b"s", b"[a-f]", b"[^ ,]", b"[]0-9x]", b"[-+]"])),
    st.sampled_from([b"%n", b"%hhn", b"%%", b" ", b",", b"x", b"0"]),
)


@needs_glibc
@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="0123456789abcdefxX+-, \t%]", max_size=30).map(str.encode),
       parts=st.lists(_directive, max_size=6))
def test_random_formats_match_glibc(text: bytes, parts: list[bytes]) -> None:
    vm = bpfvm.VM(stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=io.BytesIO(), heap_size=1 << 16)
    fmt = b"".join(parts)
    n = assigning(fmt)
    assert bpf_sscanf(vm, Guest(vm), text, fmt, n) == host_sscanf(text, fmt, n)


def test_vsscanf_reads_a_va_list(vm: bpfvm.VM, guest: Guest) -> None:
    a, b = guest.buffer(4), guest.buffer(16)
    ap = guest.bytes(struct.pack("<2Q", a, b))
    assert S.vsscanf(vm, guest.str("7 seven"), guest.str("%d %s"), ap) == 2
    assert vm.memory.load(a, 4) == 7 and guest.read_str(b) == b"seven"


def test_scanf_and_fscanf_read_streams() -> None:
    stdin = io.BytesIO(b"12 34\nrest")
    vm = bpfvm.VM(stdin=stdin, stdout=io.BytesIO(), stderr=io.BytesIO(), heap_size=1 << 16)
    g = Guest(vm)
    a, b = g.buffer(4), g.buffer(4)
    block = g.bytes(struct.pack("<2Q", a, b))
    assert S.scanf(vm, g.str("%d"), block) == 1 and vm.memory.load(a, 4) == 12
    assert S.fscanf(vm, F.STDIN, g.str("%d"), block) == 1 and vm.memory.load(a, 4) == 34
    assert F.fgetc(vm, F.STDIN) == ord("\n")  # the byte after the number was pushed back
    assert S.vscanf(vm, g.str("%d"), block) == 0  # matching failure on "rest"
    assert S.vfscanf(vm, F.STDIN, g.str("%4c%d"), block) == 1
    assert S.scanf(vm, g.str("%d"), block) == F.EOF


def test_fscanf_on_a_closed_stream_is_eof(vm: bpfvm.VM, guest: Guest) -> None:
    assert S.fscanf(vm, 99, guest.str("%d"), guest.buffer(8)) == F.EOF
