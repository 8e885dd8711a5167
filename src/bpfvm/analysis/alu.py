"""Transfer functions of the ALU instructions over :class:`~.scalar.Scalar` values.

``scalar_alu`` is the kernel's ``adjust_scalar_min_max_vals`` for two scalars (Linux 6.18,
``kernel/bpf/verifier.c``): add/sub/mul/and/or/xor are tracked in both widths at once, shifts
only by a known amount below the width, ``neg`` as ``0 - x``, and division and modulo give an
unknown value (the kernel does not track them).  A 32-bit operation zero-extends its result
(``zext_32_to_64``), and every result goes through ``reg_bounds_sync``.  ``scalar_end`` is the
byte-swap/truncate family (``le16/32/64``, ``be16/32/64``, ``bswap16/32/64``) on this
little-endian target.
"""

from __future__ import annotations

from .scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar, s32, s64
from .tnum import M32, M64, Tnum

__all__ = ["TRACKED_OPS", "safe_to_compute", "scalar_alu", "scalar_end", "tnum_bswap"]

#: Operations whose result bounds are computed (the others give an unknown scalar).
TRACKED_OPS = frozenset({"add", "sub", "neg", "mul", "and", "or", "xor", "lsh", "rsh", "arsh"})


def safe_to_compute(op: str, src: Scalar, bits: int) -> bool:
    """``is_safe_to_compute_dst_reg_range``: False where the kernel gives up and marks unknown."""
    if op not in TRACKED_OPS:
        return False
    if op in ("lsh", "rsh", "arsh"):
        if bits == 32:
            known = src.is_const32() and src.s32_min == src.s32_max and src.u32_min == src.u32_max
        else:
            known = src.is_const() and src.smin == src.smax and src.umin == src.umax
        return known and src.umax < bits
    return True


def scalar_alu(op: str, dst: Scalar, src: Scalar, bits: int) -> None:
    """Apply ``dst = dst <op> src`` (``bits`` 32 or 64) to ``dst`` in place; ``src`` is unchanged."""
    if not safe_to_compute(op, src, bits):
        dst.assign(Scalar.unknown())
        return
    alu32 = bits == 32
    if op == "neg":
        old = dst.copy()
        dst.set_known(0)
        _add_sub32(dst, old, sub=True)
        _add_sub64(dst, old, sub=True)
        dst.var_off = old.var_off.neg()
    elif op in ("add", "sub"):
        _add_sub32(dst, src, sub=op == "sub")
        _add_sub64(dst, src, sub=op == "sub")
        dst.var_off = dst.var_off.add(src.var_off) if op == "add" else dst.var_off.sub(src.var_off)
    elif op == "mul":
        dst.var_off = dst.var_off.mul(src.var_off)
        _mul32(dst, src)
        _mul64(dst, src)
    elif op in ("and", "or", "xor"):
        dst.var_off = getattr(dst.var_off, op if op == "xor" else op + "_")(src.var_off)
        _bitwise32(dst, src, op)
        _bitwise64(dst, src, op)
    elif op == "lsh":
        _lsh32(dst, src) if alu32 else _lsh64(dst, src)
    elif op == "rsh":
        _rsh32(dst, src) if alu32 else _rsh64(dst, src)
    else:  # arsh
        _arsh32(dst, src) if alu32 else _arsh64(dst, src)
    if alu32:
        dst.zext_32_to_64()
    dst.sync()


# -- add / sub -------------------------------------------------------------------------------
def _add_sub32(dst: Scalar, src: Scalar, *, sub: bool) -> None:
    if sub:
        lo, hi = dst.s32_min - src.s32_max, dst.s32_max - src.s32_min
        ulo, uhi = dst.u32_min - src.u32_max, dst.u32_max - src.u32_min
        bad = ulo < 0 and uhi >= 0
    else:
        lo, hi = dst.s32_min + src.s32_min, dst.s32_max + src.s32_max
        ulo, uhi = dst.u32_min + src.u32_min, dst.u32_max + src.u32_max
        bad = ulo <= M32 < uhi
    if S32_MIN <= lo <= S32_MAX and S32_MIN <= hi <= S32_MAX:
        dst.s32_min, dst.s32_max = lo, hi
    else:
        dst.s32_min, dst.s32_max = S32_MIN, S32_MAX
    if bad:
        dst.u32_min, dst.u32_max = 0, M32
    else:
        dst.u32_min, dst.u32_max = ulo & M32, uhi & M32


def _add_sub64(dst: Scalar, src: Scalar, *, sub: bool) -> None:
    if sub:
        lo, hi = dst.smin - src.smax, dst.smax - src.smin
        ulo, uhi = dst.umin - src.umax, dst.umax - src.umin
        bad = ulo < 0 and uhi >= 0
    else:
        lo, hi = dst.smin + src.smin, dst.smax + src.smax
        ulo, uhi = dst.umin + src.umin, dst.umax + src.umax
        bad = ulo <= M64 < uhi
    if S64_MIN <= lo <= S64_MAX and S64_MIN <= hi <= S64_MAX:
        dst.smin, dst.smax = lo, hi
    else:
        dst.smin, dst.smax = S64_MIN, S64_MAX
    if bad:
        dst.umin, dst.umax = 0, M64
    else:
        dst.umin, dst.umax = ulo & M64, uhi & M64


# -- mul -----------------------------------------------------------------------------------------
def _mul32(dst: Scalar, src: Scalar) -> None:
    umax, umin = dst.u32_max * src.u32_max, dst.u32_min * src.u32_min
    if umax > M32 or umin > M32:
        dst.u32_min, dst.u32_max = 0, M32
    else:
        dst.u32_min, dst.u32_max = umin, umax
    prods = [a * b for a in (dst.s32_min, dst.s32_max) for b in (src.s32_min, src.s32_max)]
    if all(S32_MIN <= p <= S32_MAX for p in prods):
        dst.s32_min, dst.s32_max = min(prods), max(prods)
    else:
        dst.s32_min, dst.s32_max = S32_MIN, S32_MAX


def _mul64(dst: Scalar, src: Scalar) -> None:
    umax, umin = dst.umax * src.umax, dst.umin * src.umin
    if umax > M64 or umin > M64:
        dst.umin, dst.umax = 0, M64
    else:
        dst.umin, dst.umax = umin, umax
    prods = [a * b for a in (dst.smin, dst.smax) for b in (src.smin, src.smax)]
    if all(S64_MIN <= p <= S64_MAX for p in prods):
        dst.smin, dst.smax = min(prods), max(prods)
    else:
        dst.smin, dst.smax = S64_MIN, S64_MAX


# -- and / or / xor ------------------------------------------------------------------------------
def _bitwise32(dst: Scalar, src: Scalar, op: str) -> None:
    v = dst.var_off.subreg()
    if src.is_const32() and dst.is_const32():
        dst.mark_known32(v.value)
        return
    if op == "and":
        dst.u32_min, dst.u32_max = v.value, min(dst.u32_max, src.u32_max)
    elif op == "or":
        dst.u32_min, dst.u32_max = max(dst.u32_min, src.u32_min), v.value | v.mask
    else:
        dst.u32_min, dst.u32_max = v.value, v.value | v.mask
    if s32(dst.u32_min) <= s32(dst.u32_max):
        dst.s32_min, dst.s32_max = s32(dst.u32_min), s32(dst.u32_max)
    else:
        dst.s32_min, dst.s32_max = S32_MIN, S32_MAX


def _bitwise64(dst: Scalar, src: Scalar, op: str) -> None:
    v = dst.var_off
    if src.is_const() and dst.is_const():
        dst.set_known(v.value)
        return
    if op == "and":
        dst.umin, dst.umax = v.value, min(dst.umax, src.umax)
    elif op == "or":
        dst.umin, dst.umax = max(dst.umin, src.umin), v.value | v.mask
    else:
        dst.umin, dst.umax = v.value, v.value | v.mask
    if s64(dst.umin) <= s64(dst.umax):
        dst.smin, dst.smax = s64(dst.umin), s64(dst.umax)
    else:
        dst.smin, dst.smax = S64_MIN, S64_MAX
    dst.update_bounds()


# -- shifts --------------------------------------------------------------------------------------
def _lsh32_bounds(dst: Scalar, umin: int, umax: int) -> None:
    dst.s32_min, dst.s32_max = S32_MIN, S32_MAX
    if umax > 31 or dst.u32_max > 1 << (31 - umax):
        dst.u32_min, dst.u32_max = 0, M32
    else:
        dst.u32_min, dst.u32_max = (dst.u32_min << umin) & M32, (dst.u32_max << umax) & M32


def _lsh32(dst: Scalar, src: Scalar) -> None:
    sub = dst.var_off.subreg()
    _lsh32_bounds(dst, src.u32_min, src.u32_max)
    dst.var_off = sub.lshift(src.u32_min).subreg()
    dst.mark64_unbounded()
    dst.update_bounds32()


def _lsh64(dst: Scalar, src: Scalar) -> None:
    umin, umax = src.umin, src.umax
    exact32 = umin == 32 and umax == 32
    dst.smax = dst.s32_max << 32 if exact32 and dst.s32_max >= 0 else S64_MAX
    dst.smin = dst.s32_min << 32 if exact32 and dst.s32_min >= 0 else S64_MIN
    if dst.umax > 1 << (63 - umax):
        dst.umin, dst.umax = 0, M64
    else:
        dst.umin, dst.umax = (dst.umin << umin) & M64, (dst.umax << umax) & M64
    _lsh32_bounds(dst, umin, umax)
    dst.var_off = dst.var_off.lshift(umin)
    dst.update_bounds()


def _rsh32(dst: Scalar, src: Scalar) -> None:
    sub = dst.var_off.subreg()
    umin, umax = src.u32_min, src.u32_max
    dst.s32_min, dst.s32_max = S32_MIN, S32_MAX
    dst.var_off = sub.rshift(umin)
    dst.u32_min >>= umax
    dst.u32_max >>= umin
    dst.mark64_unbounded()
    dst.update_bounds32()


def _rsh64(dst: Scalar, src: Scalar) -> None:
    umin, umax = src.umin, src.umax
    dst.smin, dst.smax = S64_MIN, S64_MAX
    dst.var_off = dst.var_off.rshift(umin)
    dst.umin >>= umax
    dst.umax >>= umin
    dst.mark32_unbounded()
    dst.update_bounds()


def _arsh32(dst: Scalar, src: Scalar) -> None:
    n = src.u32_min
    dst.s32_min >>= n
    dst.s32_max >>= n
    dst.var_off = dst.var_off.subreg().arshift(n, 32)
    dst.u32_min, dst.u32_max = 0, M32
    dst.mark64_unbounded()
    dst.update_bounds32()


def _arsh64(dst: Scalar, src: Scalar) -> None:
    n = src.umin
    dst.smin >>= n
    dst.smax >>= n
    dst.var_off = dst.var_off.arshift(n, 64)
    dst.umin, dst.umax = 0, M64
    dst.mark32_unbounded()
    dst.update_bounds()


# -- byte swaps ----------------------------------------------------------------------------------
def tnum_bswap(t: Tnum, size: int) -> Tnum:
    """The tnum of the low ``size`` bytes of ``t`` in reversed byte order."""

    def swap(x: int) -> int:
        return int.from_bytes((x & ((1 << (size * 8)) - 1)).to_bytes(size, "little"), "big")

    return Tnum(swap(t.value), swap(t.mask))


def scalar_end(dst: Scalar, op: str) -> None:
    """Apply ``le16/32/64``, ``be16/32/64`` or ``bswap16/32/64`` to ``dst`` in place (little-endian host)."""
    size = int(op[-2:]) // 8 if op[-2:] in ("16", "32", "64") else 2
    if op.startswith("le"):
        if size < 8:
            dst.coerce_to_size(size)
        return
    else:
        dst.var_off = tnum_bswap(dst.var_off, size)
    dst.mark_unbounded()
    dst.sync()
