"""Soundness of the range analysis: every concrete result lies inside the abstract one.

Hypothesis draws abstract values that contain a chosen concrete value (a tnum and bounds built
around it), applies each transfer function to both, and checks :meth:`Scalar.contains`; the
branch refinement must keep every pair of values for which the condition holds.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bpfvm.analysis import M32, M64, Scalar, Tnum, branch_taken, refine, scalar_alu, scalar_end, trange
from bpfvm.analysis.branch import negate
from bpfvm.isa.arith import alu, byteswap, jump_taken, sext

U64 = st.integers(0, M64)


@st.composite
def abstract(draw: st.DrawFn) -> tuple[int, Scalar]:
    """A concrete value and an abstract value containing it (bounds and known bits around it)."""
    x = draw(st.one_of(U64, st.integers(0, 300), st.integers(M64 - 300, M64), st.integers(0, M32)))
    mask = draw(st.one_of(st.just(0), st.just(M64), U64, st.integers(0, 0xFF), st.integers(0, M32)))
    reg = Scalar(Tnum(x & ~mask & M64, mask))
    width = draw(st.sampled_from([0, 1, 16, 1 << 20, M64]))
    lo, hi = max(0, x - draw(st.integers(0, width))), min(M64, x + draw(st.integers(0, width)))
    reg.umin, reg.umax = lo, hi
    reg.sync()
    assert reg.contains(x), (x, reg)
    return x, reg


ALU_OPS = ["add", "sub", "mul", "and", "or", "xor", "lsh", "rsh", "arsh", "div", "mod", "neg"]


@settings(max_examples=400, deadline=None)
@given(abstract(), abstract(), st.sampled_from(ALU_OPS), st.sampled_from([32, 64]))
def test_alu_sound(a: tuple[int, Scalar], b: tuple[int, Scalar], op: str, bits: int) -> None:
    x, ra = a
    y, rb = b
    if op in ("lsh", "rsh", "arsh"):
        y = y % bits
        rb = Scalar.known(y)
    expected = alu(op, bits, x, y)
    result = ra.copy()
    scalar_alu(op, result, rb, bits)
    assert result.contains(expected), (op, bits, hex(x), hex(y), hex(expected), ra, rb, result)


@settings(max_examples=200, deadline=None)
@given(
    abstract(),
    st.sampled_from(["le16", "le32", "le64", "be16", "be32", "be64", "bswap16", "bswap32", "bswap64"]),
)
def test_end_sound(a: tuple[int, Scalar], op: str) -> None:
    x, ra = a
    result = ra.copy()
    scalar_end(result, op)
    assert result.contains(byteswap(op, x))


@settings(max_examples=200, deadline=None)
@given(abstract(), st.sampled_from([1, 2, 4]))
def test_sign_extension_sound(a: tuple[int, Scalar], size: int) -> None:
    x, ra = a
    r64 = ra.copy()
    r64.coerce_to_size_sx(size)
    assert r64.contains(sext(x, size * 8) & M64)
    r = ra.copy()
    r.coerce_to_size(size)
    assert r.contains(x & ((1 << (size * 8)) - 1))


JMPS = ["jeq", "jne", "jset", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle"]


@settings(max_examples=400, deadline=None)
@given(abstract(), abstract(), st.sampled_from(JMPS), st.sampled_from([32, 64]))
def test_branch_sound(a: tuple[int, Scalar], b: tuple[int, Scalar], op: str, bits: int) -> None:
    x, ra = a
    y, rb = b
    taken = jump_taken(op, bits, x, y)
    verdict = branch_taken(op, ra, rb, bits)
    assert verdict in (-1, int(taken))
    cond = op if taken else negate(op)
    ca, cb = ra.copy(), rb.copy()
    refine(cond, ca, cb, bits)
    assert ca.contains(x) and cb.contains(y), (cond, bits, hex(x), hex(y), ca, cb)


def test_trange_and_known() -> None:
    assert trange(0, 255) == Tnum(0, 0xFF)
    assert trange(16, 31) == Tnum(16, 15)
    k = Scalar.known(-3)
    assert k.smin == k.smax == -3 and k.umin == M64 - 2 and k.s32_min == -3 and k.u32_max == M32 - 2
