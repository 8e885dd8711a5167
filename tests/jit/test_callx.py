"""``callx`` in the JIT: native calls to program functions, the host for the rest, same traps."""

from __future__ import annotations

import io

import pytest

import bpfvm
from bpfvm.errors import TrapKind, VmTrap
from bpfvm.vm import ENGINES

SOURCE = r"""
#include <stdio.h>
typedef long (*op_t)(long, long);
__attribute__((noinline)) long add(long a, long b) { return a + b; }
__attribute__((noinline)) long mul(long a, long b) { return a * b; }
__attribute__((noinline)) long sub(long a, long b) { return a - b; }
op_t ops[] = {add, mul, sub};
volatile long bad_target;
__attribute__((noinline)) long down(long n);
op_t next_step = 0;
long down(long n) { return n == 0 ? 0 : 1 + ((long (*)(long))next_step)(n - 1); }

int main(int argc, char **argv) {
    long acc = 1;
    for (int i = 0; i < 3000; i++)
        acc = ops[(i + argc) % 3](acc, i) & 0xffffff;
    printf("acc=%ld\n", acc);
    next_step = (op_t)down;
    printf("depth=%ld\n", down(argc * 10));
    if (argc > 3)
        return (int)((op_t)bad_target)(1, 2);
    if (argc > 2)
        return (int)down(1000);
    return 0;
}
"""


@pytest.fixture(scope="module")
def program() -> bpfvm.Program:
    return bpfvm.compile(SOURCE)


def _run(program: bpfvm.Program, engine: str, argc: int) -> tuple[object, bytes]:
    out = io.BytesIO()
    vm = bpfvm.VM(engine, stdout=out, max_call_depth=64)
    try:
        result: object = vm.run_main(program, ["p"] * argc)
    except VmTrap as trap:
        result = (trap.kind, trap.pc)
    return result, out.getvalue()


@pytest.mark.parametrize("argc", [1, 2])
def test_function_pointer_calls_agree(program: bpfvm.Program, argc: int) -> None:
    results = [_run(program, engine, argc) for engine in ENGINES]
    assert results[0] == results[1]
    assert results[0][0] == 0 and b"acc=" in results[0][1]


def test_too_deep_through_pointers_traps_alike(program: bpfvm.Program) -> None:
    results = [_run(program, engine, 3) for engine in ENGINES]
    assert results[0] == results[1]
    assert results[0][0][0] is TrapKind.CALL_DEPTH  # type: ignore[index]


def test_bad_target_traps_alike(program: bpfvm.Program) -> None:
    results = [_run(program, engine, 4) for engine in ENGINES]
    assert results[0] == results[1]
    assert results[0][0][0] is TrapKind.BAD_CALL_TARGET  # type: ignore[index]
