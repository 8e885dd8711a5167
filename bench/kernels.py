"""bpfvm vs native: the same C compute kernels, natively, on the JIT and on the interpreter.

Each kernel in ``bench/kernels/*.c`` is ``long kernel(long n)`` working on static global
buffers (no libc in the hot loop), measured in one run as

* **native** — ``gcc -O2 -shared -fPIC``, called through ctypes;
* **JIT** — ``bpfvm.compile`` + ``bpfvm.VM(engine="jit")``, same size as native;
* **interpreter** — ``bpfvm.VM(engine="interpreter")`` on a smaller size, its time scaled to
  the same work (``work(n)``: n for most kernels, n³ for the matrix multiply).

Results must be identical: JIT against native at the full size, interpreter against native at
the small size (asserted; the full-size checksum is printed).  Times are the best of 3
``time.perf_counter`` runs; the JIT's compile time is ``vm.compile(program)`` on a fresh VM,
reported separately and not included in the run times.

Run: ``make bench`` or ``.venv/bin/python bench/kernels.py``.  Timing is never asserted.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bpfvm

HERE = Path(__file__).with_name("kernels")
MASK = (1 << 64) - 1
REPEATS = 3


@dataclass(frozen=True)
class Kernel:
    name: str
    description: str
    size: int          # native and JIT
    small: int         # interpreter
    work: Callable[[int], float]


def _linear(n: int) -> float:
    return float(n)


def _cubic(n: int) -> float:
    return float(n) ** 3


KERNELS = [
    Kernel("sieve", "primes < n", 20_000_000, 200_000, _linear),
    Kernel("crc32", "bitwise CRC-32 of n bytes", 10_000_000, 40_000, _linear),
    Kernel("matmul", "n×n int64 matrix multiply", 512, 64, _cubic),
    Kernel("strcmp", "hand-written strcmp, 8n pairs", 400_000, 4_000, _linear),
    Kernel("conv", "3×3 convolution, 256×n image", 8192, 256, _linear),
]


def best_of(fn: Callable[[], int]) -> tuple[int, float]:
    """Run ``fn`` REPEATS times; return its (last) result and the fastest time."""
    best = math.inf
    result = 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def native(source: Path, tmp: Path) -> Callable[[int], int]:
    lib = tmp / f"lib{source.stem}.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(source)], check=True)
    fn = ctypes.CDLL(str(lib)).kernel
    fn.argtypes = [ctypes.c_long]
    fn.restype = ctypes.c_long
    return lambda n: fn(n) & MASK


def measure(kernel: Kernel, tmp: Path) -> dict[str, float | int]:
    source = HERE / f"{kernel.name}.c"
    run_native = native(source, tmp)
    program = bpfvm.compile(source)

    expect, t_native = best_of(lambda: run_native(kernel.size))

    jit = bpfvm.VM("jit")
    start = time.perf_counter()
    jit.compile(program)
    t_compile = time.perf_counter() - start
    got, t_jit = best_of(lambda: jit.run(program, kernel.size, entry="kernel") & MASK)
    assert got == expect, f"{kernel.name}: JIT {got:#x} != native {expect:#x}"

    interp = bpfvm.VM("interpreter")
    interp.compile(program)
    got_small, t_small = best_of(lambda: interp.run(program, kernel.small, entry="kernel") & MASK)
    expect_small = run_native(kernel.small)
    assert got_small == expect_small, f"{kernel.name}: interpreter {got_small:#x} != native {expect_small:#x}"
    t_interp = t_small * kernel.work(kernel.size) / kernel.work(kernel.small)

    return {"checksum": expect, "native": t_native, "jit": t_jit, "interp": t_interp, "compile": t_compile}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    table = Table(title="C kernels: native (gcc -O2) vs bpfvm JIT vs bpfvm interpreter (one run, best of 3)")
    for column in ("kernel", "n (interp n)", "checksum", "native s", "JIT s", "JIT/native",
                   "interp s (scaled)", "interp/JIT", "JIT compile s"):
        table.add_column(column, justify="right")
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bpfvm-bench-") as tmp:
        for kernel in KERNELS:
            r = measure(kernel, Path(tmp))
            ratio = r["jit"] / r["native"]
            ratios.append(ratio)
            table.add_row(kernel.name, f"{kernel.size:,} ({kernel.small:,})", f"{int(r['checksum']):#x}",
                          f"{r['native']:.4f}", f"{r['jit']:.4f}", f"{ratio:.2f}×",
                          f"{r['interp']:.2f}", f"{r['interp'] / r['jit']:,.0f}×", f"{r['compile']:.3f}")
    geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    table.caption = (f"geometric mean JIT/native: {geomean:.2f}×; "
                     "interpreter time scaled by work(n) from its smaller n")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


if __name__ == "__main__":
    main()
