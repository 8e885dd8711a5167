"""The IEEE-754 intrinsics, printf's float conversions and strtod against IEEE and glibc."""

from __future__ import annotations

import ctypes
import math
import random
import struct

import pytest

from bpfvm.libc import LIBC
from bpfvm.libc.libm import parse_float
from bpfvm.libc.printf import format_printf
from bpfvm.libc.softfloat import DEFAULT_NAN, bits32, bits64, f32, f64

libc = ctypes.CDLL(None)
glibc = pytest.mark.skipif(not hasattr(libc, "gnu_get_libc_version"), reason="needs glibc")
NAN = bits64(math.nan)
INF = bits64(math.inf)


def call(name: str, *args: int) -> int:
    return int(LIBC[name].fn(*args))


def d(name: str, *args: float) -> float:
    return f64(call(name, *map(bits64, args)))


def test_bit_patterns_round_trip() -> None:
    assert bits64(1.5) == 0x3FF8000000000000 and f64(0x3FF8000000000000) == 1.5
    assert bits32(1.5) == 0x3FC00000 and f32(0xFFFFFFFF_3FC00000) == 1.5  # high half ignored
    assert bits32(1e39) == 0x7F800000 and bits32(-1e39) == 0xFF800000
    assert bits32(3.4028235e38) == 0x7F7FFFFF  # above FLT_MAX, rounds down to it: no overflow
    assert bits32(3.4028235677973366e38) == 0x7F800000  # halfway to 2**128: to even, infinity


def test_division_by_zero_and_invalid_operations() -> None:
    assert d("__bpfvm_fdiv_f64", 1.0, 0.0) == math.inf
    assert d("__bpfvm_fdiv_f64", 1.0, -0.0) == -math.inf
    assert d("__bpfvm_fdiv_f64", -1.0, 0.0) == -math.inf
    assert call("__bpfvm_fdiv_f64", bits64(0.0), bits64(0.0)) == bits64(DEFAULT_NAN) == 0xFFF8000000000000
    assert call("__bpfvm_fdiv_f64", NAN, bits64(0.0)) == NAN  # a NaN operand propagates
    assert call("__bpfvm_frem_f64", bits64(1.0), bits64(0.0)) == 0xFFF8000000000000
    assert d("__bpfvm_frem_f64", -7.5, 2.0) == -1.5
    assert d("__bpfvm_frem_f64", 3.0, math.inf) == 3.0


def test_single_precision_rounds_after_each_operation() -> None:
    tenth = bits32(0.1)
    total = 0
    for _ in range(10):
        total = call("__bpfvm_fadd_f32", total, tenth)
    assert f32(total) == struct.unpack("<f", struct.pack("<f", 1.0000001192092896))[0]
    third = call("__bpfvm_fdiv_f32", bits32(1.0), bits32(3.0))
    assert third == 0x3EAAAAAB


def test_fcmp_predicates_with_nan() -> None:
    from bpfvm.cc.legalize import FCMP_PREDICATES

    pred = {name: i for i, name in enumerate(FCMP_PREDICATES)}
    one, two = bits64(1.0), bits64(2.0)
    assert call("__bpfvm_fcmp_f64", one, two, pred["olt"]) == 1
    assert call("__bpfvm_fcmp_f64", one, NAN, pred["olt"]) == 0
    assert call("__bpfvm_fcmp_f64", one, NAN, pred["ult"]) == 1
    assert call("__bpfvm_fcmp_f64", NAN, NAN, pred["une"]) == 1
    assert call("__bpfvm_fcmp_f64", NAN, NAN, pred["oeq"]) == 0
    assert call("__bpfvm_fcmp_f64", bits64(-0.0), bits64(0.0), pred["oeq"]) == 1
    assert call("__bpfvm_fcmp_f64", one, one, pred["true"]) == 1
    assert call("__bpfvm_fcmp_f32", bits32(2.0), bits32(1.0), pred["ogt"]) == 1


def test_integer_conversions_round_once() -> None:
    value = 2**60 + 2**36 + 1  # through a double it would round to even, down to 2**60
    assert call("__bpfvm_sitofp_f32", value) == bits32(2.0**60 + 2.0**37)
    assert f64(call("__bpfvm_uitofp_f64", 2**64 - 1)) == 2.0**64
    assert f64(call("__bpfvm_sitofp_f64", 2**64 - 1)) == -1.0
    assert f32(call("__bpfvm_uitofp_f32", 2**64 - 1)) == 2.0**64


def test_out_of_range_truncation_gives_x86_integer_indefinite() -> None:
    assert call("__bpfvm_fptosi_f64", bits64(-2.9), 32) == 2**64 - 2
    assert call("__bpfvm_fptosi_f64", bits64(3e9), 32) == 0x80000000
    assert call("__bpfvm_fptosi_f64", NAN, 64) == 1 << 63
    assert call("__bpfvm_fptosi_f64", bits64(1e19), 64) == 1 << 63
    assert call("__bpfvm_fptoui_f64", bits64(1e19), 64) == 10**19
    assert call("__bpfvm_fptoui_f64", bits64(4e9), 32) == 4 * 10**9
    assert call("__bpfvm_fptosi_f32", bits32(-1.5), 8) == 2**64 - 1


def test_fma_is_fused_and_fmuladd_is_not() -> None:
    assert d("__bpfvm_fma_f64", 0.1, 10.0, -1.0) == 5.551115123125783e-17
    assert d("__bpfvm_fmuladd_f64", 0.1, 10.0, -1.0) == 0.0
    assert d("fma", 1e308, 10.0, -math.inf) == -math.inf


def test_rounding_functions_keep_signed_zero() -> None:
    assert math.copysign(1.0, d("floor", -0.0)) == -1.0
    assert math.copysign(1.0, d("ceil", -0.5)) == -1.0
    assert [d("round", x) for x in (2.5, -2.5, 0.49999999999999994)] == [3.0, -3.0, 0.0]
    assert [d("rint", x) for x in (2.5, 3.5, -0.5)] == [2.0, 4.0, -0.0]
    assert d("trunc", -1e300) == -1e300 and math.isnan(d("floor", math.nan))


def test_libm_edge_cases_are_cs_not_pythons() -> None:
    assert d("log", 0.0) == -math.inf
    assert d("exp", 1000.0) == math.inf
    assert d("pow", 0.0, -1.0) == math.inf and d("pow", -0.0, -3.0) == -math.inf
    assert d("pow", -2.0, 1e10) == math.inf and d("pow", -10.0, 401.0) == -math.inf
    assert call("sqrt", bits64(-1.0)) == 0xFFF8000000000000
    assert d("sinh", -1000.0) == -math.inf
    assert d("fmin", math.nan, 2.0) == 2.0 and math.isnan(d("__bpfvm_minimum_f64", math.nan, 2.0))
    assert f32(call("sqrtf", bits32(2.0))) == struct.unpack("<f", struct.pack("<f", math.sqrt(2.0)))[0]


@glibc
def test_printf_float_conversions_match_glibc() -> None:
    libc.snprintf.restype = ctypes.c_int
    rng = random.Random(8)
    values = [0.0, -0.0, 1.0, 0.5, 1.5, 0.1, 1 / 3, 1e300, 5e-324, 2.2250738585072014e-308, 123456.789,
              -9.999, math.inf, -math.inf, 0.9999999, 1e-5, 1e15, 1e16]
    values += [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(40)]
    formats = [b"%f", b"%e", b"%g", b"%a", b"%A", b"%.0a", b"%.1a", b"%.3a", b"%#.0a", b"%15.4a",
               b"%-+12.3e|", b"%#g", b"%#.0f", b"% 010.2f", b"%G", b"%.20g", b"%E", b"%F", b"%.0e", b"%+a",
               b"%010a"]
    for value in values:
        if math.isnan(value):
            continue
        for fmt in formats:
            buf = ctypes.create_string_buffer(512)
            size = libc.snprintf(buf, 512, fmt, ctypes.c_double(value))
            assert format_printf(fmt, [bits64(value)]) == buf.raw[:size], (fmt, value)


def test_printf_nan_spellings() -> None:
    values = [NAN, NAN, 0xFFF8000000000000, NAN, NAN, NAN, NAN]
    assert format_printf(b"%f %F %e %g %5.1f|%-5a|%+f", values) == b"nan NAN -nan nan   nan|nan  |+nan"
    assert format_printf(b"%05f %+E", [INF, bits64(-math.inf)]) == b"  inf -INF"


@glibc
def test_strtod_matches_glibc() -> None:
    libc.strtod.restype = ctypes.c_double
    libc.strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    for text in [b"0", b"  -1.5e3x", b"1e400", b"-1e-400", b"0x1.8p3", b"0x.8", b"0x1p", b"inf", b"INFINITY",
                 b"-nan(abc)", b".5", b"5.", b"1e", b"e5", b"+-1", b"", b"0x", b"4.9406564584124654e-324",
                 b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946556547447190000000000000000000000000000000000"]:
        buf = ctypes.create_string_buffer(text)
        end = ctypes.c_char_p()
        expected = libc.strtod(buf, ctypes.byref(end))
        used = (ctypes.cast(end, ctypes.c_void_p).value or 0) - (ctypes.addressof(buf))
        value, ours_used = parse_float(text)
        assert ours_used == used, text
        assert bits64(value) == bits64(expected) or (math.isnan(value) and math.isnan(expected)), text


def _same(ours: float, reference: float) -> bool:
    return bits64(ours) == bits64(reference) or (math.isnan(ours) and math.isnan(reference))


@pytest.mark.parametrize("op", ["fadd", "fsub", "fmul", "fdiv"])
def test_single_precision_matches_numpy_float32(op: str) -> None:
    np = pytest.importorskip("numpy")
    ufunc = {"fadd": np.add, "fsub": np.subtract, "fmul": np.multiply, "fdiv": np.divide}[op]
    rng = random.Random(op)
    patterns = [rng.getrandbits(32) for _ in range(3000)] + [0, 0x80000000, 0x7F800000, 1, 0x7F7FFFFF]
    with np.errstate(all="ignore"):
        for a, b in zip(patterns, reversed(patterns)):
            expected = float(ufunc(np.uint32(a).view(np.float32), np.uint32(b).view(np.float32)))
            assert _same(f32(call(f"__bpfvm_{op}_f32", a, b)), expected), (op, hex(a), hex(b))


def test_conversions_match_numpy() -> None:
    np = pytest.importorskip("numpy")
    rng = random.Random(5)
    for _ in range(2000):
        value = rng.getrandbits(rng.choice([8, 24, 25, 53, 54, 63, 64]))
        signed = value - (1 << 64) if value >> 63 else value
        assert f32(call("__bpfvm_uitofp_f32", value)) == float(np.uint64(value).astype(np.float32))
        assert f32(call("__bpfvm_sitofp_f32", value)) == float(np.int64(signed).astype(np.float32))
        assert f64(call("__bpfvm_uitofp_f64", value)) == float(np.uint64(value).astype(np.float64))
        double = rng.getrandbits(64)
        with np.errstate(all="ignore"):
            expected = float(np.uint64(double).view(np.float64).astype(np.float32))
        assert _same(f32(call("__bpfvm_fptrunc_f64", double)), expected), hex(double)
