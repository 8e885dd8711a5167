"""Variadic functions on variadic blocks, and structs by value as pointers (IR rewrites)."""

from __future__ import annotations

from llvmlite import binding

from bpfvm.cc.aggregates import lower_aggregates, lower_memory_intrinsics
from bpfvm.cc.argblock import spill_arguments
from bpfvm.cc.thunks import add_thunks
from bpfvm.cc.varargs import lower_varargs

HEAD = 'target triple = "bpfel-unknown-unknown-unknown"\n'

SUM = """define i64 @sum(i32 noundef %0, ...) {
  %2 = alloca ptr, align 8
  %3 = alloca ptr, align 8
  call void @llvm.va_start.p0(ptr nonnull %2)
  %4 = va_arg ptr %2, i64
  call void @llvm.va_copy.p0(ptr nonnull %3, ptr nonnull %2)
  %5 = va_arg ptr %3, double
  call void @llvm.va_end.p0(ptr nonnull %3)
  call void @llvm.va_end.p0(ptr nonnull %2)
  %6 = fptosi double %5 to i64
  %7 = add i64 %4, %6
  ret i64 %7
}
declare void @llvm.va_start.p0(ptr)
declare void @llvm.va_copy.p0(ptr, ptr)
declare void @llvm.va_end.p0(ptr)
"""


def verified(ir: str) -> str:
    text = spill_arguments(lower_varargs(lower_aggregates(HEAD + ir)))
    binding.parse_assembly(text).verify()
    return text


def test_a_variadic_definition_takes_its_block_and_walks_it() -> None:
    text = verified(SUM)
    assert "define i64 @sum(i32 noundef %0, ptr noundef %.bpfvm.va)" in text
    assert "store ptr %.bpfvm.va, ptr %2, align 8" in text
    assert "%4 = load i64, ptr %.bpfvm.v1, align 8" in text
    assert "%.bpfvm.v2 = getelementptr inbounds i8, ptr %.bpfvm.v1, i64 8" in text
    assert "va_arg" not in text and "call void @llvm.va_" not in text


def test_calls_store_their_variadic_arguments_in_one_block() -> None:
    text = verified(SUM + """declare i32 @ext(ptr, ...)
define i64 @caller(ptr %f, i8 %c) {
  %1 = tail call i64 (i32, ...) @sum(i32 noundef 2, i64 noundef 1, double noundef 2.5)
  %2 = call i32 (ptr, ...) @ext(ptr %f, i8 signext %c, i32 zeroext 7, ptr %f)
  %3 = call i64 (i32, ...) %f(i32 0)
  ret i64 %1
}
""")
    assert "declare i32 @ext(ptr, ptr)" in text
    assert "%.bpfvm.vaout = alloca [3 x i64], align 8" in text
    assert "store double 2.5, ptr" in text
    assert "sext i8 %c to i64" in text and "zext i32 7 to i64" in text
    assert "%1 = call i64 @sum(i32 noundef 2, ptr %.bpfvm.vaout)" in text  # no tail call
    assert "%3 = call i64 %f(i32 0, ptr %.bpfvm.vaout)" in text


def test_printf_calls_become_packed_calls() -> None:
    text = verified("""@s = constant [3 x i8] c"%d\\00"
declare i32 @snprintf(ptr, i64, ptr, ...)
define i32 @f(ptr %buf) {
  %1 = call i32 (ptr, i64, ptr, ...) @snprintf(ptr %buf, i64 8, ptr @s, i32 1, i32 2, i32 3, i32 4, i32 5)
  ret i32 %1
}
""")
    assert "%1 = call i32 @__bpfvm_snprintf(ptr %buf, i64 8, ptr @s, ptr %.bpfvm.vaout, i32 5)" in text
    assert "declare i32 @__bpfvm_snprintf(ptr, i64, ptr, ptr, i32)" in text


def test_many_fixed_parameters_and_variadic_ones_use_both_blocks() -> None:
    text = verified("""define i64 @wide(i64 %0, i64 %1, i64 %2, i64 %3, i64 %4, i64 %5, ...) {
  ret i64 %5
}
define i64 @g() {
  %1 = call i64 (i64, i64, i64, i64, i64, i64, ...) @wide(i64 1, i64 2, i64 3, i64 4, i64 5, i64 6, i32 7)
  ret i64 %1
}
""")
    assert "define i64 @wide(i64 %0, i64 %1, i64 %2, i64 %3, ptr noundef %.bpfvm.argblock)" in text
    assert "%.bpfvm.va = load ptr, ptr %.bpfvm.argblock.2, align 8" in text
    assert "store ptr %.bpfvm.vaout, ptr %.bpfvm.arg3, align 8" in text


def test_structs_by_value_become_pointers_and_the_callee_copies() -> None:
    text = verified("""%struct.big = type { i64, i64, i64 }
define void @mk(ptr sret(%struct.big) align 8 %0, i64 %1) {
  store i64 %1, ptr %0, align 8
  ret void
}
define i64 @take(ptr noundef byval(%struct.big) align 8 %0) {
  store i64 0, ptr %0, align 8
  %2 = getelementptr inbounds i8, ptr %0, i64 8
  %3 = load i64, ptr %2, align 8
  ret i64 %3
}
declare i64 @ext(ptr byval(%struct.big) align 8)
define i64 @use() {
  %1 = alloca %struct.big, align 8
  call void @mk(ptr sret(%struct.big) align 8 %1, i64 3)
  %2 = call i64 @take(ptr byval(%struct.big) align 8 %1)
  ret i64 %2
}
""")
    assert "sret(" not in text and "byval(" not in text
    assert "%.bpfvm.byval.0 = alloca %struct.big, align 8" in text
    assert "store i64 0, ptr %.bpfvm.byval.0, align 8" in text  # the copy, not the caller's struct
    assert "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1 immarg)" in text


def test_a_coerced_struct_beyond_the_fifth_argument_takes_two_slots() -> None:
    text = verified("""define i64 @f(i64 %0, i64 %1, i64 %2, i64 %3, i64 %4, [2 x i64] %5, i32 %6) {
  %8 = extractvalue [2 x i64] %5, 1
  ret i64 %8
}
define i64 @g([2 x i64] %s) {
  %1 = call i64 @f(i64 1, i64 2, i64 3, i64 4, i64 5, [2 x i64] %s, i32 7)
  ret i64 %1
}
""")
    assert "%.bpfvm.param5 = load [2 x i64], ptr %.bpfvm.argblock.1, align 8" in text
    assert "%.bpfvm.argblock.2 = getelementptr inbounds i8, ptr %.bpfvm.argblock, i64 24" in text
    assert "%.bpfvm.out = alloca [4 x i64], align 8" in text


def test_structs_through_varargs_take_their_slots_or_one_for_their_address() -> None:
    text = verified("""declare i32 @v(i32, ...)
define i32 @g([2 x i64] %pair, i24 %odd, ptr %big) {
  %1 = call i32 (i32, ...) @v(i32 3, [2 x i64] %pair, i24 %odd, ptr byval(%struct.big) %big, double 1.0)
  ret i32 %1
}
%struct.big = type { [5 x i64] }
""")
    assert "%.bpfvm.vaout = alloca [5 x i64], align 8" in text
    assert "store [2 x i64] %pair, ptr %.bpfvm.v1, align 8" in text
    assert "getelementptr inbounds i8, ptr %.bpfvm.vaout, i64 16" in text and "sext i24 %odd to i64" in text
    assert "store ptr %big, ptr %.bpfvm.v4, align 8" in text
    assert "getelementptr inbounds i8, ptr %.bpfvm.vaout, i64 32" in text


def test_libc_functions_used_as_values_get_thunks() -> None:
    ir = HEAD + """@table = global [2 x ptr] [ptr @printf, ptr @puts]
declare i32 @printf(ptr, ...)
declare i32 @puts(ptr)
declare i32 @mine(ptr)
define i32 @f(ptr %s) {
  %1 = call i32 @puts(ptr %s)
  %2 = call i32 @apply(ptr @puts, ptr @mine)
  ret i32 %2
}
declare i32 @apply(ptr, ptr)
"""
    text = add_thunks(lower_varargs(ir), {"printf", "puts"})
    binding.parse_assembly(text).verify()
    assert '@table = global [2 x ptr] [ptr @"bpfvm.thunk.printf", ptr @"bpfvm.thunk.puts"]' in text
    assert "%1 = call i32 @puts(ptr %s)" in text  # direct calls stay
    assert 'call i32 @apply(ptr @"bpfvm.thunk.puts", ptr @mine)' in text  # only libc functions
    assert "call i32 @vprintf(ptr %0, ptr %1)" in text and "declare i32 @vprintf(ptr, ptr)" in text


def test_memory_intrinsics_too_big_to_inline_become_libc_calls() -> None:
    ir = HEAD + """define void @f(ptr %d, ptr %s, i64 %n, i8 %c) {
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %d, ptr align 8 %s, i64 256, i1 false)
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %d, ptr align 8 %s, i64 1024, i1 false)
  call void @llvm.memset.p0.i64(ptr align 1 %d, i8 %c, i64 100, i1 false)
  tail call void @llvm.memmove.p0.p0.i64(ptr noundef align 4 dereferenceable(8) %d, ptr %s, i64 %n, i1 0)
  ret void
}
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1 immarg)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1 immarg)
declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1 immarg)
"""
    text = lower_memory_intrinsics(ir)
    binding.parse_assembly(text).verify()
    assert "@llvm.memcpy.p0.p0.i64(ptr align 8 %d, ptr align 8 %s, i64 256, i1 false)" in text  # 32 stores
    assert "call ptr @memcpy(ptr %d, ptr %s, i64 1024)" in text  # 128 stores
    assert "zext i8 %c to i32" in text and "call ptr @memset(ptr %d, i32 %.bpfvm.mem" in text
    assert "call ptr @memmove(ptr %d, ptr %s, i64 %n)" in text
    assert "declare ptr @memset(ptr, i32, i64)" in text
