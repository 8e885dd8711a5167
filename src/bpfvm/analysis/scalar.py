"""Scalar range analysis: a tnum plus signed/unsigned 64- and 32-bit bounds, as the kernel keeps them.

:class:`Scalar` is the numeric part of the kernel's ``struct bpf_reg_state`` — ``var_off``,
``smin/smax/umin/umax`` and their 32-bit (subregister) counterparts — with the transfer
functions of ``kernel/bpf/verifier.c`` (Linux 6.18): ``adjust_scalar_min_max_vals`` and its
``scalar{,32}_min_max_*`` helpers, ``zext_32_to_64``, the sign-extending moves and loads
(``coerce_reg_to_size_sx``), byte swaps, and ``reg_bounds_sync`` (``__update_reg_bounds``,
``__reg_deduce_bounds``, ``__reg_bound_offset``).  The branch refinement of conditional jumps
lives in :mod:`.branch`.

The analysis is engine-neutral: the verifier walks programs with it, and the JIT may ask
whether an access offset stays in bounds.  Every operation is sound: each concrete value of
the operands yields a result that :meth:`Scalar.contains`.  Values are kept as Python ints:
unsigned fields in ``[0, 2**64)`` (``[0, 2**32)``), signed fields in two's-complement range.

A :class:`Scalar` is mutable like the kernel's register state (the verifier updates states in
place and copies them when paths fork); :meth:`Scalar.copy` duplicates one.
"""

from __future__ import annotations

from .tnum import M32, M64, UNKNOWN, Tnum, const, trange

__all__ = ["S32_MAX", "S32_MIN", "S64_MAX", "S64_MIN", "Scalar", "s32", "s64"]

S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1
S32_MIN, S32_MAX = -(1 << 31), (1 << 31) - 1


def s64(x: int) -> int:
    """The low 64 bits of ``x`` as a signed value."""
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def s32(x: int) -> int:
    """The low 32 bits of ``x`` as a signed value."""
    x &= M32
    return x - (1 << 32) if x >> 31 else x


def _sext(x: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return ((x & ((1 << bits) - 1)) ^ sign) - sign


class Scalar:
    """The abstract value of a scalar register: known bits and four pairs of bounds."""

    __slots__ = ("var_off", "smin", "smax", "umin", "umax", "s32_min", "s32_max", "u32_min", "u32_max")

    def __init__(
        self,
        var_off: Tnum = UNKNOWN,
        smin: int = S64_MIN,
        smax: int = S64_MAX,
        umin: int = 0,
        umax: int = M64,
        s32_min: int = S32_MIN,
        s32_max: int = S32_MAX,
        u32_min: int = 0,
        u32_max: int = M32,
    ) -> None:
        self.var_off = var_off
        self.smin, self.smax, self.umin, self.umax = smin, smax, umin, umax
        self.s32_min, self.s32_max, self.u32_min, self.u32_max = s32_min, s32_max, u32_min, u32_max

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def unknown(cls) -> Scalar:
        """Any 64-bit value (``__mark_reg_unknown``)."""
        return cls()

    @classmethod
    def known(cls, value: int) -> Scalar:
        """Exactly ``value`` (``__mark_reg_known``), taken modulo 2**64."""
        v = value & M64
        return cls(const(v), s64(v), s64(v), v, v, s32(v), s32(v), v & M32, v & M32)

    @classmethod
    def urange(cls, lo: int, hi: int) -> Scalar:
        """Any unsigned value in ``lo..hi`` (a convenience for callers and tests)."""
        reg = cls(trange(lo, hi), umin=lo, umax=hi)
        reg.sync()
        return reg

    def copy(self) -> Scalar:
        """An independent copy."""
        return Scalar(
            self.var_off,
            self.smin,
            self.smax,
            self.umin,
            self.umax,
            self.s32_min,
            self.s32_max,
            self.u32_min,
            self.u32_max,
        )

    def fields(self) -> tuple[Tnum, int, int, int, int, int, int, int, int]:
        """All nine fields, for comparison and hashing."""
        return (
            self.var_off,
            self.smin,
            self.smax,
            self.umin,
            self.umax,
            self.s32_min,
            self.s32_max,
            self.u32_min,
            self.u32_max,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return (
            self.var_off == other.var_off
            and self.umin == other.umin
            and self.umax == other.umax
            and self.smin == other.smin
            and self.smax == other.smax
            and self.u32_min == other.u32_min
            and self.u32_max == other.u32_max
            and self.s32_min == other.s32_min
            and self.s32_max == other.s32_max
        )

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        return (
            f"Scalar(var_off={self.var_off}, s=[{self.smin}, {self.smax}], u=[{self.umin:#x}, "
            f"{self.umax:#x}], s32=[{self.s32_min}, {self.s32_max}], u32=[{self.u32_min:#x}, "
            f"{self.u32_max:#x}])"
        )

    # -- queries ---------------------------------------------------------------------------
    def is_const(self) -> bool:
        """True if the value is one known 64-bit number."""
        return self.var_off.mask == 0

    def is_const32(self) -> bool:
        """True if the low 32 bits are known (``tnum_subreg_is_const``)."""
        return not self.var_off.mask & M32

    @property
    def value(self) -> int:
        """The known bits (the value itself when :meth:`is_const`)."""
        return self.var_off.value

    def contains(self, x: int) -> bool:
        """True if the concrete 64-bit value ``x`` is one this abstract value allows."""
        x &= M64
        lo = x & M32
        return (
            self.var_off.contains(x)
            and self.umin <= x <= self.umax
            and self.smin <= s64(x) <= self.smax
            and self.u32_min <= lo <= self.u32_max
            and self.s32_min <= s32(lo) <= self.s32_max
        )

    def is_bottom(self) -> bool:
        """True if the bounds contradict each other (no value fits: the path is impossible)."""
        return (
            self.umin > self.umax
            or self.smin > self.smax
            or self.u32_min > self.u32_max
            or self.s32_min > self.s32_max
        )

    def width(self) -> int:
        """``get_reg_width``: how many low bits the largest unsigned value needs."""
        return self.umax.bit_length()

    # -- bounds bookkeeping (reg_bounds_sync and friends) ------------------------------------
    def mark_unbounded(self) -> None:
        """``__mark_reg_unbounded``: forget the bounds, keep ``var_off``."""
        self.mark64_unbounded()
        self.mark32_unbounded()

    def mark64_unbounded(self) -> None:
        """``__mark_reg64_unbounded``."""
        self.smin, self.smax, self.umin, self.umax = S64_MIN, S64_MAX, 0, M64

    def mark32_unbounded(self) -> None:
        """``__mark_reg32_unbounded``."""
        self.s32_min, self.s32_max, self.u32_min, self.u32_max = S32_MIN, S32_MAX, 0, M32

    def mark_known32(self, value: int) -> None:
        """``__mark_reg32_known``: the low 32 bits are ``value``."""
        v = value & M32
        self.var_off = self.var_off.with_subreg(const(v))
        self.s32_min = self.s32_max = s32(v)
        self.u32_min = self.u32_max = v

    def set_known(self, value: int) -> None:
        """``__mark_reg_known`` in place."""
        k = Scalar.known(value)
        self.assign(k)

    def assign(self, other: Scalar) -> None:
        """Copy every field of ``other`` into ``self``."""
        (
            self.var_off,
            self.smin,
            self.smax,
            self.umin,
            self.umax,
            self.s32_min,
            self.s32_max,
            self.u32_min,
            self.u32_max,
        ) = other.fields()

    def update_bounds32(self) -> None:
        """``__update_reg32_bounds``: learn 32-bit bounds from the low half of ``var_off``."""
        v = self.var_off.subreg()
        self.s32_min = max(self.s32_min, s32(v.value | (v.mask & 0x80000000)))
        self.s32_max = min(self.s32_max, s32(v.value | (v.mask & 0x7FFFFFFF)))
        self.u32_min = max(self.u32_min, v.value)
        self.u32_max = min(self.u32_max, v.value | v.mask)

    def update_bounds64(self) -> None:
        """``__update_reg64_bounds``: learn 64-bit bounds from ``var_off``."""
        v = self.var_off
        self.smin = max(self.smin, s64(v.value | (v.mask & (1 << 63))))
        self.smax = min(self.smax, s64(v.value | (v.mask & S64_MAX)))
        self.umin = max(self.umin, v.value)
        self.umax = min(self.umax, v.value | v.mask)

    def update_bounds(self) -> None:
        """``__update_reg_bounds``."""
        self.update_bounds32()
        self.update_bounds64()

    def _deduce32(self) -> None:
        """``__reg32_deduce_bounds``: 32-bit bounds from 64-bit ones and signed/unsigned agreement."""
        if self.umin >> 32 == self.umax >> 32:
            self.u32_min = max(self.u32_min, self.umin & M32)
            self.u32_max = min(self.u32_max, self.umax & M32)
            if s32(self.umin) <= s32(self.umax):
                self.s32_min = max(self.s32_min, s32(self.umin))
                self.s32_max = min(self.s32_max, s32(self.umax))
        if self.smin >> 32 == self.smax >> 32:
            self.u32_min = max(self.u32_min, self.smin & M32)
            self.u32_max = min(self.u32_max, self.smax & M32)
            if s32(self.smin) <= s32(self.smax):
                self.s32_min = max(self.s32_min, s32(self.smin))
                self.s32_max = min(self.s32_max, s32(self.smax))
        if (((self.umin >> 32) + 1) & M32) == (self.umax >> 32) and s32(self.umin) < 0 <= s32(self.umax):
            self.s32_min = max(self.s32_min, s32(self.umin))
            self.s32_max = min(self.s32_max, s32(self.umax))
        if ((((self.smin >> 32) & M32) + 1) & M32) == ((self.smax >> 32) & M32) and s32(self.smin) < 0 <= s32(
            self.smax
        ):
            self.s32_min = max(self.s32_min, s32(self.smin))
            self.s32_max = min(self.s32_max, s32(self.smax))
        if s32(self.u32_min) <= s32(self.u32_max):
            self.s32_min = max(self.s32_min, s32(self.u32_min))
            self.s32_max = min(self.s32_max, s32(self.u32_max))
        if (self.s32_min & M32) <= (self.s32_max & M32):
            self.u32_min = max(self.u32_min, self.s32_min & M32)
            self.u32_max = min(self.u32_max, self.s32_max & M32)
        elif self.u32_max < (self.s32_min & M32):
            self.s32_min = s32(self.u32_min)
            self.u32_max = min(self.u32_max, self.s32_max & M32)
        elif (self.s32_max & M32) < self.u32_min:
            self.s32_max = s32(self.u32_max)
            self.u32_min = max(self.u32_min, self.s32_min & M32)

    def _deduce64(self) -> None:
        """``__reg64_deduce_bounds``: signed and unsigned 64-bit bounds inform each other."""
        if s64(self.umin) <= s64(self.umax):
            self.smin = max(self.smin, s64(self.umin))
            self.smax = min(self.smax, s64(self.umax))
        if (self.smin & M64) <= (self.smax & M64):
            self.umin = max(self.umin, self.smin & M64)
            self.umax = min(self.umax, self.smax & M64)
        elif self.umax < (self.smin & M64):
            self.smin = s64(self.umin)
            self.umax = min(self.umax, self.smax & M64)
        elif (self.smax & M64) < self.umin:
            self.smax = s64(self.umax)
            self.umin = max(self.umin, self.smin & M64)

    def _deduce_mixed(self) -> None:
        """``__reg_deduce_mixed_bounds``: tighten 64-bit bounds with the 32-bit ones."""
        hi = ~M32 & M64
        self.umin = max(self.umin, (self.umin & hi) | self.u32_min)
        self.umax = min(self.umax, (self.umax & hi) | self.u32_max)
        self.smin = max(self.smin, s64((self.smin & hi) | self.u32_min))
        self.smax = min(self.smax, s64((self.smax & hi) | self.u32_max))
        if self.s32_min >= 0 and self.smin >= S32_MIN and self.smax <= S32_MAX:
            self.smin, self.smax = self.s32_min, self.s32_max
            self.umin, self.umax = self.s32_min, self.s32_max
            self.var_off = self.var_off.intersect(trange(self.smin, self.smax))

    def deduce_bounds(self) -> None:
        """``__reg_deduce_bounds``."""
        self._deduce32()
        self._deduce64()
        self._deduce_mixed()

    def bound_offset(self) -> None:
        """``__reg_bound_offset``: learn known bits from the unsigned bounds."""
        v64 = self.var_off.intersect(trange(self.umin, self.umax))
        v32 = v64.subreg().intersect(trange(self.u32_min, self.u32_max))
        self.var_off = v64.clear_subreg().or_(v32)

    def sync(self) -> None:
        """``reg_bounds_sync``: make the tnum and the eight bounds agree as far as they can."""
        self.update_bounds()
        self.deduce_bounds()
        self.deduce_bounds()
        self.bound_offset()
        self.update_bounds()

    # -- width changes ---------------------------------------------------------------------
    def zext_32_to_64(self) -> None:
        """``zext_32_to_64``: the result of a 32-bit operation, zero-extended."""
        self.var_off = self.var_off.subreg()
        self.umin, self.umax = self.u32_min, self.u32_max
        if 0 <= self.s32_min and 0 <= self.s32_max:
            self.smin, self.smax = self.s32_min, self.s32_max
        else:
            self.smin, self.smax = 0, M32

    def coerce_to_size(self, size: int) -> None:
        """``coerce_reg_to_size``: keep the low ``size`` bytes (a narrow load or truncation)."""
        self.var_off = self.var_off.cast(size)
        mask = (1 << (size * 8)) - 1
        if (self.umin & ~mask) == (self.umax & ~mask):
            self.umin &= mask
            self.umax &= mask
        else:
            self.umin, self.umax = 0, mask
        self.smin, self.smax = self.umin, self.umax
        if size < 4:
            self.mark32_unbounded()
        self.sync()

    def coerce_to_size_sx(self, size: int) -> None:
        """``coerce_reg_to_size_sx``: sign-extend the low ``size`` bytes to 64 bits."""
        bits = size * 8
        if self.is_const():
            v = _sext(self.var_off.value, bits)
            self.set_known(v)
            return
        if size == 4:  # the low half's signed bounds are exactly the result's
            lo, hi = self.s32_min, self.s32_max
            sub = self.var_off.subreg()
            self.var_off = UNKNOWN if sub.mask >> 31 else Tnum(_sext(sub.value, 32) & M64, sub.mask)
            self.mark_unbounded()
            self.smin, self.smax, self.s32_min, self.s32_max = lo, hi, lo, hi
            self.sync()
            return
        if (self.smax & M64) >> bits == (self.smin & M64) >> bits:
            a, b = _sext(self.smax, bits), _sext(self.smin, bits)
            hi, lo = max(a, b), min(a, b)
            if (hi >= 0) == (lo >= 0):
                self.smin, self.smax = lo, hi
                self.s32_min, self.s32_max = s32(lo), s32(hi)
                self.umin, self.umax = lo & M64, hi & M64
                self.u32_min, self.u32_max = lo & M32, hi & M32
                self.var_off = trange(lo & M64, hi & M64)
                return
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        self.smin = self.s32_min = lo
        self.smax = self.s32_max = hi
        self.umin = self.u32_min = 0
        self.umax, self.u32_max = M64, M32
        self.var_off = UNKNOWN

    def coerce_subreg_to_size_sx(self, size: int) -> None:
        """``coerce_subreg_to_size_sx``: sign-extend the low ``size`` bytes to 32 bits."""
        bits = size * 8
        if self.is_const():
            v = _sext(self.var_off.value, bits)
            self.var_off = const(v)
            self.s32_min = self.s32_max = s32(v)
            self.u32_min = self.u32_max = v & M32
            return
        if (self.s32_max & M32) >> bits == (self.s32_min & M32) >> bits:
            a, b = _sext(self.s32_max, bits), _sext(self.s32_min, bits)
            hi, lo = max(a, b), min(a, b)
            if (lo >= 0) == (hi >= 0):
                self.s32_min, self.s32_max = lo, hi
                self.u32_min, self.u32_max = lo & M32, hi & M32
                self.var_off = trange(lo & M64, hi & M64).subreg()
                return
        self.s32_min, self.s32_max = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        self.u32_min, self.u32_max = 0, M32
        self.var_off = Tnum(0, M32)
