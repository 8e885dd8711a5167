"""Stack frames over 512 bytes: the limit given to the backend and recorded in the object."""

from __future__ import annotations

import pytest

import bpfvm
from bpfvm.toolchain import STACK_SIZE, CompileError, compile_c, stack_size_of
from bpfvm.toolchain import compile as compile_program

BIG = """
__attribute__((noinline)) int fill(int n) {
    volatile char buf[2000];
    for (int i = 0; i < 2000; i++) buf[i] = i;
    return buf[n] + (n > 0 ? fill(n - 1) : 0); }
int main(int argc, char **argv) { return fill(argc + 9) & 0xff; }
"""


def test_the_default_limit_is_the_vms_default_frame() -> None:
    assert STACK_SIZE == 512 == bpfvm.VM().stack_size
    with pytest.raises(CompileError, match="stack limit is exceeded"):
        compile_c(BIG)


def test_a_larger_limit_is_recorded_and_runs_in_frames_that_large() -> None:
    program = compile_program(BIG, stack_size=4096)
    assert program.frame_size == 4096
    assert bpfvm.VM(stack_size=4096).run_main(program, ["big"]) == sum(range(11))


def test_the_limit_may_come_from_the_flags_but_not_twice() -> None:
    obj = compile_c(BIG, flags=["-mllvm", "-bpf-stack-size=2048"])
    assert stack_size_of(obj) == 2048
    assert stack_size_of(compile_c("int main(void) { return 0; }")) == STACK_SIZE
    with pytest.raises(CompileError, match="contradicts"):
        compile_c(BIG, flags=["-mllvm", "-bpf-stack-size=2048"], stack_size=4096)
    with pytest.raises(CompileError, match="multiple of 8"):
        compile_c(BIG, stack_size=1004)
