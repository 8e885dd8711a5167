"""The argument-block calling convention for functions of more than five arguments."""

from __future__ import annotations

from llvmlite import binding

from bpfvm.cc.argblock import spill_arguments

HEAD = 'target triple = "bpfel-unknown-unknown-unknown"\n'

CALLEE = """define i64 @seven(i64 noundef %0, i64 %1, i64 %2, i64 %3, i32 noundef %4, ptr %5, double %6) #0 {
  %8 = icmp sgt i32 %4, 0
  br i1 %8, label %9, label %11

9:                                                ; preds = %7
  %10 = load i64, ptr %5
  br label %11

11:
  %12 = phi i64 [ %10, %9 ], [ %0, %7 ]
  ret i64 %12
}
attributes #0 = { nounwind memory(none) }
"""


def verified(ir: str) -> str:
    text = spill_arguments(HEAD + ir)
    binding.parse_assembly(text).verify()
    return text


def test_definition_takes_four_registers_and_a_block() -> None:
    text = verified(CALLEE)
    assert "@seven(i64 noundef %0, i64 %1, i64 %2, i64 %3, ptr noundef %.bpfvm.argblock)" in text
    assert "\n7:\n" in text  # the entry block keeps the number phis refer to
    assert "%.bpfvm.param4 = load i32, ptr %.bpfvm.argblock.0, align 8" in text
    assert "%.bpfvm.param6 = load double, ptr %.bpfvm.argblock.2, align 8" in text
    assert "icmp sgt i32 %.bpfvm.param4, 0" in text and "load i64, ptr %.bpfvm.param5" in text
    assert "memory(none)" not in text


def test_calls_store_arguments_into_the_callers_block() -> None:
    caller = """define i64 @main(ptr %fn) {
  %1 = tail call i64 @seven(i64 1, i64 2, i64 3, i64 4, i32 5, ptr null, double 1.5)
  %2 = call i64 %fn(i64 1, i64 2, i64 3, i64 4, i64 5, i64 6)
  ret i64 %2
}
"""
    text = verified(CALLEE + caller)
    assert "%.bpfvm.out = alloca [3 x i64], align 8" in text
    assert "store i32 5, ptr %.bpfvm.arg1, align 8" in text
    assert "store double 1.5, ptr %.bpfvm.arg3, align 8" in text
    assert "%1 = call i64 @seven(i64 1, i64 2, i64 3, i64 4, ptr %.bpfvm.out)" in text  # no tail call
    assert "%2 = call i64 %fn(i64 1, i64 2, i64 3, i64 4, ptr %.bpfvm.out)" in text


def test_five_arguments_variadic_calls_and_intrinsics_are_left_alone() -> None:
    ir = """declare i32 @printf(ptr, ...)
declare void @five(i64, i64, i64, i64, i64)
define void @f(ptr %p) {
  call void @five(i64 1, i64 2, i64 3, i64 4, i64 5)
  %1 = call i32 (ptr, ...) @printf(ptr %p, i64 1, i64 2, i64 3, i64 4, i64 5, i64 6)
  ret void
}
"""
    assert verified(ir) == HEAD + ir


def test_declarations_follow_the_convention() -> None:
    text = verified("declare i64 @ext(i64, i64, i64, i64, i64, i64 noundef)\n")
    assert "declare i64 @ext(i64, i64, i64, i64, ptr)" in text


def test_constant_expression_arguments_keep_their_spaces() -> None:
    ir = """@s = global [4 x i8] c"abc\\00"
declare void @six(i64, i64, i64, i64, ptr, ptr)
define void @f() {
  call void @six(i64 1, i64 2, i64 3, i64 4, ptr nonnull @s, ptr getelementptr inbounds (i8, ptr @s, i64 1))
  ret void
}
"""
    text = verified(ir)
    assert "store ptr @s, ptr %.bpfvm.arg1, align 8" in text
    assert "store ptr getelementptr inbounds (i8, ptr @s, i64 1), ptr %.bpfvm.arg2, align 8" in text
