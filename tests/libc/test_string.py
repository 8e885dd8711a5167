"""<string.h>: each function against glibc (ctypes) or its definition, on guest memory."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm import TrapKind, VmTrap
from bpfvm.libc import LIBC
from bpfvm.libc import string as S

from .conftest import Guest

libc = ctypes.CDLL(None)
TEXT = st.binary(max_size=12).map(lambda b: b.replace(b"\0", b"a"))
SMALL = st.text("abcAB ,", max_size=10).map(str.encode)


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def host_cmp(name: str, a: bytes, b: bytes, *n: int) -> int:
    fn = getattr(libc, name)
    fn.restype = ctypes.c_int
    return int(fn(a, b, *(ctypes.c_size_t(v) for v in n)))


@settings(max_examples=200, deadline=None)
@given(SMALL, SMALL, st.integers(0, 12))
def test_comparisons_match_glibc(a: bytes, b: bytes, n: int) -> None:
    vm = bpfvm.VM(heap_size=1 << 16)
    g = Guest(vm)
    pa, pb = g.str(a), g.str(b)
    assert sign(S.strcmp(vm, pa, pb)) == sign(host_cmp("strcmp", a, b))
    assert sign(S.strncmp(vm, pa, pb, n)) == sign(host_cmp("strncmp", a, b, n))
    assert sign(S.strcasecmp(vm, pa, pb)) == sign(host_cmp("strcasecmp", a, b))
    assert sign(S.strncasecmp(vm, pa, pb, n)) == sign(host_cmp("strncasecmp", a, b, n))
    m = min(n, len(a), len(b))
    assert sign(S.memcmp(vm, pa, pb, m)) == sign(host_cmp("memcmp", a, b, m))


@settings(max_examples=200, deadline=None)
@given(SMALL, SMALL, st.integers(0, 255))
def test_searches(hay: bytes, needle: bytes, c: int) -> None:
    vm = bpfvm.VM(heap_size=1 << 16)
    g = Guest(vm)
    h, n = g.str(hay), g.str(needle)
    find = (hay + b"\0").find(bytes([c]))
    assert S.strchr(vm, h, c | 0x100) == (h + find if find >= 0 else 0)  # (char)c
    rfind = (hay + b"\0").rfind(bytes([c]))
    assert S.strrchr(vm, h, c) == (h + rfind if rfind >= 0 else 0)
    at = hay.find(needle)
    assert S.strstr(vm, h, n) == (h + at if at >= 0 else 0)
    span = len(hay) - len(hay.lstrip(needle)) if needle else 0
    assert S.strspn(vm, h, n) == span
    cspan = next((i for i, ch in enumerate(hay) if ch in needle), len(hay))
    assert S.strcspn(vm, h, n) == cspan
    assert S.strpbrk(vm, h, n) == (h + cspan if cspan < len(hay) else 0)
    mem = hay.find(bytes([c]))
    assert S.memchr(vm, h, c, len(hay)) == (h + mem if mem >= 0 else 0)


def test_lengths_and_copies(vm: bpfvm.VM, guest: Guest) -> None:
    src, dst = guest.str("hello"), guest.buffer(32)
    assert S.strlen(vm, src) == 5 and S.strnlen(vm, src, 3) == 3 and S.strnlen(vm, src, 99) == 5
    assert S.strcpy(vm, dst, src) == dst and guest.read_str(dst) == b"hello"
    assert S.strcat(vm, dst, src) == dst and guest.read_str(dst) == b"hellohello"
    assert S.strncat(vm, dst, src, 2) == dst and guest.read_str(dst) == b"hellohellohe"
    assert S.stpcpy(vm, dst, src) == dst + 5
    S.memset(vm, dst, 0x7A, 32)
    S.strncpy(vm, dst, src, 8)
    assert vm.memory.read(dst, 10) == b"hello\0\0\0zz"  # padded to n with NULs
    S.strncpy(vm, dst, src, 3)
    assert vm.memory.read(dst, 4) == b"hell"  # no NUL written when src is longer than n


def test_memmove_overlaps(vm: bpfvm.VM, guest: Guest) -> None:
    buf = guest.bytes(b"0123456789")
    S.memmove(vm, buf + 2, buf, 6)
    assert vm.memory.read(buf, 10) == b"0101234589"
    S.memcpy(vm, buf, buf + 4, 6)
    assert vm.memory.read(buf, 10) == b"2345894589"


def test_strdup_uses_the_heap(vm: bpfvm.VM, guest: Guest) -> None:
    copy = S.strdup(vm, guest.str("text"))
    assert copy in vm.heap and guest.read_str(copy) == b"text"
    part = S.strndup(vm, guest.str("longer"), 3)
    assert guest.read_str(part) == b"lon" and vm.heap.size_of(part) == 4


def test_strtok_keeps_state_per_vm(vm: bpfvm.VM, guest: Guest) -> None:
    text, delims = guest.str(",,a,bb;;c,"), guest.str(",;")
    tokens = [S.strtok(vm, text, delims)]
    while tokens[-1]:
        tokens.append(S.strtok(vm, 0, delims))
    assert [guest.read_str(t) for t in tokens[:-1]] == [b"a", b"bb", b"c"]
    assert S.strtok(vm, 0, delims) == 0
    assert S.strtok(vm, guest.str(",,,"), delims) == 0


def test_strerror_is_glibc_text(vm: bpfvm.VM, guest: Guest) -> None:
    libc.strerror.restype = ctypes.c_char_p
    for code in (0, 1, 2, 13, 22, 9999):
        assert guest.read_str(S.strerror(vm, code)) == libc.strerror(code)
    assert S.strerror(vm, 2) == S.strerror(vm, 2)  # one copy per message


def test_bad_pointers_trap(vm: bpfvm.VM, guest: Guest) -> None:
    with pytest.raises(VmTrap) as info:
        S.strlen(vm, 0)
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS
    ro = guest.str("constant", writable=False)
    with pytest.raises(VmTrap) as info:
        S.strcpy(vm, ro, guest.str("x"))
    assert info.value.kind is TrapKind.READ_ONLY
    S.memcpy(vm, 0, 0, 0)  # zero length touches nothing


def test_table_binds_by_name() -> None:
    assert LIBC["strlen"].fn is S.strlen and LIBC["index"].fn is S.strchr
    assert LIBC["memcpy"].nargs == 3 and LIBC["memcpy"].context == ("vm",)


def test_huge_lengths_trap_before_allocating(vm: bpfvm.VM, guest: Guest) -> None:
    buf = guest.buffer(8)
    for call in (lambda: S.memset(vm, buf, 0, 1 << 62), lambda: S.strncpy(vm, buf, guest.str("x"), 1 << 62),
                 lambda: S.memcpy(vm, buf, buf, 1 << 62)):
        with pytest.raises(VmTrap) as info:
            call()
        assert info.value.kind is TrapKind.OUT_OF_BOUNDS
