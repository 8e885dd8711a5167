"""``VM(interruptible=False)``: JIT loops without the budget-slice check, budget still exact."""

from __future__ import annotations

import io

import pytest

import bpfvm
from bpfvm.errors import TrapKind, VmTrap

SOURCE = r"""
#include <stdio.h>
__attribute__((noinline)) long step(long x) { return x * 3 + 1; }
int main(void) {
    long acc = 0;
    for (long i = 0; i < 20000; i++) {
        acc += i & 7;
        if (i % 1000 == 0)
            acc = step(acc) & 0xffff;
    }
    printf("%ld\n", acc);
    return (int)(acc & 0x7f);
}
"""


@pytest.fixture(scope="module")
def program() -> bpfvm.Program:
    return bpfvm.compile(SOURCE)


def _run(program: bpfvm.Program, budget: int | None, **options: object) -> tuple[object, int, bytes]:
    out = io.BytesIO()
    vm = bpfvm.VM(max_instructions=budget, stdout=out, **options)  # type: ignore[arg-type]
    try:
        result: object = vm.run_main(program, ["p"])
    except VmTrap as trap:
        result = (trap.kind, trap.pc)
    return result, vm.instructions, out.getvalue()


@pytest.mark.parametrize("budget", [None, 10**9, 150_001, 77_777, 1_000])
def test_same_results_and_counts_as_the_interpreter(program: bpfvm.Program, budget: int | None) -> None:
    expected = _run(program, budget, engine="interpreter")
    assert _run(program, budget, engine="jit", interruptible=False) == expected
    assert _run(program, budget, engine="jit") == expected
    if budget is not None and budget < 200_000:
        assert expected[0][0] is TrapKind.BUDGET  # type: ignore[index]


def test_loop_heads_lose_their_check(program: bpfvm.Program) -> None:
    irs = [bpfvm.VM("jit", interruptible=flag, jit_cache=False).compile(program).ir for flag in (True, False)]
    calls = [ir.count('@"bpfvm.refill"(') for ir in irs]
    assert calls[1] < calls[0]


def test_a_timeout_needs_interruptible_code() -> None:
    with pytest.raises(ValueError, match="timeout needs interruptible"):
        bpfvm.VM("jit", timeout=1.0, interruptible=False)
