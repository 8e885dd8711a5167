"""<stdlib.h>: number parsing and rand against glibc (ctypes), memory, environment, exit."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm import ProgramExit, TrapKind, VmTrap
from bpfvm.libc import LIBC, state
from bpfvm.libc import stdlib as L
from bpfvm.libc.errno import __errno_location
from bpfvm.libc.random import GlibcRandom

from .conftest import Guest

libc = ctypes.CDLL(None)
errno_location = libc.__errno_location
errno_location.restype = ctypes.POINTER(ctypes.c_int)
NUMBERS = st.one_of(
    st.text(" \t\n+-0123456789abcdefxXzZ", max_size=24),
    st.integers(-2**70, 2**70).map(lambda n: f"{n}"),
    st.integers(0, 2**70).map(lambda n: f" -0x{n:x}"),
    st.sampled_from(["9223372036854775807", "9223372036854775808", "-9223372036854775808",
                     "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                     "-18446744073709551615", "0x", "0xg", "-0", "  +077", "0b101", "z"]),
)


def host_strto(name: str, text: bytes, base: int) -> tuple[int, int, int]:
    """(result, characters consumed, errno) from glibc."""
    fn = getattr(libc, name)
    fn.restype = ctypes.c_ulonglong if name.startswith("strtou") else ctypes.c_longlong
    buf = ctypes.create_string_buffer(text)
    end = ctypes.c_char_p()
    errno_location()[0] = 0
    value = fn(buf, ctypes.byref(end), base)
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)  # type: ignore[operator]
    return value, consumed, errno_location()[0]


@settings(max_examples=400, deadline=None)
@given(NUMBERS, st.sampled_from([0, 2, 8, 10, 16, 36]))
def test_strtol_family_matches_glibc(text: str, base: int) -> None:
    vm = bpfvm.VM(heap_size=1 << 16)
    g = Guest(vm)
    s, end = g.str(text), g.buffer(8)
    for name in ("strtol", "strtoul", "strtoll", "strtoull"):
        state(vm).errno = 0
        value = LIBC[name].fn(vm, s, end, base)
        expected, consumed, err = host_strto(name, text.encode(), base)
        assert (value, vm.memory.load(end, 8) - s, state(vm).errno) == (expected, consumed, err), name


def test_invalid_base_and_atoi(vm: bpfvm.VM, guest: Guest) -> None:
    s, end = guest.str("123"), guest.buffer(8)
    vm.memory.store(end, 8, 0xAA)
    assert L.strtol(vm, s, end, 1) == 0 and state(vm).errno == 22 and vm.memory.load(end, 8) == 0xAA
    libc.atoi.restype, libc.atol.restype = ctypes.c_int, ctypes.c_long
    for text in ("42", "  -17xyz", "4294967297", "-2147483649", "junk"):
        assert L.atoi(vm, guest.str(text)) == libc.atoi(text.encode())
        assert L.atol(vm, guest.str(text)) == libc.atol(text.encode())


def test_abs() -> None:
    vm = bpfvm.VM()
    assert [L.abs_(vm, x & 0xFFFF_FFFF) for x in (5, -5, -2**31)] == [5, 5, -2**31]
    assert L.labs(vm, 2**64 - 3) == 3 and L.labs(vm, 2**63) == -2**63


@pytest.mark.parametrize("seed", [0, 1, 2, 42, 2**31, 2**32 - 1])
def test_rand_matches_glibc(seed: int) -> None:
    vm = bpfvm.VM()
    libc.srand(seed)
    L.srand(vm, seed)
    assert [L.rand(vm) for _ in range(500)] == [libc.rand() for _ in range(500)]


def test_rand_without_srand_is_seed_1() -> None:
    assert GlibcRandom().next() == 1804289383
    assert L.rand(bpfvm.VM()) == 1804289383


def test_malloc_family(vm: bpfvm.VM) -> None:
    a = L.malloc(vm, 24)
    assert a in vm.heap and a % 16 == 0
    b = L.calloc(vm, 3, 8)
    assert vm.memory.read(b, 24) == bytes(24)
    c = L.realloc(vm, a, 4000)
    assert c and a not in vm.heap
    assert L.realloc(vm, c, 0) == 0 and vm.heap.live == 1
    assert L.malloc(vm, 1 << 40) == 0 and state(vm).errno == 12
    assert L.reallocarray(vm, 0, 1 << 33, 1 << 33) == 0
    L.free(vm, 0)
    vm.pc = 9
    with pytest.raises(VmTrap) as info:
        L.free(vm, a)
    assert (info.value.kind, info.value.pc) == (TrapKind.HEAP, 9)


def test_errno_location_follows_errno(vm: bpfvm.VM) -> None:
    L.malloc(vm, 1 << 40)
    addr = __errno_location(vm)
    assert addr in vm.heap and vm.memory.load(addr, 4) == 12
    vm.memory.store(addr, 4, 0)
    L.strtol(vm, Guest(vm).str("1"), 0, 99)
    assert vm.memory.load(addr, 4) == 22 and __errno_location(vm) == addr


def test_getenv(vm: bpfvm.VM, guest: Guest) -> None:
    vm.env["HOME"] = "/home/guest"
    addr = L.getenv(vm, guest.str("HOME"))
    assert guest.read_str(addr) == b"/home/guest" and L.getenv(vm, guest.str("HOME")) == addr
    assert L.getenv(vm, guest.str("PATH")) == 0


def test_exit_abort_assert(vm: bpfvm.VM, guest: Guest) -> None:
    with pytest.raises(ProgramExit) as stop:
        L.exit_(vm, 2**32 - 3)
    assert stop.value.value == -3
    with pytest.raises(VmTrap) as info:
        L.abort(vm)
    assert info.value.kind is TrapKind.ABORT
    with pytest.raises(VmTrap, match=r"t\.c:7: main: Assertion `x > 1' failed\."):
        L.assert_fail(vm, guest.str("x > 1"), guest.str("t.c"), 7, guest.str("main"))
