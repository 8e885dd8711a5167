"""Tristate numbers: the kernel verifier's known-bits abstraction of a 64-bit value.

A :class:`Tnum` ``(value, mask)`` stands for every 64-bit integer ``x`` with
``x & ~mask == value``: bits set in ``mask`` are unknown, the others are the bits of
``value`` (and ``value & mask == 0``).  The operations follow ``kernel/bpf/tnum.c`` of
Linux 6.18 bit for bit, so that bpfvm's verifier reaches the kernel's ``var_off`` for the
same program; each is sound: for concrete ``a`` in ``A`` and ``b`` in ``B``, ``a op b`` is in
``tnum_op(A, B)`` (tested with hypothesis in ``tests/analysis``).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["M32", "M64", "Tnum", "UNKNOWN", "const", "trange"]

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


class Tnum(NamedTuple):
    """Known bits of a 64-bit value: ``value`` holds the known ones, ``mask`` the unknown bits."""

    value: int
    mask: int

    # -- predicates ------------------------------------------------------------------------
    def is_const(self) -> bool:
        """True if every bit is known (the tnum is one value)."""
        return self.mask == 0

    def is_unknown(self) -> bool:
        """True if no bit is known."""
        return self.mask == M64

    def contains(self, x: int) -> bool:
        """True if the concrete 64-bit value ``x`` is one of the values this tnum stands for."""
        return (x & ~self.mask & M64) == self.value

    def includes(self, other: Tnum) -> bool:
        """``tnum_in``: True if every value of ``other`` is a value of ``self``."""
        if other.mask & ~self.mask:
            return False
        return self.value == other.value & ~self.mask

    def overlaps(self, other: Tnum) -> bool:
        """``tnum_overlap``: True if some value belongs to both tnums (their known bits agree)."""
        known = ~self.mask & ~other.mask & M64
        return (self.value & known) == (other.value & known)

    def is_aligned(self, size: int) -> bool:
        """``tnum_is_aligned``: every value is a multiple of ``size`` (a power of two)."""
        if not size:
            return True
        return not ((self.value | self.mask) & (size - 1))

    def max_le(self, x: int) -> int | None:
        """The largest value of this tnum that is <= ``x`` (None if there is none)."""
        cur = self.value
        if cur > x:
            return None
        bit = 1 << 63
        while bit:
            if self.mask & bit and cur | bit <= x:
                cur |= bit
            bit >>= 1
        return cur

    def min_ge(self, x: int) -> int | None:
        """The smallest value of this tnum that is >= ``x`` (None if there is none)."""
        flipped = Tnum(~self.value & ~self.mask & M64, self.mask).max_le(~x & M64)
        return None if flipped is None else ~flipped & M64

    def umin(self) -> int:
        """The smallest unsigned value."""
        return self.value

    def umax(self) -> int:
        """The largest unsigned value."""
        return self.value | self.mask

    # -- arithmetic ------------------------------------------------------------------------
    def add(self, b: Tnum) -> Tnum:
        """``tnum_add``."""
        sm = (self.mask + b.mask) & M64
        sv = (self.value + b.value) & M64
        sigma = (sm + sv) & M64
        chi = sigma ^ sv
        mu = chi | self.mask | b.mask
        return Tnum(sv & ~mu & M64, mu)

    def sub(self, b: Tnum) -> Tnum:
        """``tnum_sub``."""
        dv = (self.value - b.value) & M64
        alpha = (dv + self.mask) & M64
        beta = (dv - b.mask) & M64
        chi = alpha ^ beta
        mu = chi | self.mask | b.mask
        return Tnum(dv & ~mu & M64, mu)

    def neg(self) -> Tnum:
        """``tnum_neg``: 0 - self."""
        return Tnum(0, 0).sub(self)

    def and_(self, b: Tnum) -> Tnum:
        """``tnum_and``."""
        alpha = self.value | self.mask
        beta = b.value | b.mask
        v = self.value & b.value
        return Tnum(v, alpha & beta & ~v & M64)

    def or_(self, b: Tnum) -> Tnum:
        """``tnum_or``."""
        v = self.value | b.value
        mu = self.mask | b.mask
        return Tnum(v, mu & ~v & M64)

    def xor(self, b: Tnum) -> Tnum:
        """``tnum_xor``."""
        v = self.value ^ b.value
        mu = self.mask | b.mask
        return Tnum(v & ~mu & M64, mu)

    def mul(self, b: Tnum) -> Tnum:
        """``tnum_mul``: shift-and-add over the bits of ``self``, a union where a bit is unknown."""
        a, acc = self, Tnum(0, 0)
        while a.value or a.mask:
            if a.value & 1:
                acc = acc.add(b)
            elif a.mask & 1:
                acc = acc.union(acc.add(b))
            a = a.rshift(1)
            b = b.lshift(1)
        return acc

    def lshift(self, shift: int) -> Tnum:
        """``tnum_lshift`` (64-bit)."""
        return Tnum((self.value << shift) & M64, (self.mask << shift) & M64)

    def rshift(self, shift: int) -> Tnum:
        """``tnum_rshift`` (logical, 64-bit)."""
        return Tnum(self.value >> shift, self.mask >> shift)

    def arshift(self, shift: int, bits: int) -> Tnum:
        """``tnum_arshift``: arithmetic shift of the low ``bits`` (32 or 64) bits, result in ``bits``."""
        width = (1 << bits) - 1
        return Tnum((_sext(self.value, bits) >> shift) & width, (_sext(self.mask, bits) >> shift) & width)

    # -- lattice ---------------------------------------------------------------------------
    def intersect(self, b: Tnum) -> Tnum:
        """``tnum_intersect``: the values known to both (meet)."""
        v = self.value | b.value
        mu = self.mask & b.mask
        return Tnum(v & ~mu & M64, mu)

    def union(self, b: Tnum) -> Tnum:
        """``tnum_union``: a tnum holding the values of both (join)."""
        v = self.value & b.value
        mu = (self.value ^ b.value) | self.mask | b.mask
        return Tnum(v & ~mu & M64, mu)

    # -- width -----------------------------------------------------------------------------
    def cast(self, size: int) -> Tnum:
        """``tnum_cast``: keep the low ``size`` bytes."""
        keep = (1 << (size * 8)) - 1
        return Tnum(self.value & keep, self.mask & keep)

    def subreg(self) -> Tnum:
        """``tnum_subreg``: the low 32 bits."""
        return Tnum(self.value & M32, self.mask & M32)

    def clear_subreg(self) -> Tnum:
        """``tnum_clear_subreg``: the high 32 bits, low half known zero."""
        return Tnum(self.value & ~M32 & M64, self.mask & ~M32 & M64)

    def with_subreg(self, sub: Tnum) -> Tnum:
        """``tnum_with_subreg``: high half of ``self``, low half of ``sub``."""
        return self.clear_subreg().or_(sub.subreg())

    def subreg_is_const(self) -> bool:
        """True if the low 32 bits are all known."""
        return not self.mask & M32

    def __str__(self) -> str:
        """The kernel's ``tnum_strn`` form: ``(0x...; 0x...)``."""
        return f"({self.value:#x}; {self.mask:#x})"


UNKNOWN = Tnum(0, M64)


def const(value: int) -> Tnum:
    """``tnum_const``: exactly ``value`` (taken modulo 2**64)."""
    return Tnum(value & M64, 0)


def trange(lo: int, hi: int) -> Tnum:
    """``tnum_range``: the smallest tnum of the common high bits of unsigned ``lo..hi``."""
    chi = lo ^ hi
    bits = chi.bit_length()
    if bits > 63:
        return UNKNOWN
    delta = (1 << bits) - 1
    return Tnum(lo & ~delta & M64, delta)


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return ((value & ((1 << bits) - 1)) ^ sign) - sign
