"""IEEE-754 arithmetic for C's ``float`` and ``double``, as intrinsics on bit patterns.

:mod:`bpfvm.cc.legalize` rewrites every floating-point operation of a C program into a call of one
of these functions: a ``double`` travels as its 64-bit pattern, a ``float`` as its 32-bit pattern
in the low half of the register.  ``__bpfvm_<op>_f64`` computes with Python floats (IEEE binary64,
round to nearest even, on the host FPU); ``__bpfvm_<op>_f32`` rounds to binary32 after the
operation, which gives the correctly rounded single-precision result for ``+ - * / sqrt`` and
``fmod``.  Behaviour matches an x86-64 build where C leaves it to the machine:

* an invalid operation (``0/0``, ``inf - inf``, ``sqrt(-1)``) gives x86's default NaN,
  ``0xFFF8000000000000`` (printed ``-nan``); NaN operands propagate (the first one);
* ``fptosi`` out of range (or NaN) gives ``cvttsd2si``'s "integer indefinite": INT_MIN of the
  32- or 64-bit conversion (narrower results are truncated from the 32-bit one);
* ``fptoui`` to 32 bits or less truncates the 64-bit signed conversion; to 64 bits, values in
  [2^63, 2^64) convert exactly and others as ``fptosi`` does;
* ``llvm.fmuladd`` is not fused (x86-64 gcc does not contract without ``-mfma``); ``llvm.fma``
  is fused (exact product and sum, rounded once; for ``float``, rounded via double).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from fractions import Fraction

from .state import export

__all__ = ["DEFAULT_NAN", "bits32", "bits64", "f32", "f64", "fp_binary", "fp_unary", "round_f32"]

_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1
#: x86's default NaN (the result of an invalid operation), negative and quiet.
DEFAULT_NAN: float = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0]
_INF = math.inf

Unary = Callable[[float], float]
Binary = Callable[[float, float], float]


def f64(bits: int) -> float:
    """The double whose bit pattern is the low 64 bits of ``bits``."""
    return float(struct.unpack("<d", struct.pack("<Q", bits & _M64))[0])


def bits64(value: float) -> int:
    """The bit pattern of a double."""
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def f32(bits: int) -> float:
    """The float whose bit pattern is the low 32 bits of ``bits`` (exactly, as a double)."""
    return float(struct.unpack("<f", struct.pack("<I", bits & _M32))[0])


def bits32(value: float) -> int:
    """The bit pattern of ``value`` rounded to float (nearest even; overflow gives infinity)."""
    try:
        return int(struct.unpack("<I", struct.pack("<f", value))[0])
    except OverflowError:  # CPython refuses only when the rounded value is infinite
        return 0xFF800000 if value < 0 else 0x7F800000


def round_f32(value: float) -> float:
    """``value`` rounded to single precision."""
    return f32(bits32(value))


def _nan_of(*values: float) -> float | None:
    """The first NaN operand (x86 propagates it), else None."""
    return next((v for v in values if v != v), None)


def _first_nan(op: Binary) -> Binary:
    """``op`` with x86's NaN rule made explicit: the first NaN operand, quieted.  (CPython's
    ``a + b`` and ``a * b`` may give either NaN operand to the FPU first — its specialised and
    generic paths differ — so the hardware's choice is not deterministic from Python.)  An
    invalid operation without NaN operands (``inf - inf``, ``0 * inf``) gives x86's default NaN
    on every host: AArch64's FPU would make it positive."""
    def apply(a: float, b: float) -> float:
        r = op(a, b)
        if r != r:
            nan = _nan_of(a, b)
            return DEFAULT_NAN if nan is None else f64(bits64(nan) | 1 << 51)
        return r
    return apply


_add = _first_nan(lambda a, b: a + b)
_sub = _first_nan(lambda a, b: a - b)
_mul = _first_nan(lambda a, b: a * b)


def _div(a: float, b: float) -> float:
    if b != 0 or a != a:
        return a / b if b != 0 else a
    if b != b:
        return b
    if a == 0:
        return DEFAULT_NAN
    return math.copysign(_INF, a) * math.copysign(1.0, b)


def _fmod(a: float, b: float) -> float:
    nan = _nan_of(a, b)
    if nan is not None:
        return nan
    if math.isinf(a) or b == 0:
        return DEFAULT_NAN
    return math.fmod(a, b)


def fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (C ``fma``)."""
    if math.isfinite(a) and math.isfinite(b) and math.isinf(c):
        return c  # the exact product is finite, even if a * b would overflow
    if not all(map(math.isfinite, (a, b, c))) or a == 0 or b == 0:
        return _add(_mul(a, b), c)
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return a * b + c  # the sign of an exact zero follows the rounded operation
    try:
        return float(exact)
    except OverflowError:
        return _INF if exact > 0 else -_INF  # (copysign would convert exact, overflowing again)


def _integral(fn: Callable[[float], int]) -> Unary:
    """floor/ceil/trunc as C has them: on doubles, keeping ±0, ±inf and NaN."""
    def apply(x: float) -> float:
        if not math.isfinite(x) or x == 0:
            return x
        return math.copysign(float(fn(x)), x)
    return apply


def _round_half_away(x: float) -> float:
    t = float(math.trunc(x))
    return t + math.copysign(1.0, x) if abs(x - t) >= 0.5 else t


def _round_even(x: float) -> float:
    return float(round(x))


def _fmin(a: float, b: float) -> float:
    """C ``fmin``: a NaN operand is ignored."""
    if a != a or b != b:
        return b if a != a else a
    return a if a < b or (a == b and math.copysign(1.0, a) < 0) else b


def _fmax(a: float, b: float) -> float:
    if a != a or b != b:
        return b if a != a else a
    return a if a > b or (a == b and math.copysign(1.0, a) > 0) else b


def _minimum(a: float, b: float) -> float:
    """IEEE 754-2019 ``minimum``: NaN propagates, -0 < +0."""
    nan = _nan_of(a, b)
    return _fmin(a, b) if nan is None else nan


def _maximum(a: float, b: float) -> float:
    """IEEE 754-2019 ``maximum``: NaN propagates, -0 < +0."""
    nan = _nan_of(a, b)
    return _fmax(a, b) if nan is None else nan


#: The FP arithmetic LLVM has instructions for: name → (function, arity).
ARITHMETIC: dict[str, tuple[Callable[..., float], int]] = {
    "fadd": (_add, 2),
    "fsub": (_sub, 2),
    "fmul": (_mul, 2),
    "fdiv": (_div, 2),
    "frem": (_fmod, 2),
    "fmuladd": (lambda a, b, c: _add(_mul(a, b), c), 3),
    "fma": (fma, 3),
    "minnum": (_fmin, 2),
    "maxnum": (_fmax, 2),
    "minimum": (_minimum, 2),
    "maximum": (_maximum, 2),
    "minimumnum": (_fmin, 2),
    "maximumnum": (_fmax, 2),
    "floor": (_integral(math.floor), 1),
    "ceil": (_integral(math.ceil), 1),
    "trunc": (_integral(math.trunc), 1),
    "round": (_integral(lambda x: int(_round_half_away(x))), 1),
    "roundeven": (_integral(lambda x: int(_round_even(x))), 1),
    "rint": (_integral(lambda x: int(_round_even(x))), 1),
    "nearbyint": (_integral(lambda x: int(_round_even(x))), 1),
}


def fp_unary(fn: Unary, single: bool) -> Callable[[int], int]:
    """An intrinsic applying ``fn`` to one double (``single``: one float) bit pattern."""
    if single:
        return lambda x: bits32(fn(f32(x)))
    return lambda x: bits64(fn(f64(x)))


def fp_binary(fn: Binary, single: bool) -> Callable[[int, int], int]:
    """An intrinsic applying ``fn`` to two double (``single``: float) bit patterns."""
    if single:
        return lambda a, b: bits32(fn(f32(a), f32(b)))
    return lambda a, b: bits64(fn(f64(a), f64(b)))


def _fp_ternary(fn: Callable[[float, float, float], float], single: bool) -> Callable[[int, int, int], int]:
    if single:
        return lambda a, b, c: bits32(fn(f32(a), f32(b), f32(c)))
    return lambda a, b, c: bits64(fn(f64(a), f64(b), f64(c)))


def _fmuladd_f32(a: int, b: int, c: int) -> int:
    """Unfused single precision: the product is rounded to float before the addition."""
    return bits32(_add(round_f32(_mul(f32(a), f32(b))), f32(c)))


def _register_arithmetic() -> None:
    makers = {1: fp_unary, 2: fp_binary, 3: _fp_ternary}
    for name, (fn, arity) in ARITHMETIC.items():
        export(f"__bpfvm_{name}_f64")(makers[arity](fn, False))  # type: ignore[operator]
        if name != "fmuladd":
            export(f"__bpfvm_{name}_f32")(makers[arity](fn, True))  # type: ignore[operator]
    export("__bpfvm_fmuladd_f32")(_fmuladd_f32)


_register_arithmetic()


# -- comparisons ----------------------------------------------------------------------------------

def _relation(a: float, b: float) -> int:
    """LLVM's predicate bit for how ``a`` relates to ``b``: 1 equal, 2 greater, 4 less, 8 unordered."""
    if a != a or b != b:
        return 8
    return 1 if a == b else 2 if a > b else 4


@export("__bpfvm_fcmp_f64")
def fcmp_f64(a: int, b: int, predicate: int) -> int:
    """``fcmp <predicate> double a, b`` (predicates numbered as in
    :data:`bpfvm.cc.legalize.FCMP_PREDICATES`): 1 or 0."""
    return 1 if predicate & _relation(f64(a), f64(b)) else 0


@export("__bpfvm_fcmp_f32")
def fcmp_f32(a: int, b: int, predicate: int) -> int:
    """``fcmp <predicate> float a, b``: 1 or 0."""
    return 1 if predicate & _relation(f32(a), f32(b)) else 0



# -- conversions ----------------------------------------------------------------------------------

def _signed(bits: int) -> int:
    bits &= _M64
    return bits - (1 << 64) if bits >> 63 else bits


def _int_to_f32(value: int) -> int:
    """``value`` rounded once to float (a sticky bit keeps the double step exact)."""
    shift = max(abs(value).bit_length() - 40, 0)
    if shift:
        sticky = 1 if abs(value) & ((1 << shift) - 1) else 0
        value = (abs(value) >> shift | sticky) * (1 if value > 0 else -1)
    return bits32(math.ldexp(float(value), shift))


@export("__bpfvm_sitofp_f64")
def sitofp_f64(value: int) -> int:
    """A signed 64-bit integer as a double (nearest even)."""
    return bits64(float(_signed(value)))


@export("__bpfvm_uitofp_f64")
def uitofp_f64(value: int) -> int:
    """An unsigned 64-bit integer as a double."""
    return bits64(float(value & _M64))


@export("__bpfvm_sitofp_f32")
def sitofp_f32(value: int) -> int:
    """A signed 64-bit integer as a float (rounded once)."""
    return _int_to_f32(_signed(value))


@export("__bpfvm_uitofp_f32")
def uitofp_f32(value: int) -> int:
    """An unsigned 64-bit integer as a float."""
    return _int_to_f32(value & _M64)


def _truncate(x: float, width: int) -> int:
    """x86 ``cvttsd2si`` to 32 (width ≤ 32) or 64 bits: toward zero, or INT_MIN if it does not fit."""
    bits = 32 if width <= 32 else 64
    if math.isfinite(x) and -(2.0 ** (bits - 1)) <= math.trunc(x) < 2.0 ** (bits - 1):
        return math.trunc(x) & _M64
    return 1 << (bits - 1)


def _to_unsigned(x: float, width: int) -> int:
    if width <= 32:
        return _truncate(x, 64)
    if math.isfinite(x) and 2.0 ** 63 <= x < 2.0 ** 64:
        return math.trunc(x)
    return _truncate(x, 64)


@export("__bpfvm_fptosi_f64")
def fptosi_f64(bits: int, width: int) -> int:
    """A double truncated to a ``width``-bit signed integer (x86 results out of range)."""
    return _truncate(f64(bits), width)


@export("__bpfvm_fptosi_f32")
def fptosi_f32(bits: int, width: int) -> int:
    """A float truncated to a ``width``-bit signed integer."""
    return _truncate(f32(bits), width)


@export("__bpfvm_fptoui_f64")
def fptoui_f64(bits: int, width: int) -> int:
    """A double truncated to a ``width``-bit unsigned integer (x86 results out of range)."""
    return _to_unsigned(f64(bits), width)


@export("__bpfvm_fptoui_f32")
def fptoui_f32(bits: int, width: int) -> int:
    """A float truncated to a ``width``-bit unsigned integer."""
    return _to_unsigned(f32(bits), width)


@export("__bpfvm_fpext_f32")
def fpext_f32(bits: int) -> int:
    """A float widened to double (exact; a NaN keeps its sign and payload)."""
    return bits64(f32(bits))


@export("__bpfvm_fptrunc_f64")
def fptrunc_f64(bits: int) -> int:
    """A double rounded to float (nearest even)."""
    return bits32(f64(bits))
