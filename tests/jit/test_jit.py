"""The LLVM JIT against the interpreter (the reference): same r0, traps, counts and memory.

The corpora (tests/corpus) run through the JIT via ``bpfvm.vm.ENGINES``; here are the
JIT-specific paths: differential random programs, exceptions crossing the native callback,
budget exhaustion inside blocks, call depth, callx, and C programs with intrinsics and
guest callbacks (qsort).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import bpfvm
from bpfvm import VM, BpfError, VmTrap
from bpfvm.errors import TrapKind
from bpfvm.isa import encode, make
from bpfvm.vm import ENGINES

from ..interpreter.test_random import CONTROL, HELPERS, RUNS, program

Outcome = tuple[Any, ...]


def outcome(engine: str, code: bytes, budget: int = 10_000, **vm_args: Any) -> Outcome:
    """Everything observable of one run: result or trap, instructions executed, final mem."""
    vm = VM(engine, max_instructions=budget, helpers=HELPERS, **vm_args)
    mem = bytearray(range(64))
    try:
        result: tuple[Any, ...] = ("r0", vm.run(code, mem=mem))
    except VmTrap as trap:
        result = ("trap", trap.kind, trap.pc, trap.addr, str(trap))
    except BpfError as err:
        return ("error", type(err).__name__, str(err))
    return result, vm.instructions, bytes(mem)


def same(code: bytes, **kw: Any) -> Outcome:
    jit = outcome("jit", code, **kw)
    assert jit == outcome("interpreter", code, **kw)
    return jit


def test_jit_is_an_engine() -> None:
    assert "jit" in ENGINES


@RUNS
@given(code=program())
def test_random_programs_agree(code: bytes) -> None:
    same(code)


@RUNS
@given(code=program(CONTROL))
def test_random_control_flow_agrees(code: bytes) -> None:
    same(code, budget=500)


LOOP = """
    mov %r0, 0
    mov %r2, 0
loop:
    add %r0, 3
    stxdw [%r1], %r0
    ldxdw %r3, [%r1]
    add %r2, 1
    jlt %r2, 100, loop
    exit
"""


@pytest.mark.parametrize("budget", [0, 1, 2, 3, 4, 5, 6, 7, 8, 40, 41, 42, 43, 44, 45, 46, 502, 503])
def test_budget_ends_inside_blocks(budget: int) -> None:
    """Every budget: the trap pc, the count and the stores before it match the interpreter."""
    same(bpfvm.assemble(LOOP), budget=budget)


def test_helper_exception_is_reraised_with_pc() -> None:
    def boom(*args: int) -> int:
        raise ValueError("helper failed")

    vm = VM("jit", helpers={7: boom})
    with pytest.raises(ValueError, match="helper failed") as info:
        vm.run(bpfvm.assemble("mov %r1, 1\ncall 7\nexit"))
    assert info.value.bpf_pc == 1  # type: ignore[attr-defined]
    assert vm.instructions == 2


def test_program_exit_from_helper() -> None:
    def stop(*args: int) -> int:
        raise bpfvm.ProgramExit(42)

    assert VM("jit", helpers={1: stop}).run(bpfvm.assemble("call 1\nmov %r0, 7\nexit")) == 42


@pytest.mark.parametrize("depth", [1, 2, 8])
def test_call_depth(depth: int) -> None:
    code = bpfvm.assemble("call local f\nexit\nf:\ncall local f\nexit")
    assert same(code, max_call_depth=depth)[0][:3] == ("trap", TrapKind.CALL_DEPTH, 2 if depth > 1 else 0)


def test_stack_overflow_and_null() -> None:
    assert same(bpfvm.assemble("stdw [%r10-520], 1\nexit"))[0][1] is TrapKind.STACK_OVERFLOW
    assert same(bpfvm.assemble("mov %r1, 8\nldxw %r0, [%r1]\nexit"))[0][1] is TrapKind.OUT_OF_BOUNDS


def test_callx_to_function_and_helper() -> None:
    """callx through a function pointer (lddw src=4) and to a helper id."""
    to_function = encode([
        make("lddw", dst=6, src=4, imm=5),  # f at slot 0 + 1 + 5 = 6
        make("mov64_imm", dst=1, imm=5, pc=2),
        make("callx", dst=6, pc=3),
        make("add64_imm", dst=0, imm=1, pc=4),
        make("exit", pc=5),
        make("mov64_reg", dst=0, src=1, pc=6),
        make("exit", pc=7),
    ])
    assert same(to_function)[0] == ("r0", 6)
    to_helper = bpfvm.assemble("mov %r1, 5\nmov %r2, 3\nmov %r6, 1\ncallx %r6\nexit")
    assert same(to_helper)[0] == ("r0", 5 ^ 3)
    assert same(bpfvm.assemble("mov %r6, 77\ncallx %r6\nexit"))[0][1] is TrapKind.BAD_CALL_TARGET


C_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv) {
    int v[] = {5, 3, 9, 1, 7};
    qsort(v, 5, sizeof v[0], cmp);
    for (int i = 0; i < 5; i++) printf("%d ", v[i]);
    printf("%s\n", argv[0]);
    return v[0] + v[4];
}
"""


def test_c_program_with_intrinsics_and_guest_callbacks(tmp_path: Path) -> None:
    """printf (an intrinsic) and qsort calling back into guest code (vm.call → call_nested)."""
    from bpfvm.cc import compile_c

    source = tmp_path / "sort.c"
    source.write_text(C_PROGRAM)
    obj = compile_c(source, output=tmp_path / "sort.o")
    outputs = []
    for engine in ("interpreter", "jit"):
        out = tmp_path / f"{engine}.out"
        with out.open("wb") as stream:
            vm = VM(engine, stdout=stream)
            status = vm.run_main(bpfvm.load(obj), ["sort"])
        outputs.append((status, out.read_bytes(), vm.instructions))
    assert outputs[0] == outputs[1]
    assert outputs[1][:2] == (10, b"1 3 5 7 9 sort\n")
