"""Loop versioning (bpfvm.jit.loops): the analysis, and the JIT against the interpreter on
loops whose accesses run into the sandbox's edges at every possible iteration.

The check-free copy of a loop may only run when none of the checks it leaves out can fail, so
the result, the trap (kind, pc, address), the instruction count and memory must be the
interpreter's for every start, stride, bound, comparison and budget.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpfvm
from bpfvm import VM, VmTrap
from bpfvm.interpreter.codegen import _blocks
from bpfvm.jit import loops, options
from bpfvm.memory import GUARD

SIEVE_INNER = """
    mov %r0, 0
    mov %r7, 0
    mov %r8, %r1
loop:
    stxb [%r8], %r0
    add %r7, %r4
    add %r8, %r4
    jslt %r7, %r2, loop
    exit
"""


def _plans(code: bytes) -> list[loops.LoopPlan]:
    program = VM("interpreter").program(code)
    found = []
    for func in program.functions.values():
        for blk in _blocks(program.function_insns(func), func):
            if (plan := loops.plan(blk)) is not None:
                found.append(plan)
    return found


def test_induction_variables_and_bound() -> None:
    """Register strides and pointer and index inductions are found; the back edge bounds them."""
    (plan,) = _plans(bpfvm.assemble(SIEVE_INNER))
    r4 = loops.Affine.reg(4)
    assert plan.steps == {7: r4, 8: r4}
    assert plan.bound == loops.Bound("jslt", loops.Affine(0, ((4, 1), (7, 1))), loops.Affine.reg(2))
    assert plan.accesses == (loops.Access(3, loops.Affine.reg(8), 1, True),)


def test_derived_addresses_are_affine() -> None:
    """``base + (i << 2)`` recomputed in the body is affine in the index."""
    code = bpfvm.assemble("""
        mov %r3, 0
    loop:
        mov %r5, %r3
        lsh %r5, 2
        add %r5, %r1
        ldxw %r0, [%r5 + 4]
        add %r3, 1
        jne %r3, 10, loop
        exit
    """)
    (plan,) = _plans(code)
    assert plan.accesses[0].address == loops.Affine(4, ((1, 1), (3, 4)))
    assert plan.bound.op == "jne"


def test_loaded_addresses_are_not_proven() -> None:
    """A pointer loaded in the loop (a linked list) is no induction: nothing to version."""
    code = bpfvm.assemble("""
    loop:
        ldxdw %r1, [%r1]
        add %r2, 1
        jlt %r2, 10, loop
        exit
    """)
    assert _plans(code) == []


OPS = ["jlt", "jle", "jgt", "jge", "jslt", "jsle", "jsgt", "jsge", "jne"]


def _loop(op: str, size: int, write: bool, reg_stride: bool) -> str:
    access = f"stx{'bhwdw'[size.bit_length() - 1] if size < 8 else 'dw'} [%r1 - 2], %r3" if write else \
        f"ldx{'bhwdw'[size.bit_length() - 1] if size < 8 else 'dw'} %r5, [%r1 - 2]"
    step = "%r4" if reg_stride else "{istep}"
    return f"""
        mov %r0, 0
    loop:
        {access}
        add %r0, %r5
        add %r1, {{pstep}}
        add %r3, {step}
        {op} %r3, %r2, loop
        exit
    """


def _outcome(engine: str, code: bytes, regs: tuple[int, ...], budget: int | None) -> tuple[Any, ...]:
    vm = VM(engine, max_instructions=budget, memory_size=16 << 20, heap_size=1 << 20)
    try:
        result: tuple[Any, ...] = ("r0", vm.run(code, *regs))
    except VmTrap as trap:
        result = ("trap", trap.kind, trap.pc, trap.addr, str(trap))
    return result, vm.instructions


def _edges() -> list[int]:
    """Addresses around the sandbox's edges: the NULL guard, read-only data, the top."""
    memory = VM("interpreter", memory_size=16 << 20, heap_size=1 << 20).memory
    return [GUARD - 3, GUARD + 5, memory.rw_base - 6, memory.rw_base + 3, memory.size - 20, memory.size + 2,
            (1 << 64) - 4]


@settings(max_examples=120, deadline=None)
@given(op=st.sampled_from(OPS), size=st.sampled_from([1, 2, 4, 8]), write=st.booleans(),
       reg_stride=st.booleans(), base=st.sampled_from(_edges()),
       pstep=st.sampled_from([1, 2, 8, -1, -4, 0]), istep=st.sampled_from([1, 2, 3, -1, -2, 5]),
       start=st.integers(-6, 6), limit=st.integers(-8, 24), budget=st.sampled_from([None, 37, 1000]))
def test_versioned_loops_trap_as_the_interpreter(op: str, size: int, write: bool, reg_stride: bool, base: int,
                                                 pstep: int, istep: int, start: int, limit: int,
                                                 budget: int | None) -> None:
    code = bpfvm.assemble(_loop(op, size, write, reg_stride).format(pstep=pstep, istep=istep))
    regs = (base & ((1 << 64) - 1), limit & ((1 << 64) - 1), start & ((1 << 64) - 1), istep & ((1 << 64) - 1))
    if budget is None and not (op != "jne" or (limit - start) % istep == 0 and (limit - start) // istep >= 0):
        budget = 1000  # a jne loop that never meets its bound: let the budget end it
    if budget is None and istep * (1 if op in ("jlt", "jle", "jslt", "jsle", "jne") else -1) < 0:
        budget = 1000  # moving away from the bound
    assert _outcome("jit", code, regs, budget) == _outcome("interpreter", code, regs, budget)


def test_check_free_copy_is_compiled_and_used() -> None:
    """A loop over a buffer gets its guarded check-free copy; with versioning off it has none."""
    code = bpfvm.assemble(SIEVE_INNER)
    assert ".unchecked" in VM("jit", jit_cache=False).compile(VM().program(code)).ir
    saved = dict(options.OPTIMISATIONS)
    try:
        options.OPTIMISATIONS["loop_versioning"] = False
        assert ".unchecked" not in VM("jit", jit_cache=False).compile(VM().program(code)).ir
    finally:
        options.OPTIMISATIONS.update(saved)


@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000])
def test_buffer_loop_results_and_traps(n: int) -> None:
    """A store loop of n bytes from the start of writable memory and from 64 bytes below the
    sandbox's end: in bounds, or trapping at the first byte beyond the end."""
    code = bpfvm.assemble(f"""
        mov %r3, 0
        mov %r0, 0
    loop:
        stxb [%r1], %r3
        ldxb %r4, [%r1]
        add %r0, %r4
        add %r1, 1
        add %r3, 1
        jlt %r3, {n}, loop
        exit
    """)
    memory = VM("interpreter", memory_size=16 << 20, heap_size=1 << 20).memory
    for start in (memory.rw_base, memory.size - 64):
        assert _outcome("jit", code, (start,), None) == _outcome("interpreter", code, (start,), None)
