"""bpfvm.isa.arith against an independent oracle (RFC 9669 §4.1, §4.2, §4.3).

The oracle is written differently on purpose: fixed-width wrapping comes from ctypes, signed
division from exact rational truncation, byte swaps from an explicit byte loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from ctypes import c_int8, c_int16, c_int32, c_int64, c_uint16, c_uint32, c_uint64
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpfvm.isa import arith

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

EDGES = [
    0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF,
    0x10000, INT32_MAX, INT32_MAX + 1, 2**32 - 1, 2**32, 2**32 + 1, 2**32 + 31, 2**32 + 32,
    INT64_MAX, INT64_MAX + 1, 2**64 - 1, 2**64 - 2, 2**64 + INT32_MIN, 2**64 - 31, 2**64 - 32,
    2**64 - 64, 0xFFFF_FFFF_0000_0000, 0x8000_0000_8000_0000, 0x0123_4567_89AB_CDEF,
]
assert all(0 <= v < 2**64 for v in EDGES)

#: Register values: edge cases mixed with anything 64-bit.
regs = st.one_of(st.sampled_from(EDGES), st.integers(0, 2**64 - 1))


def u64(x: int) -> int:
    return c_uint64(x).value


def s64(x: int) -> int:
    return c_int64(x).value


def u32(x: int) -> int:
    return c_uint32(x).value


def s32(x: int) -> int:
    return c_int32(x).value


UNSIGNED: dict[int, Callable[[int], int]] = {32: u32, 64: u64}
SIGNED: dict[int, Callable[[int], int]] = {32: s32, 64: s64}
SEXT: dict[int, Callable[[int], int]] = {8: lambda x: c_int8(x).value, 16: lambda x: c_int16(x).value,
                                          32: s32}


def c_div(x: int, y: int) -> int:
    """C99 signed division (truncation toward zero), exactly."""
    return math.trunc(Fraction(x, y))


def c_rem(x: int, y: int) -> int:
    """C99 signed remainder: x - y * trunc(x / y)."""
    return x - y * c_div(x, y)


def oracle_alu(op: str, bits: int, a: int, b: int) -> int:
    """What RFC 9669 says ``dst = dst op src`` yields, as an unsigned 64-bit register value."""
    u, s = UNSIGNED[bits], SIGNED[bits]
    ua, ub = u(a), u(b)
    if op == "add":
        r = ua + ub
    elif op == "sub":
        r = ua - ub
    elif op == "mul":
        r = ua * ub
    elif op == "div":
        r = 0 if ub == 0 else ua // ub
    elif op == "mod":
        r = ua if ub == 0 else ua - ub * (ua // ub)
    elif op == "sdiv":
        r = 0 if s(b) == 0 else c_div(s(a), s(b))  # INT_MIN / -1 wraps back to INT_MIN below
    elif op == "smod":
        r = s(a) if s(b) == 0 else c_rem(s(a), s(b))
    elif op == "or":
        r = ua | ub
    elif op == "and":
        r = ua & ub
    elif op == "xor":
        r = ua ^ ub
    elif op == "lsh":
        r = ua << (ub % bits)
    elif op == "rsh":
        r = ua >> (ub % bits)
    elif op == "arsh":
        r = s(a) >> (ub % bits)  # Python's >> on negative ints is an arithmetic shift
    elif op == "neg":
        r = -ua
    elif op == "mov":
        r = ub
    elif op.startswith("movsx"):
        r = SEXT[int(op[5:])](b)
    else:
        raise AssertionError(f"no oracle for {op}")
    return u(r)  # wrap to the width; a 32-bit result is thereby zero-extended


def oracle_jump(op: str, bits: int, a: int, b: int) -> bool:
    u, s = UNSIGNED[bits], SIGNED[bits]
    compare = {
        "jeq": lambda x, y: x == y, "jne": lambda x, y: x != y,
        "jgt": lambda x, y: x > y, "jge": lambda x, y: x >= y,
        "jlt": lambda x, y: x < y, "jle": lambda x, y: x <= y,
    }
    if op == "jset":
        return (u(a) & u(b)) != 0
    if op in compare:
        return bool(compare[op](u(a), u(b)))
    return bool(compare["j" + op[2:]](s(a), s(b)))  # jsgt -> signed jgt, ...


def swap_bytes(value: int, nbytes: int) -> int:
    out = 0
    for i in range(nbytes):
        byte = (value >> (8 * i)) & 0xFF
        out |= byte << (8 * (nbytes - 1 - i))
    return out


def oracle_end(op: str, a: int) -> int:
    width = int(op[-2:])  # le16 … bswap64
    if op.startswith("le"):  # this VM is little endian: htole is a truncation
        return {16: c_uint16(a).value, 32: u32(a), 64: a}[width]
    return swap_bytes(a, width // 8)


def test_oracle_covers_every_template() -> None:
    ops = {op for op, _ in arith.ALU_EXPR}
    assert ops == {"add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh",
                   "arsh", "neg", "mov", "movsx8", "movsx16", "movsx32"}
    assert set(arith.ALU_EXPR) == {(op, bits) for op in ops for bits in (32, 64)} - {("movsx32", 32)}
    assert {op for op, _ in arith.JMP_EXPR} == {"jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt",
                                                 "jsge", "jslt", "jsle"}
    assert len(arith.JMP_EXPR) == 22
    assert set(arith.END_EXPR) == {f"{p}{w}" for p in ("le", "be", "bswap") for w in (16, 32, 64)}


@pytest.mark.parametrize(("op", "bits"), sorted(arith.ALU_EXPR))
@given(a=regs, b=regs)
def test_alu(op: str, bits: int, a: int, b: int) -> None:
    got = arith.alu(op, bits, a, b)
    assert got == oracle_alu(op, bits, a, b)
    assert 0 <= got < 2**bits


@pytest.mark.parametrize(("op", "bits"), sorted(arith.ALU_EXPR))
@given(a=regs, imm=st.one_of(st.sampled_from([0, 1, -1, INT32_MIN, INT32_MAX, 31, 32, 63, 64]),
                             st.integers(INT32_MIN, INT32_MAX)))
def test_alu_with_immediate(op: str, bits: int, a: int, imm: int) -> None:
    """An immediate operand is sign-extended to 64 bits before the operation."""
    assert arith.alu(op, bits, a, arith.imm64(imm)) == oracle_alu(op, bits, a, c_uint64(imm).value)


@pytest.mark.parametrize(("op", "bits"), sorted(arith.JMP_EXPR))
@given(a=regs, b=regs)
def test_jump_taken(op: str, bits: int, a: int, b: int) -> None:
    got = arith.jump_taken(op, bits, a, b)
    assert isinstance(got, bool)
    assert got == oracle_jump(op, bits, a, b)


@pytest.mark.parametrize(("op", "bits"), sorted(arith.JMP_EXPR))
@given(a=regs)
def test_jump_against_itself(op: str, bits: int, a: int) -> None:
    reflexive = op in ("jeq", "jge", "jle", "jsge", "jsle")
    if op == "jset":
        assert arith.jump_taken(op, bits, a, a) == (UNSIGNED[bits](a) != 0)
    else:
        assert arith.jump_taken(op, bits, a, a) == reflexive


@pytest.mark.parametrize("op", sorted(arith.END_EXPR))
@given(a=regs)
def test_byteswap(op: str, a: int) -> None:
    assert arith.byteswap(op, a) == oracle_end(op, a)


@given(x=st.integers(-(2**64), 2**64), y=st.integers(-(2**64), 2**64))
def test_sdiv_smod(x: int, y: int) -> None:
    if y == 0:
        assert arith.sdiv(x, y) == 0
        assert arith.smod(x, y) == x
    else:
        assert arith.sdiv(x, y) == c_div(x, y)
        assert arith.smod(x, y) == c_rem(x, y)
        assert arith.sdiv(x, y) * y + arith.smod(x, y) == x


@given(value=st.integers(-(2**70), 2**70), bits=st.sampled_from([8, 16, 32, 64]))
def test_sext(value: int, bits: int) -> None:
    expected = {8: lambda v: c_int8(v).value, 16: lambda v: c_int16(v).value, 32: s32, 64: s64}[bits](value)
    assert arith.sext(value, bits) == expected


@given(imm=st.integers(INT32_MIN, INT32_MAX))
def test_imm64(imm: int) -> None:
    assert arith.imm64(imm) == c_uint64(c_int64(imm).value).value
    assert arith.sext(arith.imm64(imm), 64) == imm


M32, M64 = 2**32 - 1, 2**64 - 1

#: Hand-checked values, straight from the RFC's wording.
SPOT = [
    ("div", 64, 7, 0, 0),
    ("div", 32, 2**32 + 7, 2**32, 0),  # divisor's low 32 bits are 0
    ("mod", 64, 7, 0, 7),
    ("mod", 32, 0x1_2345_6789, 0, 0x2345_6789),  # dividend's low 32 bits, zero-extended
    ("mod", 32, 0x1_0000_0009, 0x1_0000_0004, 1),
    ("sdiv", 64, u64(-7), 2, u64(-3)),
    ("sdiv", 64, u64(7), u64(-2), u64(-3)),
    ("sdiv", 64, u64(INT64_MIN), u64(-1), u64(INT64_MIN)),
    ("sdiv", 32, u32(INT32_MIN), u64(-1), u32(INT32_MIN)),
    ("sdiv", 32, u32(-7), u64(2), u32(-3)),
    ("sdiv", 64, 5, 0, 0),
    ("smod", 64, u64(-7), 2, u64(-1)),
    ("smod", 64, 7, u64(-2), 1),
    ("smod", 64, u64(-7), 0, u64(-7)),
    ("smod", 32, u64(-7), 0, u32(-7)),
    ("smod", 64, u64(INT64_MIN), u64(-1), 0),
    ("smod", 32, u32(INT32_MIN), M32, 0),
    ("lsh", 64, 1, 64, 1),  # shift amount masked to 6 bits
    ("lsh", 64, 1, 65, 2),
    ("lsh", 32, 1, 32, 1),  # ... and 5 bits
    ("lsh", 32, 1, 31, 0x8000_0000),
    ("lsh", 32, 0xFFFF_FFFF_FFFF_FFFF, 4, 0xFFFF_FFF0),
    ("rsh", 32, 0xFFFF_FFFF_8000_0000, 4, 0x0800_0000),
    ("arsh", 32, 0x8000_0000, 4, 0xF800_0000),
    ("arsh", 32, 0xFFFF_FFFF_7000_0000, 4, 0x0700_0000),
    ("arsh", 64, 2**63, 63, M64),
    ("arsh", 64, 2**63, 64, 2**63),
    ("neg", 32, 1, 0, M32),
    ("neg", 64, 1, 0, M64),
    ("neg", 64, 2**63, 0, 2**63),
    ("add", 32, M32, 1, 0),
    ("add", 64, M64, 1, 0),
    ("sub", 32, 0, 1, M32),
    ("mul", 32, 0x1_0000_0003, 5, 15),
    ("mov", 32, 123, M64, M32),
    ("movsx8", 64, 0, 0x80, M64 - 0x7F),
    ("movsx8", 32, 0, 0x1FF, M32),
    ("movsx16", 32, 0, 0x8000, 0xFFFF_8000),
    ("movsx16", 64, 0, 0x1_7FFF, 0x7FFF),
    ("movsx32", 64, 0, 0x8000_0000, 0xFFFF_FFFF_8000_0000),
]


@pytest.mark.parametrize(("op", "bits", "a", "b", "expected"), SPOT)
def test_spot_values(op: str, bits: int, a: int, b: int, expected: int) -> None:
    assert arith.alu(op, bits, a, b) == expected
    assert oracle_alu(op, bits, a, b) == expected


@pytest.mark.parametrize(("op", "a", "expected"), [
    ("le16", 0x1122_3344_5566_7788, 0x7788),
    ("le32", 0x1122_3344_5566_7788, 0x5566_7788),
    ("le64", 0x1122_3344_5566_7788, 0x1122_3344_5566_7788),
    ("be16", 0x1122_3344_5566_7788, 0x8877),
    ("be32", 0x1122_3344_5566_7788, 0x8877_6655),
    ("be64", 0x1122_3344_5566_7788, 0x8877_6655_4433_2211),
    ("bswap16", 0x1122_3344_5566_7788, 0x8877),
    ("bswap32", 0x1122_3344_5566_7788, 0x8877_6655),
    ("bswap64", 0x0000_0000_0000_00FF, 0xFF00_0000_0000_0000),
])
def test_byteswap_spot(op: str, a: int, expected: int) -> None:
    assert arith.byteswap(op, a) == expected
    assert oracle_end(op, a) == expected


@pytest.mark.parametrize(("op", "bits", "a", "b", "taken"), [
    ("jgt", 64, M64, 0, True),
    ("jsgt", 64, M64, 0, False),  # -1 > 0 is false when signed
    ("jslt", 32, 0x8000_0000, 0x7FFF_FFFF, True),
    ("jslt", 64, 0x8000_0000, 0x7FFF_FFFF, False),
    ("jeq", 32, 0x1_0000_0005, 5, True),  # only the low 32 bits compare
    ("jeq", 64, 0x1_0000_0005, 5, False),
    ("jset", 32, 0x1_0000_0000, 0x1_0000_0000, False),
    ("jset", 64, 0x1_0000_0000, 0x1_0000_0000, True),
    ("jsge", 32, 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, True),
    ("jle", 32, 0xFFFF_FFFF_0000_0001, 1, True),
])
def test_jump_spot(op: str, bits: int, a: int, b: int, taken: bool) -> None:
    assert arith.jump_taken(op, bits, a, b) is taken
    assert oracle_jump(op, bits, a, b) is taken
