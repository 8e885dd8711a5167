"""ns per call of a Python helper and a Python intrinsic from each engine.

The JIT reaches Python through one ctypes callback (``bpfvm.jit.engine.Compiled.host``); this
measures its round trip: a BPF loop calling helper 1 (``vm.helpers``) or an extern function
bound to a Python callable (``vm.intrinsics``), 200k calls per timing, best of
:data:`REPEATS`; the loop without the call is subtracted.  Run:
``.venv/bin/python bench/host_calls.py``.  Timing is never asserted in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import bpfvm

REPEATS = 5
CALLS = 200_000
LOOP = """
    mov %r6, 0
loop:
    mov %r1, %r6
    {call}
    add %r6, 1
    jlt %r6, {n}, loop
    exit
"""
INTRINSIC_C = """
extern long echo(long a);
long run(long n) { long s = 0; for (long i = 0; i < n; i++) s += echo(i); return s; }
long empty(long n)
{
    long s = 0;
    for (long i = 0; i < n; i++) { s += i; __asm__ volatile("" ::: "memory"); }
    return s;
}
"""


def best(vm: bpfvm.VM, run: Callable[[], int]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def helper_ns(engine: str) -> float:
    vm = bpfvm.VM(engine)
    vm.helpers[1] = lambda a, b, c, d, e: a
    code, empty = (bpfvm.assemble(LOOP.format(call=c, n=CALLS)) for c in ("call 1", "mov %r0, %r1"))
    vm.run(code), vm.run(empty)
    return (best(vm, lambda: vm.run(code)) - best(vm, lambda: vm.run(empty))) / CALLS * 1e9


def intrinsic_ns(engine: str) -> float:
    program = bpfvm.compile(INTRINSIC_C)
    vm = bpfvm.VM(engine)
    vm.intrinsics.echo = lambda a: a
    vm.run(program, 10, entry="run")
    full = best(vm, lambda: vm.run(program, CALLS, entry="run"))
    return (full - best(vm, lambda: vm.run(program, CALLS, entry="empty"))) / CALLS * 1e9


def main() -> None:
    print(f"{'engine':<12}{'helper ns/call':>16}{'intrinsic ns/call':>20}")
    for engine in ("jit", "interpreter"):
        print(f"{engine:<12}{helper_ns(engine):>16.0f}{intrinsic_ns(engine):>20.0f}")


if __name__ == "__main__":
    main()
