"""Native code for hot intrinsics: IEEE arithmetic, ``<math.h>`` and ``<string.h>`` in the JIT.

A call to one of these libc intrinsics need not go through the host callback (a ctypes round
trip of about a microsecond).  :class:`Natives` emits it as LLVM IR with the *reference*
semantics of :mod:`bpfvm.libc` — bit for bit, NaN payloads included:

* the ``__bpfvm_<op>_f64/_f32`` arithmetic of :mod:`bpfvm.libc.softfloat` (add, compare,
  convert …) becomes inline FP instructions.  NaN results are chosen by explicit selects on
  the bit patterns (first NaN operand, quieted; x86's default NaN for invalid operations), so
  neither LLVM's NaN-agnostic folds nor operand commutation can change a payload.  Single
  precision is computed as the reference does: widened to double (a NaN quieted, its payload
  shifted as ``cvtss2sd`` does), the double operation, rounded back;
* ``<math.h>`` functions (sin, pow, atan2 …) call the host libm — the library CPython's
  :mod:`math` calls — with CPython's and :mod:`bpfvm.libc.libm`'s handling of NaN, poles,
  overflow and domain errors reproduced around the call;
* ``<string.h>`` functions become helper functions in the module (``bpfvm.native.<name>``)
  returning ``{result, ok}``: they check every range the Python version checks, before
  writing anything, and when a check fails they touch nothing and answer ``ok = 0``; the call
  site then calls the Python intrinsic, which raises the exact trap (kind, pc, address,
  message).

Only calls bound to bpfvm's own libc are lowered natively (a user's ``vm.intrinsics`` entry of
the same name is called as usual); :data:`ENABLED` switches the whole mechanism off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import llvmlite.binding as llvm
from llvmlite import ir

from ..cc.legalize import MATH_INTRINSICS
from ..runtime.layout import Layout
from . import options

__all__ = ["ENABLED", "NAMES", "Natives", "eligible", "map_sites", "register_symbols"]

#: Lower libc intrinsics natively (False: every intrinsic call goes through the host callback).
ENABLED = True

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
DOUBLE, FLOAT = ir.DoubleType(), ir.FloatType()
PTR = ir.PointerType()
RESULT = ir.LiteralStructType([I64, I1])

_SIGN = 1 << 63
_ABS = _SIGN - 1
_EXP = 0x7FF0_0000_0000_0000
_QUIET = 1 << 51
_DEFAULT_NAN = 0xFFF8_0000_0000_0000  #: x86's default NaN (softfloat.DEFAULT_NAN)
_PY_NAN = 0x7FF8_0000_0000_0000  #: CPython's Py_NAN
_INF = _EXP
_NINF = _SIGN | _EXP
_ONE = 0x3FF0_0000_0000_0000
#: Longest string the reference's ``strlen`` reads (``Memory.cstring`` limit in libc.string).
_CSTRING_LIMIT = 1 << 31


def _k(value: int, ty: ir.IntType = I64) -> ir.Constant:
    return ir.Constant(ty, value & ((1 << ty.width) - 1))


def _value(value: ir.Value | int) -> ir.Value:
    return _k(value) if isinstance(value, int) else value


def _d(value: float) -> ir.Constant:
    return ir.Constant(DOUBLE, value)


# -- host libraries ---------------------------------------------------------------------------------

#: The host libm functions natively lowered code calls (CPython's math calls the same ones).
_LIBM = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
         "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "cbrt", "erf", "erfc", "pow", "atan2")


def register_symbols() -> None:
    """Make the host functions natively lowered code calls known to the JIT linker (before
    linking object code, which may come from the cache: the IR emitters register them too)."""
    _libm_symbols()


@functools.cache
def _libm_symbols() -> dict[str, str]:
    """Register the host libm functions with the JIT linker under private names (LLVM does not
    know them as library calls, so it neither folds nor rewrites them); name → symbol."""
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    symbols = {}
    for name in _LIBM:
        symbol = f"bpfvm.libm.{name}"
        llvm.add_symbol(symbol, ctypes.cast(getattr(lib, name), ctypes.c_void_p).value or 0)
        symbols[name] = symbol
    return symbols


# -- floating point -----------------------------------------------------------------------------------

@dataclass
class _Fp:
    """Emits FP computations on i64 bit patterns (double; float in the low 32 bits)."""

    b: ir.IRBuilder

    def dbl(self, bits: ir.Value) -> ir.Value:
        return self.b.bitcast(bits, DOUBLE)

    def raw(self, value: ir.Value) -> ir.Value:
        return self.b.bitcast(value, I64)

    def sel(self, cond: ir.Value, yes: ir.Value | int, no: ir.Value | int) -> ir.Value:
        return self.b.select(cond, _value(yes), _value(no))

    def magnitude(self, bits: ir.Value) -> ir.Value:
        return self.b.and_(bits, _k(_ABS))

    def isnan(self, bits: ir.Value) -> ir.Value:
        return self.b.icmp_unsigned(">", self.magnitude(bits), _k(_EXP))

    def isinf(self, bits: ir.Value) -> ir.Value:
        return self.b.icmp_unsigned("==", self.magnitude(bits), _k(_EXP))

    def finite(self, bits: ir.Value) -> ir.Value:
        return self.b.icmp_unsigned("<", self.magnitude(bits), _k(_EXP))

    def zero(self, bits: ir.Value) -> ir.Value:
        return self.b.icmp_unsigned("==", self.magnitude(bits), _k(0))

    def copysign(self, magnitude: ir.Value | int, sign: ir.Value) -> ir.Value:
        mag = _k(magnitude & _ABS) if isinstance(magnitude, int) else self.magnitude(magnitude)
        return self.b.or_(mag, self.b.and_(sign, _k(_SIGN)))

    def cmp(self, op: str, x: ir.Value, y: ir.Value | float) -> ir.Value:
        """Ordered comparison of the doubles ``x`` and ``y`` (bit patterns or a constant)."""
        other = _d(y) if isinstance(y, float) else self.dbl(y)
        return self.b.fcmp_ordered(op, self.dbl(x), other)

    def all(self, *conds: ir.Value) -> ir.Value:
        return functools.reduce(self.b.and_, conds)

    def nan_fix(self, result: ir.Value, *operands: ir.Value) -> ir.Value:
        """x86 NaN rules: the first NaN operand, quieted; else the default NaN for a NaN result."""
        value = self.sel(self.isnan(result), _DEFAULT_NAN, result)
        for x in reversed(operands):
            value = self.sel(self.isnan(x), self.b.or_(x, _k(_QUIET)), value)
        return value

    def intrinsic(self, name: str, *args: ir.Value) -> ir.Value:
        """``llvm.<name>.f64`` applied to bit patterns."""
        symbol, module = f"llvm.{name}.f64", self.b.module
        fn = module.globals.get(symbol) or ir.Function(module, ir.FunctionType(DOUBLE, [DOUBLE] * len(args)),
                                                       symbol)
        return self.raw(self.b.call(fn, [self.dbl(a) for a in args]))

    def libm(self, name: str, *args: ir.Value) -> ir.Value:
        """The host libm's ``name`` applied to bit patterns."""
        symbol = _libm_symbols()[name]
        module = self.b.module
        fn = module.globals.get(symbol)
        if fn is None:
            fn = ir.Function(module, ir.FunctionType(DOUBLE, [DOUBLE] * len(args)), symbol)
        return self.raw(self.b.call(fn, [self.dbl(a) for a in args]))

    # -- single precision: the reference's struct conversions, NaNs included ------------------------
    def widen(self, bits: ir.Value) -> ir.Value:
        """Float bits (low 32) → double bits, as ``float(struct.unpack("<f"))`` (cvtss2sd)."""
        b = self.b
        low = b.trunc(bits, I32)
        exact = self.raw(b.fpext(b.bitcast(low, FLOAT), DOUBLE))
        sign = b.shl(b.lshr(b.zext(low, I64), _k(31)), _k(63))
        payload = b.shl(b.or_(b.zext(b.and_(low, _k(0x7FFFFF, I32)), I64), _k(0x400000)), _k(29))
        nan = b.or_(b.or_(sign, _k(_EXP)), payload)
        is_nan = b.icmp_unsigned(">", b.and_(low, _k(0x7FFFFFFF, I32)), _k(0x7F800000, I32))
        return b.select(is_nan, nan, exact)

    def narrow(self, bits: ir.Value) -> ir.Value:
        """Double bits → float bits zero-extended, as ``struct.pack("<f")`` (cvtsd2ss)."""
        b = self.b
        exact = b.zext(b.bitcast(b.fptrunc(self.dbl(bits), FLOAT), I32), I64)
        sign = b.shl(b.lshr(bits, _k(63)), _k(31))
        payload = b.and_(b.lshr(bits, _k(29)), _k(0x7FFFFF))
        nan = b.or_(b.or_(sign, _k(0x7FC00000)), payload)
        return self.sel(self.isnan(bits), nan, exact)


FpEmitter = Callable[..., ir.Value]


def _x86(e: _Fp, op: str, *args: ir.Value) -> ir.Value:
    """The x86-64 SSE instruction ``<op>sd`` itself (inline assembly, so that LLVM can neither
    fold nor commute it): its NaN results are softfloat's — the first NaN operand quieted,
    the default NaN for an invalid operation."""
    ty = ir.FunctionType(DOUBLE, [DOUBLE] * len(args))
    if len(args) == 1:
        text, constraint = (f"v{op}sd $1, $1, $0", "=x,x") if options.avx() else (f"{op}sd $1, $0", "=x,x")
    elif options.avx():
        text, constraint = f"v{op}sd $2, $1, $0", "=x,x,x"
    else:
        text, constraint = f"{op}sd $2, $0", "=x,0,x"
    return e.raw(e.b.asm(ty, text, constraint, [e.dbl(a) for a in args], side_effect=False))


def _ieee(op: str) -> FpEmitter:
    """``fadd``/``fsub``/``fmul``: the hardware operation with x86's NaN rules (the instruction
    itself on an x86-64 host, see :func:`_x86`)."""
    def emit(e: _Fp, a: ir.Value, b: ir.Value) -> ir.Value:
        if options.x86_nan_rules():
            return _x86(e, op[1:], a, b)
        return e.nan_fix(e.raw(getattr(e.b, op)(e.dbl(a), e.dbl(b))), a, b)
    return emit


_fadd, _fmul = _ieee("fadd"), _ieee("fmul")


def _fdiv(e: _Fp, a: ir.Value, b: ir.Value) -> ir.Value:
    """softfloat ``_div``: a NaN divided by ±0 is returned as is (not quieted)."""
    q = _ieee("fdiv")(e, a, b)
    return e.sel(e.b.and_(e.zero(b), e.isnan(a)), a, q)


def _frem(e: _Fp, a: ir.Value, b: ir.Value) -> ir.Value:
    """softfloat ``_fmod``: the first NaN as is; fmod(inf, y) and fmod(x, 0) the default NaN."""
    r = e.raw(e.b.frem(e.dbl(a), e.dbl(b)))
    r = e.sel(e.b.or_(e.isinf(a), e.zero(b)), _DEFAULT_NAN, r)
    return e.sel(e.isnan(a), a, e.sel(e.isnan(b), b, r))


def _fmuladd(e: _Fp, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    return _fadd(e, _fmul(e, a, b), c)


def _fma(e: _Fp, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    """softfloat ``fma``: fused when every operand is finite and the factors non-zero, else the
    unfused ``a * b + c`` (an infinite ``c`` with finite factors is returned as is)."""
    fused = e.intrinsic("fma", a, b, c)
    usual = e.all(e.finite(a), e.finite(b), e.finite(c), e.b.not_(e.zero(a)), e.b.not_(e.zero(b)))
    r = e.sel(usual, fused, _fmuladd(e, a, b, c))
    return e.sel(e.all(e.finite(a), e.finite(b), e.isinf(c)), c, r)


def _fmuladd_f32(e: _Fp, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    """Unfused single precision: the product rounded to float before the addition."""
    product = e.widen(e.narrow(_fmul(e, e.widen(a), e.widen(b))))
    return e.narrow(_fadd(e, product, e.widen(c)))


def _pick(greater: bool) -> FpEmitter:
    """C ``fmin``/``fmax`` (llvm.minnum/maxnum): a NaN operand is ignored; -0 < +0."""
    def emit(e: _Fp, a: ir.Value, b: ir.Value) -> ir.Value:
        better = e.cmp(">" if greater else "<", a, b)
        tie = e.b.and_(e.cmp("==", a, b), e.b.icmp_signed(">=" if greater else "<", a, _k(0)))
        r = e.sel(e.b.or_(better, tie), a, b)
        return e.sel(e.isnan(a), b, e.sel(e.isnan(b), a, r))
    return emit


def _strict(pick: FpEmitter) -> FpEmitter:
    """IEEE ``minimum``/``maximum``: the first NaN operand propagates (as is)."""
    def emit(e: _Fp, a: ir.Value, b: ir.Value) -> ir.Value:
        return e.sel(e.isnan(a), a, e.sel(e.isnan(b), b, pick(e, a, b)))
    return emit


def _integral(name: str) -> FpEmitter:
    """floor/ceil/trunc/round/roundeven: a NaN is returned as is."""
    def emit(e: _Fp, x: ir.Value) -> ir.Value:
        return e.sel(e.isnan(x), x, e.intrinsic(name, x))
    return emit


def _sqrt(e: _Fp, x: ir.Value) -> ir.Value:
    """softfloat ``sqrt``: a NaN as is (not quieted), a negative number the default NaN."""
    if options.x86_nan_rules():  # sqrtsd gives the default NaN below zero, -0 for -0
        return e.sel(e.isnan(x), x, _x86(e, "sqrt", x))
    return e.sel(e.isnan(x), x, e.sel(e.cmp("<", x, 0.0), _DEFAULT_NAN, e.intrinsic("sqrt", x)))


def _fcmp(e: _Fp, a: ir.Value, b: ir.Value, predicate: ir.Value) -> ir.Value:
    """softfloat ``fcmp``: ``predicate`` & (1 equal, 2 greater, 4 less, 8 unordered) != 0."""
    x, y = e.dbl(a), e.dbl(b)
    rel = e.sel(e.b.fcmp_ordered(">", x, y), 2, 4)
    rel = e.sel(e.b.fcmp_ordered("==", x, y), 1, rel)
    rel = e.sel(e.b.fcmp_unordered("uno", x, y), 8, rel)
    return e.b.zext(e.b.icmp_unsigned("!=", e.b.and_(predicate, rel), _k(0)), I64)


def _to_fp(op: str, ty: ir.Type) -> FpEmitter:
    """sitofp/uitofp of a 64-bit integer, rounded once."""
    def emit(e: _Fp, value: ir.Value) -> ir.Value:
        converted = getattr(e.b, op)(value, ty)
        return e.raw(converted) if ty == DOUBLE else e.b.zext(e.b.bitcast(converted, I32), I64)
    return emit


def _trunc_signed(e: _Fp, x: ir.Value, bits: int) -> ir.Value:
    """x86 ``cvttsd2si`` to ``bits``: toward zero, INT_MIN when out of range or NaN."""
    low, high = (-2.0 ** 31 - 1, 2.0 ** 31) if bits == 32 else (-2.0 ** 63, 2.0 ** 63)
    ok = e.b.and_(e.cmp(">" if bits == 32 else ">=", x, low), e.cmp("<", x, high))
    value = e.b.fptosi(e.b.select(ok, e.dbl(x), _d(0.0)), I64)
    return e.sel(ok, value, 1 << (bits - 1))


def _fptosi(e: _Fp, x: ir.Value, width: ir.Value) -> ir.Value:
    narrow = e.b.icmp_unsigned("<=", width, _k(32))
    return e.sel(narrow, _trunc_signed(e, x, 32), _trunc_signed(e, x, 64))


def _fptoui(e: _Fp, x: ir.Value, width: ir.Value) -> ir.Value:
    """softfloat ``_to_unsigned``: [2^63, 2^64) exactly for 64 bits, else the signed conversion."""
    big = e.b.and_(e.cmp(">=", x, 2.0 ** 63), e.cmp("<", x, 2.0 ** 64))
    unsigned = e.b.fptoui(e.b.select(big, e.dbl(x), _d(2.0 ** 63)), I64)
    wide = e.b.icmp_unsigned(">", width, _k(32))
    return e.sel(e.b.and_(wide, big), unsigned, _trunc_signed(e, x, 64))


def _guarded(name: str, *, overflow: bool, pole: int = _DEFAULT_NAN, odd: bool = False) -> FpEmitter:
    """libm ``_guard(math.<name>)``: NaN in → itself; CPython's domain error (NaN result, or an
    infinite one from a finite argument without ``overflow``) → ``pole`` at ±0, else the
    default NaN; an overflow → infinity (signed like the argument when ``odd``)."""
    def emit(e: _Fp, x: ir.Value) -> ir.Value:
        r = e.libm(name, x)
        domain = e.sel(e.zero(x), pole, _DEFAULT_NAN)
        big = (e.copysign(_INF, x) if odd else _k(_INF)) if overflow else domain
        checked = e.sel(e.isnan(r), domain, e.sel(e.b.and_(e.isinf(r), e.finite(x)), big, r))
        return e.sel(e.isnan(x), x, checked)
    return emit


def _exp10(e: _Fp, x: ir.Value) -> ir.Value:
    """libm ``exp10``: ``math.pow(10.0, x)`` guarded (a NaN is returned as is, as _pow does)."""
    return _pow(e, _k(_bits(10.0)), x)


def _plain(name: str) -> FpEmitter:
    def emit(e: _Fp, x: ir.Value) -> ir.Value:
        return e.libm(name, x)
    return emit


def _fabs(e: _Fp, x: ir.Value) -> ir.Value:
    return e.magnitude(x)


def _copysign(e: _Fp, x: ir.Value, y: ir.Value) -> ir.Value:
    return e.copysign(x, y)


def _fdim(e: _Fp, x: ir.Value, y: ir.Value) -> ir.Value:
    diff = e.raw(e.b.fsub(e.dbl(x), e.dbl(y)))
    rest = e.sel(e.isnan(x), x, e.sel(e.isnan(y), y, 0))
    return e.sel(e.cmp(">", x, y), diff, rest)


def _odd_integer(e: _Fp, y: ir.Value) -> ir.Value:
    """libm ``_is_odd_integer`` (false for NaN and infinities: fmod gives NaN)."""
    rem = e.b.frem(e.dbl(e.magnitude(y)), _d(2.0))
    return e.b.and_(e.b.fcmp_ordered("==", rem, _d(1.0)), e.b.fcmp_ordered("<", e.dbl(e.magnitude(y)),
                                                                              _d(2.0 ** 53)))


def _pow(e: _Fp, x: ir.Value, y: ir.Value) -> ir.Value:
    """libm ``_pow`` around CPython's ``math.pow`` (its IEEE special cases, then libm pow)."""
    b = e.b
    odd = _odd_integer(e, y)
    r = e.libm("pow", x, y)
    domain = e.sel(e.zero(x), e.sel(odd, e.copysign(_INF, x), _INF), _DEFAULT_NAN)
    overflow = e.sel(b.and_(e.cmp("<", x, 0.0), odd), _NINF, _INF)
    finite = e.sel(e.isnan(r), domain, e.sel(e.isinf(r), e.sel(e.zero(x), domain, overflow), r))
    ax = e.magnitude(x)
    inf_x = e.sel(e.cmp(">", y, 0.0), e.sel(odd, x, ax),
                  e.sel(e.cmp("==", y, 0.0), _ONE, e.sel(odd, e.copysign(0, x), 0)))
    inf_y = e.sel(e.cmp("==", ax, 1.0), _ONE,
                  e.sel(b.and_(e.cmp(">", y, 0.0), e.cmp(">", ax, 1.0)), y,
                        e.sel(b.and_(e.cmp("<", y, 0.0), e.cmp("<", ax, 1.0)), b.xor(y, _k(_SIGN)), 0)))
    special = e.sel(e.isinf(x), inf_x, inf_y)
    special = e.sel(e.isnan(y), e.sel(e.cmp("==", x, 1.0), _ONE, y), special)
    special = e.sel(e.isnan(x), e.sel(e.cmp("==", y, 0.0), _ONE, x), special)
    return e.sel(b.and_(e.finite(x), e.finite(y)), finite, special)


def _atan2(e: _Fp, y: ir.Value, x: ir.Value) -> ir.Value:
    """CPython's ``m_atan2`` special cases, then libm atan2 (NaN in → CPython's Py_NAN)."""
    def signed(value: float, sign: ir.Value) -> ir.Value:
        return e.copysign(_bits(value), sign)
    positive_x = e.b.icmp_signed(">=", x, _k(0))
    inf_y = e.sel(e.isinf(x), e.sel(positive_x, signed(0.25 * math.pi, y), signed(0.75 * math.pi, y)),
                  signed(0.5 * math.pi, y))
    flat = e.sel(positive_x, e.copysign(0, y), signed(math.pi, y))
    r = e.sel(e.b.or_(e.isinf(x), e.zero(y)), flat, e.libm("atan2", y, x))
    r = e.sel(e.isinf(y), inf_y, r)
    return e.sel(e.b.or_(e.isnan(x), e.isnan(y)), _PY_NAN, r)


def _bits(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def _single(fn: FpEmitter) -> FpEmitter:
    """The float version of a double operation: widen the operands, round the result."""
    def emit(e: _Fp, *args: ir.Value) -> ir.Value:
        return e.narrow(fn(e, *(e.widen(a) for a in args)))
    return emit


def _widened(fn: FpEmitter) -> FpEmitter:
    """A float-operand operation whose result is not a float (compare, convert, extend)."""
    def emit(e: _Fp, x: ir.Value, *rest: ir.Value) -> ir.Value:
        return fn(e, e.widen(x), *rest)
    return emit


#: Double-precision operations by their softfloat name (``__bpfvm_<name>_f64``).
_ARITHMETIC: dict[str, FpEmitter] = {
    "fadd": _fadd, "fsub": _ieee("fsub"), "fmul": _fmul, "fdiv": _fdiv, "frem": _frem,
    "minnum": _pick(False), "maxnum": _pick(True), "minimum": _strict(_pick(False)),
    "maximum": _strict(_pick(True)), "floor": _integral("floor"), "ceil": _integral("ceil"),
    "trunc": _integral("trunc"), "round": _integral("round"), "roundeven": _integral("roundeven"),
    "rint": _integral("roundeven"), "nearbyint": _integral("roundeven"), "sqrt": _sqrt,
    "minimumnum": _pick(False), "maximumnum": _pick(True), "fma": _fma,
}
_LN = {"log": -1, "log2": -1, "log10": -1}
#: ``<math.h>`` functions by their double name (``name``, ``name + "f"``, ``name + "l"``).
_MATH: dict[str, FpEmitter] = {
    **{name: _guarded(name, overflow=False) for name in ("sin", "cos", "tan", "asin", "acos", "atan",
                                                         "tanh", "asinh", "acosh", "atanh", "erf",
                                                         "erfc", "log1p")},
    **{name: _guarded(name, overflow=True) for name in ("exp", "exp2", "cosh")},
    **{name: _guarded(name, overflow=True, odd=True) for name in ("expm1", "sinh")},
    **{name: _guarded(name, overflow=False, pole=_NINF) for name in _LN},
    "cbrt": _plain("cbrt"), "fabs": _fabs, "copysign": _copysign, "fdim": _fdim, "pow": _pow,
    "atan2": _atan2, "sqrt": _sqrt, "floor": _ARITHMETIC["floor"], "ceil": _ARITHMETIC["ceil"],
    "trunc": _ARITHMETIC["trunc"], "round": _ARITHMETIC["round"], "rint": _ARITHMETIC["rint"],
    "nearbyint": _ARITHMETIC["nearbyint"], "roundeven": _ARITHMETIC["roundeven"],
    "fmin": _ARITHMETIC["minnum"], "fmax": _ARITHMETIC["maxnum"], "fmod": _frem, "fma": _fma,
    "exp10": _exp10,
    # remainder stays in Python: CPython computes math.remainder itself, not with glibc's, and
    # the two differ in the sign of some zero results (hypothesis found remainder(x, denormal)).
}


#: Operations of two FP operands (the others of :data:`_ARITHMETIC` and :data:`_MATH` take one).
_BINARY = frozenset(("fadd", "fsub", "fmul", "fdiv", "frem", "minnum", "maxnum", "minimum", "maximum",
                     "minimumnum", "maximumnum", "copysign", "fdim", "pow", "atan2", "fmin", "fmax", "fmod",
                     "remainder"))


def _arity(name: str) -> int:
    return 3 if name == "fma" else 2 if name in _BINARY else 1


def _float_table() -> dict[str, tuple[int, FpEmitter]]:
    """Every FP intrinsic lowered natively: symbol → (register arguments, emitter)."""
    table: dict[str, tuple[int, FpEmitter]] = {}

    def add(name: str, fn: FpEmitter, arity: int) -> None:
        table[name] = (arity, fn)

    for name, fn in _ARITHMETIC.items():
        add(f"__bpfvm_{name}_f64", fn, _arity(name))
        add(f"__bpfvm_{name}_f32", _single(fn), _arity(name))
    for name, fn in _MATH.items():
        add(name, fn, _arity(name))
        add(name + "l", fn, _arity(name))
        add(name + "f", _single(fn), _arity(name))
        if name in MATH_INTRINSICS and name not in _ARITHMETIC:
            add(f"__bpfvm_{name}_f64", fn, _arity(name))
            add(f"__bpfvm_{name}_f32", _single(fn), _arity(name))
    add("__bpfvm_fmuladd_f64", _fmuladd, 3)
    add("__bpfvm_fmuladd_f32", _fmuladd_f32, 3)
    add("__bpfvm_fcmp_f64", _fcmp, 3)
    add("__bpfvm_fcmp_f32", lambda e, a, b, p: _fcmp(e, e.widen(a), e.widen(b), p), 3)
    for op in ("sitofp", "uitofp"):
        add(f"__bpfvm_{op}_f64", _to_fp(op, DOUBLE), 1)
        add(f"__bpfvm_{op}_f32", _to_fp(op, FLOAT), 1)
    add("__bpfvm_fptosi_f64", _fptosi, 2)
    add("__bpfvm_fptosi_f32", _widened(_fptosi), 2)
    add("__bpfvm_fptoui_f64", _fptoui, 2)
    add("__bpfvm_fptoui_f32", _widened(_fptoui), 2)
    add("__bpfvm_fpext_f32", lambda e, x: e.widen(x), 1)
    add("__bpfvm_fptrunc_f64", lambda e, x: e.narrow(x), 1)
    return table


_FLOAT = _float_table()


# -- <string.h> -----------------------------------------------------------------------------------------

class _Body:
    """The body of one native string helper: ``{i64 result, i1 ok} (ptr mem, i64 r1, …)``.

    :meth:`require` leaves the function with ``ok = 0`` (nothing written) when a check fails.
    """

    def __init__(self, fn: ir.Function, layout: Layout) -> None:
        self.fn, self.layout = fn, layout
        self.mem, *self.args = fn.args
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        fail = fn.append_basic_block("fail")
        ir.IRBuilder(fail).ret(ir.Constant(RESULT, [ir.Constant(I64, 0), ir.Constant(I1, 0)]))
        self.fail = fail
        self.blocks = 0

    def block(self, kind: str) -> ir.Block:
        self.blocks += 1
        return self.fn.append_basic_block(f"{kind}{self.blocks}")

    def require(self, cond: ir.Value) -> None:
        good = self.block("ok")
        self.b.cbranch(cond, good, self.fail).set_weights([99, 1])
        self.b.position_at_end(good)

    def ret(self, value: ir.Value) -> None:
        pair = self.b.insert_value(ir.Constant(RESULT, ir.Undefined), value, 0)
        self.b.ret(self.b.insert_value(pair, ir.Constant(I1, 1), 1))

    def ptr(self, addr: ir.Value) -> ir.Value:
        return self.b.gep(self.mem, [addr], source_etype=I8)

    def host(self, name: str, ret: ir.Type, params: Sequence[ir.Type], *args: ir.Value) -> ir.Value:
        module = self.fn.module
        fn = module.globals.get(name) or ir.Function(module, ir.FunctionType(ret, params), name)
        return self.b.call(fn, args)

    def umin(self, x: ir.Value, y: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_unsigned("<", x, y), x, y)

    def in_range(self, addr: ir.Value, n: ir.Value, write: bool) -> ir.Value:
        """``Memory.check(addr, n)`` would pass (or n is 0: the reference touches nothing)."""
        b, size = self.b, self.layout.size
        low = self.layout.write_lo if write else self.layout.read_lo
        fits = b.and_(b.icmp_unsigned(">=", addr, _k(low)), b.icmp_unsigned("<=", n, _k(size)))
        fits = b.and_(fits, b.icmp_unsigned("<=", addr, b.sub(_k(size), n)))
        return b.or_(b.icmp_unsigned("==", n, _k(0)), fits)

    def strnlen(self, addr: ir.Value, limit: ir.Value) -> ir.Value:
        return self.host("strnlen", I64, [PTR, I64], self.ptr(addr), limit)

    def cstring(self, addr: ir.Value) -> ir.Value:
        """Length of the string at ``addr`` as ``Memory.cstring(addr, 1 << 31)`` reads it."""
        b = self.b
        self.require(b.and_(b.icmp_unsigned(">=", addr, _k(self.layout.read_lo)),
                            b.icmp_unsigned("<", addr, _k(self.layout.size))))
        limit = self.umin(b.sub(_k(self.layout.size), addr), _k(_CSTRING_LIMIT))
        length = self.strnlen(addr, limit)
        self.require(b.icmp_unsigned("<", length, limit))
        return length

    def strn(self, addr: ir.Value, n: ir.Value) -> ir.Value:
        """Length of ``libc.string.strn(addr, n)`` (at most ``n``; nothing is read for n = 0)."""
        b = self.b
        valid = b.and_(b.icmp_unsigned(">=", addr, _k(self.layout.read_lo)),
                       b.icmp_unsigned("<", addr, _k(self.layout.size)))
        self.require(b.or_(b.icmp_unsigned("==", n, _k(0)), valid))
        limit = self.umin(n, b.sub(_k(self.layout.size), addr))
        length = self.strnlen(addr, limit)
        cut = b.and_(b.icmp_unsigned("==", length, limit), b.icmp_unsigned("<", limit, n))
        self.require(b.not_(cut))
        return length

    def memmove(self, dst: ir.Value, src: ir.Value, n: ir.Value) -> None:
        fn = self.fn.module.declare_intrinsic("llvm.memmove", [PTR, PTR, I64])
        self.b.call(fn, [self.ptr(dst), self.ptr(src), n, ir.Constant(I1, 0)])

    def memset(self, dst: ir.Value, byte: ir.Value, n: ir.Value) -> None:
        fn = self.fn.module.declare_intrinsic("llvm.memset", [PTR, I64])
        self.b.call(fn, [self.ptr(dst), self.b.trunc(byte, I8), n, ir.Constant(I1, 0)])

    def find(self, name: str, addr: ir.Value, byte: ir.Value, n: ir.Value) -> ir.Value:
        """Guest address of the byte that host ``memchr``/``memrchr`` finds in ``n`` bytes, or 0."""
        b = self.b
        start = self.ptr(addr)
        found = self.host(name, PTR, [PTR, I32, I64], start, b.trunc(b.and_(byte, _k(0xFF)), I32), n)
        offset = b.sub(b.ptrtoint(found, I64), b.ptrtoint(start, I64))
        return b.select(b.icmp_unsigned("==", b.ptrtoint(found, I64), _k(0)), _k(0), b.add(addr, offset))

    def byte(self, addr: ir.Value) -> ir.Value:
        return self.b.zext(self.b.load(self.ptr(addr), typ=I8), I64)

    def difference(self, a: ir.Value, c: ir.Value, n: ir.Value) -> ir.Value:
        """The difference of the first differing bytes of ``n`` at ``a`` and ``c``, or 0."""
        b = self.b
        before = b.block
        head, body, step, join = (self.block(kind) for kind in ("cmp", "cmpbody", "cmpstep", "cmpend"))
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(_k(0), before)
        b.cbranch(b.icmp_unsigned("==", i, n), join, body)
        b.position_at_end(body)
        x, y = self.byte(b.add(a, i)), self.byte(b.add(c, i))
        delta = b.sub(x, y)
        b.cbranch(b.icmp_unsigned("!=", x, y), join, step)
        b.position_at_end(step)
        i.add_incoming(b.add(i, _k(1)), step)
        b.branch(head)
        b.position_at_end(join)
        diff = b.phi(I64)
        diff.add_incoming(_k(0), head)
        diff.add_incoming(delta, body)
        return diff

    def compare_strings(self, a: ir.Value, la: ir.Value, c: ir.Value, lc: ir.Value) -> ir.Value:
        """strcmp of the strings of lengths ``la`` and ``lc`` (NUL at the end of each)."""
        b = self.b
        common = self.umin(la, lc)
        diff = self.difference(a, c, common)
        x = self.tail_byte(a, common, la)
        y = self.tail_byte(c, common, lc)
        return b.select(b.icmp_unsigned("!=", diff, _k(0)), diff, b.sub(x, y))

    def tail_byte(self, addr: ir.Value, i: ir.Value, length: ir.Value) -> ir.Value:
        """Byte ``i`` of a string of ``length`` (0 at or past its end; nothing read there)."""
        b = self.b
        before, read, join = b.block, self.block("tail"), self.block("tailend")
        inside = b.icmp_unsigned("<", i, length)
        b.cbranch(inside, read, join)
        b.position_at_end(read)
        value = self.byte(b.add(addr, i))
        b.branch(join)
        b.position_at_end(join)
        phi = b.phi(I64)
        phi.add_incoming(_k(0), before)
        phi.add_incoming(value, read)
        return phi


StringBody = Callable[..., ir.Value]


def _memcpy(f: _Body, dst: ir.Value, src: ir.Value, n: ir.Value) -> ir.Value:
    f.require(f.b.and_(f.in_range(src, n, False), f.in_range(dst, n, True)))
    f.memmove(dst, src, n)
    return dst


def _memset(f: _Body, s: ir.Value, c: ir.Value, n: ir.Value) -> ir.Value:
    f.require(f.in_range(s, n, True))
    f.memset(s, c, n)
    return s


def _memcmp(f: _Body, a: ir.Value, c: ir.Value, n: ir.Value) -> ir.Value:
    f.require(f.b.and_(f.in_range(a, n, False), f.in_range(c, n, False)))
    return f.difference(a, c, n)


def _memchr(name: str) -> StringBody:
    def body(f: _Body, s: ir.Value, c: ir.Value, n: ir.Value) -> ir.Value:
        f.require(f.in_range(s, n, False))
        return f.find(name, s, c, n)
    return body


def _strchr(name: str) -> StringBody:
    def body(f: _Body, s: ir.Value, c: ir.Value) -> ir.Value:
        return f.find(name, s, c, f.b.add(f.cstring(s), _k(1)))
    return body


def _strcpy(end: bool) -> StringBody:
    def body(f: _Body, dst: ir.Value, src: ir.Value) -> ir.Value:
        length = f.cstring(src)
        total = f.b.add(length, _k(1))
        f.require(f.in_range(dst, total, True))
        f.memmove(dst, src, total)
        return f.b.add(dst, length) if end else dst
    return body


def _strncpy(f: _Body, dst: ir.Value, src: ir.Value, n: ir.Value) -> ir.Value:
    f.require(f.in_range(dst, n, True))
    length = f.strn(src, n)
    f.memmove(dst, src, length)
    f.memset(f.b.add(dst, length), _k(0), f.b.sub(n, length))
    return dst


def _strcat(f: _Body, dst: ir.Value, src: ir.Value) -> ir.Value:
    end = f.b.add(dst, f.cstring(dst))
    total = f.b.add(f.cstring(src), _k(1))
    f.require(f.in_range(end, total, True))
    f.memmove(end, src, total)
    return dst


def _strcmp(f: _Body, a: ir.Value, c: ir.Value) -> ir.Value:
    return f.compare_strings(a, f.cstring(a), c, f.cstring(c))


def _strncmp(f: _Body, a: ir.Value, c: ir.Value, n: ir.Value) -> ir.Value:
    return f.compare_strings(a, f.strn(a, n), c, f.strn(c, n))


#: The ``<string.h>`` functions lowered natively: symbol → (register arguments, body).
_STRING: dict[str, tuple[int, StringBody]] = {
    "memcpy": (3, _memcpy), "memmove": (3, _memcpy),
    "bcopy": (3, lambda f, src, dst, n: (_memcpy(f, dst, src, n), _k(0))[1]),
    "memset": (3, _memset), "bzero": (2, lambda f, s, n: (_memset(f, s, _k(0), n), _k(0))[1]),
    "memcmp": (3, _memcmp), "memchr": (3, _memchr("memchr")), "memrchr": (3, _memchr("memrchr")),
    "strlen": (1, lambda f, s: f.cstring(s)), "strnlen": (2, lambda f, s, n: f.strn(s, n)),
    "strcpy": (2, _strcpy(False)), "stpcpy": (2, _strcpy(True)), "strncpy": (3, _strncpy),
    "strcat": (2, _strcat), "strcmp": (2, _strcmp), "strcoll": (2, _strcmp), "strncmp": (3, _strncmp),
    "strchr": (2, _strchr("memchr")), "index": (2, _strchr("memchr")),
    "strrchr": (2, _strchr("memrchr")), "rindex": (2, _strchr("memrchr")),
}

def _abs(bits: int) -> Callable[[ir.IRBuilder, ir.Value], ir.Value]:
    """stdlib ``abs``/``labs``: ``|x|`` of the low ``bits`` as signed, wrapping at the minimum,
    sign-extended to 64 bits (what the Python versions return)."""
    def emit(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
        ty = ir.IntType(bits)
        v = b.trunc(x, ty) if bits < 64 else x
        magnitude = b.select(b.icmp_signed("<", v, ir.Constant(ty, 0)), b.neg(v), v)
        return b.sext(magnitude, I64) if bits < 64 else magnitude
    return emit


#: Integer functions lowered natively (they cannot fail): symbol → (register arguments, body).
_INTEGER: dict[str, tuple[int, Callable[[ir.IRBuilder, ir.Value], ir.Value]]] = {
    "abs": (1, _abs(32)), "labs": (1, _abs(64)), "llabs": (1, _abs(64)), "imaxabs": (1, _abs(64)),
}

#: Every intrinsic :class:`Natives` can lower.
NAMES: frozenset[str] = frozenset(_FLOAT) | frozenset(_STRING) | frozenset(_INTEGER)


def _map_lookup(f: _Body, handle: ir.Value, key_addr: ir.Value) -> ir.Value:
    """``bpf_map_lookup_elem`` as native code: on an array map inlined as the kernel's JIT
    inlines it (``array_map_gen_lookup``: ``values + key * round_up(value_size, 8)``, or 0 past
    the end; per-CPU arrays: the slot of the descriptor's current CPU); on a hash or per-CPU
    hash map a search of its read-only native index
    (:class:`bpfvm.kernel.maps.hash.NativeIndex`: FNV-1a, linear probing).  Any other map (or a
    pointer that is not a handle: descriptors live in read-only memory and carry a magic number)
    answers ``ok = 0``, and the call site calls the Python helper."""
    from ..kernel.maps.space import (
        CPU_OFFSET,
        DESCRIPTOR_SIZE,
        INDEX_MASK_OFFSET,
        INDEX_OFFSET,
        MAGIC,
        MAGIC_OFFSET,
        NCPUS_OFFSET,
    )

    b = f.b

    def u32(addr: ir.Value, offset: int) -> ir.Value:
        return b.zext(b.load(f.ptr(b.add(addr, _k(offset))), typ=I32, align=1), I64)

    def u64(addr: ir.Value, offset: int) -> ir.Value:
        return b.load(f.ptr(b.add(addr, _k(offset))), typ=I64, align=1)

    def eq(x: ir.Value, y: int | ir.Value) -> ir.Value:
        return b.icmp_unsigned("==", x, _k(y) if isinstance(y, int) else y)

    in_descriptors = b.and_(b.icmp_unsigned(">=", handle, _k(f.layout.read_lo)),
                            b.icmp_unsigned("<=", handle, _k(f.layout.write_lo - DESCRIPTOR_SIZE)))
    f.require(b.and_(in_descriptors, eq(b.and_(handle, _k(7)), 0)))
    f.require(eq(u32(handle, MAGIC_OFFSET), MAGIC))
    kind, key_size, index = u32(handle, 0), u32(handle, 4), u64(handle, INDEX_OFFSET)
    is_array = b.or_(eq(kind, _ARRAY_MAP), eq(kind, _PERCPU_ARRAY_MAP))
    is_hash = b.or_(eq(kind, _HASH_MAP), eq(kind, _PERCPU_HASH_MAP))
    f.require(b.or_(is_array, b.and_(is_hash, b.icmp_unsigned("!=", index, _k(0)))))
    f.require(f.in_range(key_addr, key_size, False))
    values = u64(handle, 24)
    slot_size = b.and_(b.add(u32(handle, 8), _k(7)), _k(-8))
    percpu = b.or_(eq(kind, _PERCPU_ARRAY_MAP), eq(kind, _PERCPU_HASH_MAP))
    ncpus = b.select(percpu, u32(handle, NCPUS_OFFSET), _k(1))
    cpu = b.select(percpu, u32(handle, CPU_OFFSET), _k(0))
    array, hashed, join = f.block("array"), f.block("hash"), f.block("found")
    b.cbranch(is_array, array, hashed)
    b.position_at_end(join)
    result = b.phi(I64)
    b.position_at_end(array)
    key = u32(key_addr, 0)
    found = b.add(values, b.mul(b.add(b.mul(key, ncpus), cpu), slot_size))
    result.add_incoming(b.select(b.icmp_unsigned("<", key, u32(handle, 12)), found, _k(0)), b.block)
    b.branch(join)
    b.position_at_end(hashed)
    h = _fnv1a32(f, key_addr, key_size)
    mask = u32(handle, INDEX_MASK_OFFSET)
    keys = b.add(index, b.shl(b.add(mask, _k(1)), _k(3)))
    stride = b.and_(b.add(key_size, _k(7)), _k(-8))
    probe, check, compare, matched, nxt = (f.block(k)
                                           for k in ("probe", "check", "compare", "matched", "next"))
    first, start = b.and_(h, mask), b.block
    b.branch(probe)
    b.position_at_end(probe)
    i = b.phi(I64)
    i.add_incoming(first, start)
    entry = b.load(f.ptr(b.add(index, b.shl(i, _k(3)))), typ=I64, align=1)
    result.add_incoming(_k(0), probe)
    b.cbranch(eq(entry, 0), join, check)
    b.position_at_end(check)
    same_hash = b.and_(b.icmp_unsigned("!=", entry, _k(1)), eq(b.lshr(entry, _k(32)), h))
    b.cbranch(same_hash, compare, nxt)
    b.position_at_end(compare)
    slot = b.sub(b.and_(entry, _k(0xFFFF_FFFF)), _k(2))
    differs = f.difference(key_addr, b.add(keys, b.mul(slot, stride)), key_size)
    b.cbranch(eq(differs, 0), matched, nxt)
    b.position_at_end(matched)
    result.add_incoming(b.add(values, b.mul(b.add(b.mul(slot, ncpus), cpu), slot_size)), matched)
    b.branch(join)
    b.position_at_end(nxt)
    i.add_incoming(b.and_(b.add(i, _k(1)), mask), nxt)
    b.branch(probe)
    b.position_at_end(join)
    return result


def _fnv1a32(f: _Body, addr: ir.Value, n: ir.Value) -> ir.Value:
    """FNV-1a (32-bit) of the ``n`` bytes at ``addr``, as :func:`bpfvm.kernel.maps.hash.fnv1a32`."""
    b = f.b
    before = b.block
    head, body, done = f.block("fnv"), f.block("fnvbody"), f.block("fnvend")
    b.branch(head)
    b.position_at_end(head)
    i, h = b.phi(I64), b.phi(I64)
    i.add_incoming(_k(0), before)
    h.add_incoming(_k(0x811C9DC5), before)
    b.cbranch(b.icmp_unsigned("==", i, n), done, body)
    b.position_at_end(body)
    mixed = b.and_(b.mul(b.xor(h, f.byte(b.add(addr, i))), _k(0x01000193)), _k(0xFFFF_FFFF))
    i.add_incoming(b.add(i, _k(1)), body)
    h.add_incoming(mixed, body)
    b.branch(head)
    b.position_at_end(done)
    return h


#: ``BPF_MAP_TYPE_HASH``, ``ARRAY``, ``PERCPU_HASH``, ``PERCPU_ARRAY``
_HASH_MAP, _ARRAY_MAP, _PERCPU_HASH_MAP, _PERCPU_ARRAY_MAP = 1, 2, 5, 6
#: Map helpers lowered natively, by kernel name: (register arguments, body).
_MAPS: dict[str, tuple[int, Callable[..., ir.Value]]] = {"bpf_map_lookup_elem": (2, _map_lookup)}
_MAP_HELPER_IDS = {"bpf_map_lookup_elem": 1}


def map_sites(program: object, helpers: object) -> dict[int, str]:
    """The helper calls (pc → name) to lower natively: ``call 1`` sites whose helper is bpfvm's
    own ``bpf_map_lookup_elem`` — bound with ``functools.partial(fn, vm)``, or the helper
    table's entry (a mapping with ``overrides``, the user's ``vm.helpers``, that does not
    override the id); a user's own helper is always called."""
    from collections.abc import Mapping

    from ..kernel.maps.helpers import MAP_HELPERS

    if not ENABLED or not isinstance(helpers, Mapping):
        return {}
    overrides = getattr(helpers, "overrides", None)

    def ours(number: int, name: str) -> bool:
        fn = helpers.get(number)
        if getattr(fn, "func", None) is MAP_HELPERS[name]:
            return True
        return fn is not None and isinstance(overrides, Mapping) and number not in overrides

    names = {number: name for name, number in _MAP_HELPER_IDS.items() if ours(number, name)}
    if not names:
        return {}
    externs = getattr(program, "externs", {})
    return {insn.pc: names[insn.imm] for insn in getattr(program, "insns", ())
            if insn.spec.op == "call" and insn.imm in names and insn.pc not in externs}


# -- per module -------------------------------------------------------------------------------------

@dataclass
class Natives:
    """The native intrinsics of one LLVM module: ``externs`` (pc → symbol) are the calls to lower."""

    module: ir.Module
    layout: Layout
    externs: dict[int, str]
    helpers: dict[str, ir.Function] = field(default_factory=dict)

    def emit(self, b: ir.IRBuilder, mem: ir.Value, pc: int,
             args: Sequence[ir.Value]) -> tuple[ir.Value, ir.Value | None] | None:
        """Native code for the extern call at ``pc`` with ``args`` (r1..r5), emitted at ``b``:
        ``(r0, None)`` for a call that always succeeds, ``(r0, ok)`` for one whose checks may
        fail (then r0 is meaningless and the caller must call the Python intrinsic), or None
        when the call is not lowered natively."""
        name = self.externs.get(pc)
        if name in _INTEGER:
            arity, integer = _INTEGER[name]
            return integer(b, *args[:arity]), None
        if name in _FLOAT:
            arity, emitter = _FLOAT[name]
            return emitter(_Fp(b), *args[:arity]), None
        if name in _STRING or name in _MAPS:
            arity = (_STRING.get(name) or _MAPS[name])[0]
            pair = b.call(self.helper(name), [mem, *args[:arity]])
            return b.extract_value(pair, 0), b.extract_value(pair, 1)
        return None

    def helper(self, name: str) -> ir.Function:
        """The module's helper function for string function ``name`` (made on first use)."""
        fn = self.helpers.get(name)
        if fn is None:
            arity, body = _STRING[name] if name in _STRING else _MAPS[name]
            fn = ir.Function(self.module, ir.FunctionType(RESULT, [PTR] + [I64] * arity),
                             f"bpfvm.native.{name}")
            fn.linkage = "internal"
            f = _Body(fn, self.layout)
            f.ret(body(f, *f.args))
            self.helpers[name] = fn
        return fn


def eligible(externs: dict[int, str], bound: dict[int, Callable[..., object] | None],
             context: object) -> dict[int, str]:
    """The extern calls (pc → symbol) to lower natively: those bound to bpfvm's own libc.

    ``context`` is the VM (its ``intrinsics`` override libc); without one nothing is lowered.
    """
    user = getattr(context, "intrinsics", None)
    if not ENABLED or user is None:
        return {}
    return {pc: name for pc, name in externs.items()
            if name in NAMES and name not in user and bound.get(pc) is not None}
