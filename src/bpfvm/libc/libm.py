"""``<math.h>`` (C17 §7.12) and ``strtod``/``strtof``/``atof`` (§7.22.1) as intrinsics.

Doubles and floats arrive and leave as bit patterns (see :mod:`.softfloat`).  The functions are
Python's :mod:`math` (the host libm) with C's answers where Python raises instead: a domain
error gives x86's default NaN (``-nan``), a pole or an overflow the signed infinity C returns;
``errno`` is not set (``math_errhandling`` is ``MATH_ERREXCEPT`` in spirit).  Each function also
exists as ``<name>f`` for float, computed in double and rounded once to float, and — where LLVM
has an intrinsic for it — as ``__bpfvm_<intrinsic>_f64/_f32`` for :mod:`bpfvm.cc.legalize`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

from ..cc.legalize import MATH_INTRINSICS
from .softfloat import ARITHMETIC, DEFAULT_NAN, bits32, bits64, f32, f64, fp_binary, fp_unary, round_f32
from .state import Machine, export, set_errno

__all__ = ["FUNCTIONS", "parse_float", "strtod"]

_INF = math.inf


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and abs(y) < 2.0 ** 53 and int(y) % 2 == 1


def _pow(x: float, y: float) -> float:
    """C ``pow`` (C17 F.10.4.4): poles at 0 and overflow give infinities, domain errors NaN."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -_INF if x < 0 and _is_odd_integer(y) else _INF
    except ValueError:
        if x == 0:
            return math.copysign(_INF, x) if _is_odd_integer(y) else _INF
        return DEFAULT_NAN


def _guard(fn: Callable[[float], float], pole: float = DEFAULT_NAN,
           odd: bool = False) -> Callable[[float], float]:
    """``fn`` with C's results where Python raises: ``pole`` at ±0 (domain errors give NaN);
    overflow gives infinity, signed like ``x`` when ``odd``."""
    def apply(x: float) -> float:
        if x != x:
            return x
        try:
            return fn(x)
        except OverflowError:
            return math.copysign(_INF, x) if odd else _INF
        except ValueError:
            return pole if x == 0 else DEFAULT_NAN
    return apply


def _ldexp(x: float, n: int) -> float:
    try:
        return math.ldexp(x, max(-100000, min(100000, n)))
    except OverflowError:
        return math.copysign(_INF, x)


def _hypot(x: float, y: float) -> float:
    return _INF if math.isinf(x) or math.isinf(y) else math.hypot(x, y)


def _remainder(x: float, y: float) -> float:
    if x != x or y != y:
        return x if x != x else y
    return DEFAULT_NAN if math.isinf(x) or y == 0 else math.remainder(x, y)


_UNARY: dict[str, Callable[[float], float]] = {
    "sqrt": _guard(math.sqrt), "cbrt": math.cbrt,
    "exp": _guard(math.exp), "exp2": _guard(math.exp2),
    "exp10": _guard(lambda x: math.pow(10.0, x)), "expm1": _guard(math.expm1, odd=True),
    "log": _guard(math.log, -_INF), "log2": _guard(math.log2, -_INF),
    "log10": _guard(math.log10, -_INF), "log1p": _guard(math.log1p),
    "sin": _guard(math.sin), "cos": _guard(math.cos), "tan": _guard(math.tan),
    "asin": _guard(math.asin), "acos": _guard(math.acos), "atan": _guard(math.atan),
    "sinh": _guard(math.sinh, odd=True), "cosh": _guard(math.cosh), "tanh": _guard(math.tanh),
    "asinh": _guard(math.asinh), "acosh": _guard(math.acosh), "atanh": _guard(math.atanh),
    "erf": _guard(math.erf), "erfc": _guard(math.erfc), "tgamma": _guard(math.gamma),
    "lgamma": _guard(math.lgamma, _INF), "fabs": abs,
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "pow": _pow, "atan2": math.atan2, "hypot": _hypot, "copysign": math.copysign,
    "fdim": lambda x, y: x - y if x > y else (x if x != x else y if y != y else 0.0),
    "remainder": _remainder,
}
#: C name → the :data:`~.softfloat.ARITHMETIC` operation it is.
_SAME = {"floor": "floor", "ceil": "ceil", "trunc": "trunc", "round": "round", "rint": "rint",
         "nearbyint": "nearbyint", "roundeven": "roundeven", "fmin": "minnum", "fmax": "maxnum",
         "fmod": "frem"}

#: Every ``<math.h>`` function of one or two FP arguments, by its double name.
FUNCTIONS: dict[str, Callable[..., float]] = {
    **_UNARY, **_BINARY, **{name: ARITHMETIC[op][0] for name, op in _SAME.items()}}

def _register() -> None:
    for name, fn in FUNCTIONS.items():
        binary = name in _BINARY or ARITHMETIC.get(_SAME.get(name, ""), (None, 1))[1] == 2
        make: Callable[..., Callable[..., int]] = fp_binary if binary else fp_unary
        export(name)(make(fn, False))
        export(name + "f")(make(fn, True))
        export(name + "l")(make(fn, False))  # long double is double on BPF
        if name in MATH_INTRINSICS and name not in ARITHMETIC:
            export(f"__bpfvm_{name}_f64")(make(fn, False))
            export(f"__bpfvm_{name}_f32")(make(fn, True))
    export("fma")(lambda a, b, c: bits64(ARITHMETIC["fma"][0](f64(a), f64(b), f64(c))))
    export("fmaf")(lambda a, b, c: bits32(ARITHMETIC["fma"][0](f32(a), f32(b), f32(c))))


_register()


# -- functions with integer or pointer parts ------------------------------------------------------

def _int(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


@export()
def ldexp(x: int, n: int) -> int:
    """``x * 2**n`` (``n`` a C int)."""
    return bits64(_ldexp(f64(x), _int(n)))


@export()
def ldexpf(x: int, n: int) -> int:
    """``x * 2**n`` in float."""
    return bits32(_ldexp(f32(x), _int(n)))


export("scalbn")(ldexp)
export("scalbnf")(ldexpf)


def _frexp(vm: Machine, x: float, exp: int) -> float:
    mantissa, e = _split_exponent(x)
    vm.memory.store(exp, 4, e & 0xFFFFFFFF, pc=vm.pc)
    return mantissa


@export()
def frexp(vm: Machine, x: int, exp: int) -> int:
    """Split ``x`` into a mantissa in [0.5, 1) and ``*exp`` (an int), C17 §7.12.6.4."""
    return bits64(_frexp(vm, f64(x), exp))


@export()
def frexpf(vm: Machine, x: int, exp: int) -> int:
    """``frexp`` for float."""
    return bits32(_frexp(vm, f32(x), exp))


def _modf(x: float) -> tuple[float, float]:
    if math.isinf(x):
        return math.copysign(0.0, x), x
    whole = ARITHMETIC["trunc"][0](x)
    return (math.copysign(x - whole, x) if x == x else x), whole


@export()
def modf(vm: Machine, x: int, whole: int) -> int:
    """The fraction of ``x``; its integral part goes to ``*whole`` (a double)."""
    frac, integral = _modf(f64(x))
    vm.memory.store(whole, 8, bits64(integral), pc=vm.pc)
    return bits64(frac)


@export()
def modff(vm: Machine, x: int, whole: int) -> int:
    """``modf`` for float."""
    frac, integral = _modf(f32(x))
    vm.memory.store(whole, 4, bits32(integral), pc=vm.pc)
    return bits32(frac)


def _to_long(x: float) -> int:
    """A rounded double as a C long (out of range: LONG_MIN, as x86)."""
    if math.isfinite(x) and -2.0 ** 63 <= x < 2.0 ** 63:
        return int(x) & ((1 << 64) - 1)
    return 1 << 63


def _rounding_to_long(rounder: str, single: bool) -> Callable[[int], int]:
    rounded = ARITHMETIC[rounder][0]
    read = f32 if single else f64
    return lambda x: _to_long(rounded(read(x)))


for _name, _rounder in (("lround", "round"), ("lrint", "rint")):
    for _prefix in ("", "l"):
        export(f"{_prefix}{_name}")(_rounding_to_long(_rounder, False))
        export(f"{_prefix}{_name}f")(_rounding_to_long(_rounder, True))


# -- LLVM intrinsics with integer parts (see bpfvm.cc.legalize.INTEGER_INTRINSICS) ----------------

def _signed64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _powi(x: float, n: int, single: bool) -> float:
    """libgcc's ``__powidf2``/``__powisf2`` (what gcc calls for ``__builtin_powi``): square and
    multiply from the low bit, each product rounded (to float when ``single``), then ``1/y``
    for a negative ``n``."""
    fit = round_f32 if single else float
    m = abs(n)
    y = x if m % 2 else 1.0
    while m := m >> 1:
        x = fit(x * x)
        if m % 2:
            y = fit(y * x)
    return fit(ARITHMETIC["fdiv"][0](1.0, y)) if n < 0 else y


def _saturate(x: float, width: int, signed: bool) -> int:
    """``llvm.fptosi.sat``/``fptoui.sat``: toward zero, clamped to the ``width``-bit range; NaN is 0."""
    if x != x:
        return 0
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    value = max(low, min(high, math.trunc(x))) if math.isfinite(x) else (high if x > 0 else low)
    return value & ((1 << 64) - 1)


def _to_width(x: float, width: int) -> int:
    """A rounded value as a ``width``-bit integer, as x86's ``cvtsd2si`` (out of range: INT_MIN)."""
    bits = 32 if width <= 32 else 64
    if math.isfinite(x) and -(2.0 ** (bits - 1)) <= x < 2.0 ** (bits - 1):
        return int(x) & ((1 << 64) - 1)
    return 1 << (bits - 1)


_Read = Callable[[int], float]
_Write = Callable[[float], int]


def _scaled(fn: Callable[[float, int], float], read: _Read, write: _Write) -> Callable[[int, int], int]:
    """An intrinsic of (FP bits, sign-extended integer) → FP bits."""
    return lambda x, n: write(fn(read(x), _signed64(n)))


def _to_integer(fn: Callable[[float, int], int], read: _Read) -> Callable[[int, int], int]:
    """An intrinsic of (FP bits, result width) → integer."""
    return lambda x, width: fn(read(x), width)


def _unary(fn: Callable[[float], float], read: _Read, write: _Write) -> Callable[[int], int]:
    return lambda x: write(fn(read(x)))


def _unary_integer(fn: Callable[[float], int], read: _Read) -> Callable[[int], int]:
    return lambda x: fn(read(x)) & ((1 << 64) - 1)


def _register_integer_intrinsics() -> None:
    for suffix, read, write in (("f64", f64, bits64), ("f32", f32, bits32)):
        single = suffix == "f32"
        export(f"__bpfvm_powi_{suffix}")(_scaled(functools.partial(_powi, single=single), read, write))
        export(f"__bpfvm_ldexp_{suffix}")(_scaled(_ldexp, read, write))
        for op, rounder in (("lround", "round"), ("lrint", "rint")):
            rounded = ARITHMETIC[rounder][0]
            export(f"__bpfvm_{op}_{suffix}")(_to_integer(functools.partial(_rounded, rounded), read))
        export(f"__bpfvm_fptosisat_{suffix}")(_to_integer(functools.partial(_saturate, signed=True), read))
        export(f"__bpfvm_fptouisat_{suffix}")(_to_integer(functools.partial(_saturate, signed=False), read))
        export(f"__bpfvm_frexp_{suffix}")(_unary(lambda x: _split_exponent(x)[0], read, write))
        export(f"__bpfvm_frexpexp_{suffix}")(_unary_integer(lambda x: _split_exponent(x)[1], read))
        export(f"__bpfvm_modf_{suffix}")(_unary(lambda x: _modf(x)[0], read, write))


def _rounded(rounder: Callable[[float], float], x: float, width: int) -> int:
    return _to_width(rounder(x), width)


def _split_exponent(x: float) -> tuple[float, int]:
    """C ``frexp``: a mantissa in [0.5, 1) and the exponent; 0, infinities and NaN keep ``x``, 0."""
    return math.frexp(x) if math.isfinite(x) else (x, 0)


_register_integer_intrinsics()


# -- strtod ---------------------------------------------------------------------------------------

_NUMBER = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:"
    rb"(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?))", re.I)


def parse_float(text: bytes) -> tuple[float, int]:
    """The number at the start of ``text`` as ``strtod`` reads it, and how many bytes it used
    (0 if there is none).  Decimal and hexadecimal forms are rounded correctly."""
    match = _NUMBER.match(text)
    if match is None:
        return 0.0, 0
    sign, hexa, decimal, word = match.groups()
    if hexa:
        value = _hex_float(hexa.decode())
    elif decimal:
        value = float(decimal)
    else:
        value = math.nan if word[:3].lower() == b"nan" else _INF
    return (-value if sign == b"-" else value), match.end()


def _hex_float(text: str) -> float:
    if "p" not in text.lower():
        text += "p0"
    if "." not in text.split("p")[0].lower():
        mantissa, _, exponent = text.lower().partition("p")
        text = f"{mantissa}.p{exponent}"
    try:
        return float.fromhex(text)
    except OverflowError:
        return _INF


def _strtod(vm: Machine, s: int, end: int) -> float:
    text = vm.memory.cstring(s, pc=vm.pc)
    value, used = parse_float(text)
    if end:
        vm.memory.store(end, 8, s + used, pc=vm.pc)
    if used and (math.isinf(value) and b"inf" not in text[:used].lower()):
        set_errno(vm, 34)  # ERANGE
    return value


@export()
def strtod(vm: Machine, s: int, end: int) -> int:
    """C ``strtod``: decimal, hex (``0x1.8p3``), ``inf``/``infinity``/``nan``; ERANGE on overflow."""
    return bits64(_strtod(vm, s, end))


export("strtold")(strtod)


@export()
def strtof(vm: Machine, s: int, end: int) -> int:
    """C ``strtof`` (read as double, then rounded to float)."""
    return bits32(_strtod(vm, s, end))


@export()
def atof(vm: Machine, s: int) -> int:
    """``strtod(s, NULL)``."""
    return bits64(_strtod(vm, s, 0))
