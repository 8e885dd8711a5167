"""The IR legaliser on snippets of the IR clang emits: rewrites, declarations, errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from llvmlite import binding

from bpfvm.cc import CompileError, compile_ir
from bpfvm.cc import compile as compile_program
from bpfvm.cc.legalize import FCMP_PREDICATES, LegalizeError, intrinsic_names, legalize
from bpfvm.libc import LIBC
from bpfvm.libc.softfloat import bits64, f64
from bpfvm.vm import ENGINES

HEAD = 'target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"\n' \
       'target triple = "bpfel-unknown-unknown-unknown"\n'


def module(signature: str, *body: str) -> str:
    """A one-function module: ``define <signature> { body… }``."""
    return HEAD + f"define {signature} {{\n" + "".join(f"  {line}\n" for line in body) + "}\n"


def rewritten(signature: str, *body: str) -> str:
    """The legalised module, checked by LLVM's verifier."""
    text = legalize(module(signature, *body))
    binding.parse_assembly(text).verify()
    return text


def test_double_arithmetic_becomes_calls_on_bit_patterns() -> None:
    text = rewritten("double @f(double %0, double %1)", "%3 = fadd fast double %0, %1", "ret double %3")
    assert "bitcast double %0 to i64" in text and "bitcast double %1 to i64" in text
    assert "call i64 @__bpfvm_fadd_f64(i64 %.soft1, i64 %.soft2)" in text
    assert "%3 = bitcast i64 %.soft3 to double" in text
    assert "declare i64 @__bpfvm_fadd_f64(i64, i64) nounwind willreturn memory(none)" in text
    assert " fadd " not in text


@pytest.mark.parametrize("op", ["fadd", "fsub", "fmul", "fdiv", "frem"])
def test_float_operands_are_zero_extended_and_results_truncated(op: str) -> None:
    text = rewritten("float @f(float %a)", f"%r = {op} float %a, 1.500000e+00", "ret float %r")
    assert "zext i32" in text and "bitcast float 1.500000e+00 to i32" in text
    assert f"@__bpfvm_{op}_f32(" in text
    assert "trunc i64" in text and "%r = bitcast i32" in text


@pytest.mark.parametrize("predicate", FCMP_PREDICATES)
def test_fcmp_passes_llvms_predicate_number(predicate: str) -> None:
    text = rewritten("i1 @f(double %a, double %b)", f"%c = fcmp nnan {predicate} double %a, %b", "ret i1 %c")
    assert f"@__bpfvm_fcmp_f64(i64 %.soft1, i64 %.soft2, i64 {FCMP_PREDICATES.index(predicate)})" in text
    assert "%c = icmp ne i64 %.soft3, 0" in text


def test_conversions_widen_and_narrow_integers() -> None:
    text = rewritten("i16 @f(i32 %i, i8 %u, double %d, float %s)",
                     "%a = sitofp i32 %i to double", "%b = uitofp nneg i8 %u to float",
                     "%c = fptosi double %d to i16", "%e = fptoui float %s to i64",
                     "%g = fpext float %s to double", "%h = fptrunc double %d to float", "ret i16 %c")
    assert "sext i32 %i to i64" in text and "@__bpfvm_sitofp_f64(" in text
    assert "zext i8 %u to i64" in text and "@__bpfvm_uitofp_f32(" in text
    assert ", i64 16)" in text and "%c = trunc i64" in text and "to i16" in text
    assert ", i64 64)" in text and "@__bpfvm_fptoui_f32(" in text
    assert "@__bpfvm_fpext_f32(" in text and "@__bpfvm_fptrunc_f64(" in text


def test_math_intrinsics_become_calls_and_bit_operations_stay() -> None:
    source = module("double @f(double %a, double %b)",
                    "%c = tail call double @llvm.fmuladd.f64(double %a, double 5.000000e-01, double %b)",
                    "%d = call fast double @llvm.sqrt.f64(double %c)",
                    "%e = call double @llvm.fabs.f64(double %d)", "%g = fneg double %e", "ret double %g") + \
        "declare double @llvm.fmuladd.f64(double, double, double)\ndeclare double @llvm.sqrt.f64(double)\n" \
        "declare double @llvm.fabs.f64(double)\n"
    text = legalize(source)
    binding.parse_assembly(text).verify()
    assert "@__bpfvm_fmuladd_f64(i64 %.soft1, i64 %.soft2, i64 %.soft3)" in text
    assert "@__bpfvm_sqrt_f64(" in text
    assert "call double @llvm.fabs.f64(double %d)" in text and "%g = fneg double %e" in text


def test_debug_locations_are_kept_on_the_replacement() -> None:
    source = module("double @f(double %a)", "%b = fmul double %a, %a, !dbg !7", "ret double %b")
    text = legalize(source)
    assert all(line.endswith(", !dbg !7") for line in text.splitlines() if ".soft" in line)


def test_unsupported_fp_names_the_construct_and_source_line() -> None:
    source = module("fp128 @f(fp128 %a)", "%b = fadd fp128 %a, %a, !dbg !7", "ret fp128 %b") + \
        '!7 = !DILocation(line: 42, column: 3, scope: !8)\n'
    with pytest.raises(LegalizeError, match=r"prog\.c:42: cannot compile 'fadd fp128 %a, %a'") as info:
        legalize(source, "prog.c")
    assert info.value.construct == "'fadd fp128 %a, %a'"


def test_vectors_are_rejected() -> None:
    with pytest.raises(LegalizeError, match="x double>"):
        legalize(module("<2 x double> @f(<2 x double> %a)", "%b = fadd <2 x double> %a, %a",
                        "ret <2 x double> %b"))


def test_compile_ir_reports_legalisation_failures_as_compile_errors(tmp_path: Path) -> None:
    source = module("half @f(half %a)", "%b = fadd half %a, %a", "ret half %b")
    with pytest.raises(CompileError, match="cannot compile 'fadd half"):
        compile_ir(source, tmp_path / "x.o", name="x.ll")


def test_doubles_compile_by_default_and_not_for_kernel_programs() -> None:
    text = "double scale(double x, int n) { return x * n + 0.5; }"
    program = compile_program(text)
    assert {"__bpfvm_fmul_f64", "__bpfvm_fadd_f64", "__bpfvm_sitofp_f64"} <= set(program.externs.values()) \
        or "__bpfvm_fmuladd_f64" in program.externs.values()
    with pytest.raises(CompileError):
        compile_program(text, kernel=True)


def test_clang_errors_still_raise_compile_error() -> None:
    with pytest.raises(CompileError, match="error:"):
        compile_program("int main(void) { return undeclared; }")


def test_c_vector_arithmetic_names_its_source_line() -> None:
    text = "typedef double v2 __attribute__((vector_size(16)));\nv2 a, b;\nvoid f(void) { a = a * b; }\n"
    with pytest.raises(CompileError, match=r"<source>:3: cannot compile '.*<2 x double>"):
        compile_program(text)


def _run_ir(ir: str, tmp_path: Path, entry: str, *args: int, engine: str = "interpreter") -> int:
    import bpfvm

    obj = compile_ir(HEAD + ir, tmp_path / f"{entry}.o", name="ir.ll")
    return int(bpfvm.VM(engine).run(bpfvm.load(obj.read_bytes(), name="ir"), *args, entry=entry))


SPECIAL = [0.0, -0.0, 1.5, -1.5, 2.5, -2.5, 1e10, -1e10, 3e9, -3e9, 1e300, math.inf, -math.inf, math.nan,
           4503599627370497.0, 0.49999999999999994, 2.0**63, -(2.0**63)]


@pytest.mark.parametrize("engine", ENGINES)
def test_saturating_conversions_clamp_and_map_nan_to_zero(tmp_path: Path, engine: str) -> None:
    ir = """define i64 @f(double %x) {
  %s = call i32 @llvm.fptosi.sat.i32.f64(double %x)
  %u = call i16 @llvm.fptoui.sat.i16.f64(double %x)
  %a = zext i32 %s to i64
  %b = zext i16 %u to i64
  %c = shl i64 %b, 32
  %r = or i64 %a, %c
  ret i64 %r
}
declare i32 @llvm.fptosi.sat.i32.f64(double)
declare i16 @llvm.fptoui.sat.i16.f64(double)
"""
    for x in SPECIAL:
        got = _run_ir(ir, tmp_path, "f", bits64(x), engine=engine)
        assert got == (_clamped(x, -(2**31), 2**31 - 1) & 0xFFFFFFFF) | _clamped(x, 0, 0xFFFF) << 32, x


def _clamped(x: float, low: int, high: int) -> int:
    """The saturating conversion's definition: toward zero, clamped; NaN is 0."""
    if x != x:
        return 0
    return max(low, min(high, math.trunc(x))) if math.isfinite(x) else high if x > 0 else low


@pytest.mark.parametrize("engine", ENGINES)
def test_sincos_ldexp_i64_and_minimumnum(tmp_path: Path, engine: str) -> None:
    ir = """define double @f(double %x, i64 %n) {
  %sc = call { double, double } @llvm.sincos.f64(double %x)
  %s = extractvalue { double, double } %sc, 0
  %c = extractvalue { double, double } %sc, 1
  %l = call double @llvm.ldexp.f64.i64(double %s, i64 %n)
  %m = call double @llvm.minimumnum.f64(double %l, double %c)
  ret double %m
}
declare { double, double } @llvm.sincos.f64(double)
declare double @llvm.ldexp.f64.i64(double, i64)
declare double @llvm.minimumnum.f64(double, double)
"""
    for x in (0.5, -2.0, 3.0, math.nan):
        for n in (0, 3, -1080, 5000):
            scaled = LIBC["ldexp"].fn(bits64(math.sin(x)), n & 0xFFFFFFFF)
            expected = LIBC["fmin"].fn(scaled, bits64(math.cos(x)))
            got = _run_ir(ir, tmp_path, "f", bits64(x), n & (2**64 - 1), engine=engine)
            assert f64(got) == f64(expected) or (math.isnan(f64(got)) and math.isnan(f64(expected)))


def test_every_emitted_intrinsic_is_in_libc() -> None:
    names = intrinsic_names()
    assert {"__bpfvm_powi_f64", "__bpfvm_frexpexp_f32", "__bpfvm_lround_f64"} <= set(names)
    assert [name for name in names if name not in LIBC] == []
