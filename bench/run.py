"""bpfvm benchmarks: throughput of each engine in BPF instructions per second.

Prints one table measured in one run.  Kernels:

* ``alu``     — a register-only loop (add/xor/shift/compare), 5 instructions per iteration;
* ``ldst``    — a load/add/store loop over a 4 KiB buffer, 6 instructions per iteration;
* ``call``    — a BPF-to-BPF call per iteration (call overhead);
* ``helper``  — a Python helper call per iteration.

Every kernel runs on every engine (interpreter, jit); the ratio column is the speed-up over the
interpreter, measured in the same run.  The warm-up run includes the JIT's compile time; the
timed run does not.

Run: ``make bench`` or ``.venv/bin/python bench/run.py [--scale N]``.  Timing is never asserted
in tests; this only reports.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.vm import ENGINES

KERNELS: dict[str, str] = {
    "alu": """
        mov %r0, 0
        mov %r1, 0
    loop:
        add %r0, %r1
        xor %r0, 0x55
        lsh %r0, 1
        add %r1, 1
        jlt %r1, {n}, loop
        exit
    """,
    "ldst": """
        mov %r0, 0
        mov %r6, 0
    outer:
        mov %r3, 0
        mov %r4, %r1
    inner:
        ldxw %r5, [%r4]
        add %r0, %r5
        stxw [%r4], %r0
        add %r4, 4
        add %r3, 4
        jlt %r3, %r2, inner
        add %r6, 1
        jlt %r6, {m}, outer
        exit
    """,
    "call": """
        mov %r6, 0
    loop:
        mov %r1, %r6
        call local f
        add %r6, 1
        jlt %r6, {n}, loop
        exit
    f:
        mov %r0, %r1
        add %r0, 1
        exit
    """,
    "helper": """
        mov %r6, 0
    loop:
        mov %r1, %r6
        call 1
        add %r6, 1
        jlt %r6, {n}, loop
        exit
    """,
}


def measure(name: str, scale: int, engine: str) -> tuple[int, float]:
    """Run kernel ``name`` once to warm up, once timed; return (instructions, seconds)."""
    text = KERNELS[name].format(n=200_000 * scale, m=50 * scale)
    code = bpfvm.assemble(text)
    vm = bpfvm.VM(engine)
    vm.helpers[1] = lambda a, b, c, d, e: a
    mem = bytearray(4096) if name == "ldst" else None
    vm.run(code, mem=mem)
    start = time.perf_counter()
    vm.run(code, mem=mem)
    return vm.instructions, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=5, help="work multiplier")
    args = parser.parse_args()
    table = Table(title="bpfvm throughput per engine (one run)")
    for column in ("kernel", "engine", "instructions", "seconds", "M insn/s", "× interpreter"):
        table.add_column(column, justify="right")
    for name in KERNELS:
        base = 0.0
        for engine in ENGINES:
            count, seconds = measure(name, args.scale, engine)
            rate = count / seconds
            base = base or rate
            table.add_row(name, engine, f"{count:,}", f"{seconds:.3f}", f"{rate / 1e6:.1f}",
                          f"{rate / base:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
