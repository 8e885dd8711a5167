"""Stack frames: the limit given to the backend, recorded in the object, and followed by the VM."""

from __future__ import annotations

import pytest

import bpfvm
from bpfvm.asm import assemble
from bpfvm.cc import STACK_SIZE, CompileError, compile_c, stack_size_of
from bpfvm.cc import compile as compile_program
from bpfvm.errors import ProgramError, TrapKind, VmTrap
from bpfvm.vm import ENGINES, KERNEL_FRAME, MAX_FRAME

BIG = """
__attribute__((noinline)) int fill(int n) {
    volatile char buf[%d];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = i;
    return buf[n] + (n > 0 ? fill(n - 1) : 0); }
int main(int argc, char **argv) { return fill(argc + 9) & 0xff; }
"""


def test_the_default_limit_is_the_vms_largest_default_frame() -> None:
    assert STACK_SIZE == MAX_FRAME == 16384 and bpfvm.VM().stack_size is None
    assert stack_size_of(compile_c("int main(void) { return 0; }")) == STACK_SIZE
    with pytest.raises(CompileError, match="stack limit is exceeded"):
        compile_c(BIG % 20000)


@pytest.mark.parametrize("engine", ENGINES)
def test_ordinary_frames_compile_and_run_by_default(engine: str) -> None:
    program = compile_program(BIG % 4000)
    assert program.frame_size == STACK_SIZE
    assert bpfvm.VM(engine).run_main(program, ["big"]) == sum(range(11))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_frame_follows_the_program_to_the_full_call_depth(engine: str) -> None:
    """128 nested 16 KiB frames fit the default VM's stack; the 129th call is too deep."""
    deep = BIG.replace("argc + 9", "argc * 126") % 12000
    assert bpfvm.VM(engine).run_main(compile_program(deep), ["deep"]) == sum(range(127)) & 0xFF
    with pytest.raises(VmTrap) as info:
        bpfvm.VM(engine).run_main(compile_program(deep.replace("argc * 126", "argc * 127")), ["x"])
    assert info.value.kind == TrapKind.CALL_DEPTH


@pytest.mark.parametrize("engine", ENGINES)
def test_programs_without_a_record_keep_the_kernels_frame(engine: str) -> None:
    inside = assemble(f"stxdw [r10-{KERNEL_FRAME}], r1\nmov r0, 1\nexit")
    outside = assemble(f"stxdw [r10-{KERNEL_FRAME + 8}], r1\nmov r0, 1\nexit")
    vm = bpfvm.VM(engine)
    assert vm.run(inside) == 1
    with pytest.raises(VmTrap) as info:
        vm.run(outside)
    assert info.value.kind == TrapKind.STACK_OVERFLOW
    assert bpfvm.VM(engine, stack_size=1024).run(outside) == 1


def test_a_larger_limit_is_recorded_and_needs_a_vm_that_large() -> None:
    program = compile_program(BIG % 30000, stack_size=32768)
    assert program.frame_size == 32768
    with pytest.raises(ProgramError, match="stack_size=32768"):
        bpfvm.VM().run_main(program, ["big"])
    assert bpfvm.VM(stack_size=32768).run_main(program, ["big"]) == sum(range(11))


def test_the_limit_may_come_from_the_flags_but_not_twice() -> None:
    obj = compile_c(BIG % 2000, flags=["-mllvm", "-bpf-stack-size=2048"])
    assert stack_size_of(obj) == 2048
    with pytest.raises(CompileError, match="contradicts"):
        compile_c(BIG % 2000, flags=["-mllvm", "-bpf-stack-size=2048"], stack_size=4096)
    with pytest.raises(CompileError, match="multiple of 8"):
        compile_c(BIG % 2000, stack_size=1004)
