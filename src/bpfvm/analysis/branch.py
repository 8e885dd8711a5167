"""Conditional jumps over :class:`~.scalar.Scalar` values: which way they go, what each way teaches.

Follows Linux 6.18 ``kernel/bpf/verifier.c``: :func:`branch_taken` is ``is_scalar_branch_taken``
(1 always taken, 0 never, -1 unknown) and :func:`refine` is ``regs_refine_cond_op`` followed by
``reg_bounds_sync`` of both operands, as ``reg_set_min_max`` applies it to the taken branch
(with ``op``) and to the fall-through branch (with :func:`negate` ``op``).  Operation names are
the opcode table's (``jeq``, ``jne``, ``jset``, ``jgt`` …, and ``jnset`` for "no bit set", the
negation of ``jset`` that has no opcode of its own).
"""

from __future__ import annotations

from .scalar import Scalar
from .tnum import M32, Tnum, const

__all__ = ["branch_taken", "flip", "negate", "refine", "refine_both"]

_NEGATE = {
    "jeq": "jne",
    "jne": "jeq",
    "jset": "jnset",
    "jnset": "jset",
    "jgt": "jle",
    "jle": "jgt",
    "jge": "jlt",
    "jlt": "jge",
    "jsgt": "jsle",
    "jsle": "jsgt",
    "jsge": "jslt",
    "jslt": "jsge",
}
_FLIP = {
    "jgt": "jlt",
    "jlt": "jgt",
    "jge": "jle",
    "jle": "jge",
    "jsgt": "jslt",
    "jslt": "jsgt",
    "jsge": "jsle",
    "jsle": "jsge",
    "jeq": "jeq",
    "jne": "jne",
    "jset": "jset",
    "jnset": "jnset",
}


def negate(op: str) -> str:
    """``rev_opcode``: the condition of the fall-through branch."""
    return _NEGATE[op]


def flip(op: str) -> str:
    """``flip_opcode``: the same condition with its operands swapped."""
    return _FLIP[op]


def _view(r: Scalar, bits: int) -> tuple[Tnum, int, int, int, int]:
    if bits == 32:
        return r.var_off.subreg(), r.u32_min, r.u32_max, r.s32_min, r.s32_max
    return r.var_off, r.umin, r.umax, r.smin, r.smax


def _is_const(r: Scalar, bits: int) -> bool:
    return r.is_const32() if bits == 32 else r.is_const()


def _const_value(r: Scalar, bits: int) -> int:
    return r.var_off.value & M32 if bits == 32 else r.var_off.value


def branch_taken(op: str, a: Scalar, b: Scalar, bits: int) -> int:
    """``is_scalar_branch_taken``: 1 if ``a op b`` always holds, 0 if never, -1 if it depends."""
    t1, umin1, umax1, smin1, smax1 = _view(a, bits)
    t2, umin2, umax2, smin2, smax2 = _view(b, bits)
    if op in ("jeq", "jne"):
        same = 1 if op == "jeq" else 0
        if t1.is_const() and t2.is_const():
            return same if t1.value == t2.value else 1 - same
        if not t1.overlaps(t2):
            return 1 - same
        if umin1 > umax2 or umax1 < umin2 or smin1 > smax2 or smax1 < smin2:
            return 1 - same
        if bits == 64 and (
            a.u32_min > b.u32_max or a.u32_max < b.u32_min or a.s32_min > b.s32_max or a.s32_max < b.s32_min
        ):
            return 1 - same
        return -1
    if op in ("jset", "jnset"):
        if not _is_const(b, bits):
            a, b, t1, t2 = b, a, t2, t1
        if not _is_const(b, bits):
            return -1
        result = -1
        if t1.value & t2.value:
            result = 1
        elif not (t1.mask | t1.value) & t2.value:
            result = 0
        return result if op == "jset" or result < 0 else 1 - result
    table = {
        "jgt": (umin1 > umax2, umax1 <= umin2),
        "jsgt": (smin1 > smax2, smax1 <= smin2),
        "jlt": (umax1 < umin2, umin1 >= umax2),
        "jslt": (smax1 < smin2, smin1 >= smax2),
        "jge": (umin1 >= umax2, umax1 < umin2),
        "jsge": (smin1 >= smax2, smax1 < smin2),
        "jle": (umax1 <= umin2, umin1 > umax2),
        "jsle": (smax1 <= smin2, smin1 > smax2),
    }
    yes, no = table[op]
    return 1 if yes else 0 if no else -1


def refine(op: str, a: Scalar, b: Scalar, bits: int) -> None:
    """``regs_refine_cond_op`` + ``reg_bounds_sync``: narrow ``a`` and ``b`` (in place) to ``a op b``."""
    _refine(op, a, b, bits)
    a.sync()
    b.sync()


def refine_both(
    op: str, a: Scalar, b: Scalar, bits: int
) -> tuple[tuple[Scalar, Scalar], tuple[Scalar, Scalar]]:
    """Copies of ``(a, b)`` narrowed for the taken branch and for the fall-through branch."""
    false_a, false_b = a.copy(), b.copy()
    refine(negate(op), false_a, false_b, bits)
    true_a, true_b = a.copy(), b.copy()
    refine(op, true_a, true_b, bits)
    return (true_a, true_b), (false_a, false_b)


def _refine(op: str, a: Scalar, b: Scalar, bits: int) -> None:
    if op in ("jge", "jgt", "jsge", "jsgt"):
        op, a, b = flip(op), b, a
    if op == "jeq":
        _refine_eq(a, b, bits)
    elif op in ("jne", "jset", "jnset"):
        if not _is_const(b, bits):
            a, b = b, a
        if not _is_const(b, bits):
            return
        val = _const_value(b, bits)
        if op == "jne":
            _refine_ne(a, val, bits)
        elif op == "jset":
            if val and not val & (val - 1):
                _set_low(a, bits, lambda t: t.or_(const(val)))
        else:
            a.mark_unbounded()
            _set_low(a, bits, lambda t: t.and_(const(~val)))
    elif bits == 32:
        _refine_order32(op, a, b)
    else:
        _refine_order64(op, a, b)


def _set_low(r: Scalar, bits: int, fn: object) -> None:
    assert callable(fn)
    if bits == 32:
        r.var_off = r.var_off.with_subreg(fn(r.var_off.subreg()))
    else:
        r.var_off = fn(r.var_off)


def _refine_eq(a: Scalar, b: Scalar, bits: int) -> None:
    if bits == 32:
        a.u32_min, a.u32_max = max(a.u32_min, b.u32_min), min(a.u32_max, b.u32_max)
        a.s32_min, a.s32_max = max(a.s32_min, b.s32_min), min(a.s32_max, b.s32_max)
        b.u32_min, b.u32_max, b.s32_min, b.s32_max = a.u32_min, a.u32_max, a.s32_min, a.s32_max
        t = a.var_off.subreg().intersect(b.var_off.subreg())
        a.var_off = a.var_off.with_subreg(t)
        b.var_off = b.var_off.with_subreg(t)
    else:
        a.umin, a.umax = max(a.umin, b.umin), min(a.umax, b.umax)
        a.smin, a.smax = max(a.smin, b.smin), min(a.smax, b.smax)
        b.umin, b.umax, b.smin, b.smax = a.umin, a.umax, a.smin, a.smax
        a.var_off = a.var_off.intersect(b.var_off)
        b.var_off = a.var_off


def _refine_ne(a: Scalar, val: int, bits: int) -> None:
    from .scalar import s32, s64

    if bits == 32:
        if a.u32_min == val & M32:
            a.u32_min += 1
        if a.u32_max == val & M32:
            a.u32_max -= 1
        if a.s32_min == s32(val):
            a.s32_min += 1
        if a.s32_max == s32(val):
            a.s32_max -= 1
    else:
        if a.umin == val:
            a.umin += 1
        if a.umax == val:
            a.umax -= 1
        if a.smin == s64(val):
            a.smin += 1
        if a.smax == s64(val):
            a.smax -= 1


def _refine_order32(op: str, a: Scalar, b: Scalar) -> None:
    if op == "jle":
        a.u32_max = min(a.u32_max, b.u32_max)
        b.u32_min = max(a.u32_min, b.u32_min)
    elif op == "jlt":
        a.u32_max = min(a.u32_max, (b.u32_max - 1) & M32)
        b.u32_min = max((a.u32_min + 1) & M32, b.u32_min)
    elif op == "jsle":
        a.s32_max = min(a.s32_max, b.s32_max)
        b.s32_min = max(a.s32_min, b.s32_min)
    elif op == "jslt":
        a.s32_max = min(a.s32_max, b.s32_max - 1)
        b.s32_min = max(a.s32_min + 1, b.s32_min)


def _refine_order64(op: str, a: Scalar, b: Scalar) -> None:
    from .tnum import M64

    if op == "jle":
        a.umax = min(a.umax, b.umax)
        b.umin = max(a.umin, b.umin)
    elif op == "jlt":
        a.umax = min(a.umax, (b.umax - 1) & M64)
        b.umin = max((a.umin + 1) & M64, b.umin)
    elif op == "jsle":
        a.smax = min(a.smax, b.smax)
        b.smin = max(a.smin, b.smin)
    elif op == "jslt":
        a.smax = min(a.smax, b.smax - 1)
        b.smin = max(a.smin + 1, b.smin)
