"""A broader C benchmark: bpfvm's JIT against gcc -O2 on 16 compute kernels, two sizes each.

The kernels (``bench/suite/*.c``, written for this suite) cover integer and double work, globals
in .bss and malloc'ed buffers passed to the hot function: sieve, int and double matrix
products, a 3×3 convolution, table-driven CRC-32, naive string search, quicksort, hashing into
an open-addressing table, a bytecode interpreter loop, fannkuch-redux, spectral-norm, n-body,
Mandelbrot, binary-trees (malloc/free heavy), k-means and a JSON-ish tokenizer.  Each runs at a
size whose data fits L1/L2 ("small") and a large one.

Both builds compile the same file with ``-ffp-contract=off`` (bit-exact floating point); every
JIT result is asserted equal to gcc's.  Times are per run, the best of :data:`REPEATS`, each
timing running ``bench(n, times)`` back to back for about :data:`TARGET_SECONDS`; the columns
of a row are timed in turns.  ``--baseline`` adds a column with the JIT's optimisations listed in
:data:`bpfvm.jit.options.OPTIMISATIONS` switched off, measured in the same run, so before/after
ratios do not depend on the load of a shared machine.

Run: ``.venv/bin/python bench/suite.py [--only NAME,...] [--baseline] [--small]``.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.jit import options

HERE = Path(__file__).with_name("suite")
MASK = (1 << 64) - 1
REPEATS = 3
TARGET_SECONDS = 0.05
CFLAGS = ("-ffp-contract=off",)


@dataclass(frozen=True)
class Kernel:
    """A suite kernel: ``small`` fits L1/L2, ``large`` does not (or is simply longer)."""

    name: str
    description: str
    small: int
    large: int
    tiny: int  #: for the smoke test

    @property
    def source(self) -> Path:
        return HERE / f"{self.name}.c"


KERNELS = [
    Kernel("sieve", "primes below n (.bss bytes)", 20_000, 4_000_000, 100),
    Kernel("matmul_int", "n×n int32 product (.bss)", 24, 200, 4),
    Kernel("matmul_double", "n×n double product (malloc'ed)", 24, 160, 4),
    Kernel("conv", "3×3 conv of n×n bytes (malloc'ed)", 64, 1024, 8),
    Kernel("crc", "table CRC-32 of n bytes", 8_192, 4_000_000, 64),
    Kernel("strsearch", "4 patterns in n bytes (.bss)", 8_192, 2_000_000, 64),
    Kernel("sort", "quicksort n longs (.bss)", 2_000, 500_000, 40),
    Kernel("hash", "FNV-1a + open addressing, n keys", 1_000, 200_000, 20),
    Kernel("bytecode", "stack-machine loop, n iterations", 2_000, 200_000, 10),
    Kernel("fannkuch", "fannkuch-redux(n)", 7, 9, 5),
    Kernel("spectral", "spectral-norm, n (double)", 64, 500, 8),
    Kernel("nbody", "n bodies × 20 steps (double)", 16, 300, 3),
    Kernel("mandelbrot", "n×n tile, 64 iters (double)", 32, 400, 4),
    Kernel("binarytrees", "binary-trees depth n (malloc)", 8, 12, 4),
    Kernel("kmeans", "k-means, n points (double)", 1_000, 100_000, 20),
    Kernel("tokenizer", "JSON-ish tokens in n bytes", 8_192, 2_000_000, 64),
]


@dataclass(frozen=True)
class Runner:
    """``run(n, times)``: the kernel ``times`` times, returning its result (unsigned)."""

    run: Callable[[int, int], int]


def native(kernel: Kernel, tmp: Path) -> Runner:
    """The kernel built by ``gcc -O2`` as a shared library, called through ctypes."""
    lib_path = tmp / f"lib{kernel.name}.so"
    subprocess.run(["gcc", "-O2", *CFLAGS, "-shared", "-fPIC", "-o", str(lib_path), str(kernel.source),
                    "-lm"], check=True)
    fn = ctypes.CDLL(str(lib_path)).bench
    fn.argtypes, fn.restype = [ctypes.c_long, ctypes.c_long], ctypes.c_long
    return Runner(lambda n, times: fn(n, times) & MASK)


def compile_program(kernel: Kernel) -> bpfvm.Program:
    return bpfvm.compile(kernel.source, flags=list(CFLAGS))


@contextmanager
def optimisations(enabled: bool) -> Iterator[None]:
    """The JIT's switchable optimisations on (as shipped) or all off, for one compilation."""
    saved = dict(options.OPTIMISATIONS)
    if not enabled:
        options.OPTIMISATIONS.update(dict.fromkeys(saved, False))
    try:
        yield
    finally:
        options.OPTIMISATIONS.update(saved)


def jit(program: bpfvm.Program, enabled: bool = True) -> tuple[Runner, float]:
    """The program on a fresh JIT VM (no on-disk cache) and its compile time."""
    vm = bpfvm.VM("jit", jit_cache=False)
    with optimisations(enabled):
        start = time.perf_counter()
        vm.compile(program)
        seconds = time.perf_counter() - start
    return Runner(lambda n, times: vm.run(program, n, times, entry="bench") & MASK), seconds


def calibrate(runner: Runner, n: int) -> tuple[int, int]:
    """(result at ``n``, back-to-back runs per timing so that one lasts ~TARGET_SECONDS)."""
    start = time.perf_counter()
    result = runner.run(n, 1)
    estimate = time.perf_counter() - start
    return result, max(1, int(TARGET_SECONDS / max(estimate, 1e-9)))


def interleaved(runners: list[Runner], n: int, expect: int) -> list[float]:
    """Best seconds per run of each runner at ``n``, timed in turns (a load change on a shared
    machine hits every column alike); every result must be ``expect``."""
    counts = []
    for runner in runners:
        result, times = calibrate(runner, n)
        if result != expect:
            raise SystemExit(f"n={n}: {result:#x} != gcc {expect:#x}")
        counts.append(times)
    best = [math.inf] * len(runners)
    for _ in range(REPEATS):
        for i, (runner, times) in enumerate(zip(runners, counts)):
            start = time.perf_counter()
            got = runner.run(n, times)
            best[i] = min(best[i], (time.perf_counter() - start) / times)
            if got != expect:
                raise SystemExit(f"n={n}: {got:#x} != gcc {expect:#x}")
    return best


@dataclass(frozen=True)
class Row:
    kernel: Kernel
    size: str
    n: int
    native: float
    jit: float
    baseline: float | None
    compile: float


def measure(kernel: Kernel, tmp: Path, sizes: list[str], baseline: bool) -> list[Row]:
    program = compile_program(kernel)
    ref = native(kernel, tmp)
    fast, seconds = jit(program)
    slow = jit(program, enabled=False)[0] if baseline else None
    rows = []
    for size in sizes:
        n = kernel.small if size == "small" else kernel.large
        expect = ref.run(n, 1)
        times = interleaved([ref, fast] + ([slow] if slow is not None else []), n, expect)
        rows.append(Row(kernel, size, n, times[0], times[1], times[2] if slow is not None else None, seconds))
    return rows


def seconds_text(t: float | None) -> str:
    if t is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def geomean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def table(rows: list[Row]) -> Table:
    with_base = rows[0].baseline is not None
    out = Table(title=f"C suite: bpfvm JIT vs gcc -O2 (one run; time per run, best of {REPEATS})")
    columns = ["kernel", "size", "n", "gcc -O2", "JIT", "JIT/gcc"]
    if with_base:
        columns += ["JIT, opts off", "off/gcc"]
    for column in columns + ["compile"]:
        out.add_column(column, justify="left" if column in ("kernel", "size") else "right")
    for row in rows:
        cells = [row.kernel.name, row.size, f"{row.n:,}", seconds_text(row.native), seconds_text(row.jit),
                 f"{row.jit / row.native:.2f}×"]
        if with_base and row.baseline is not None:
            cells += [seconds_text(row.baseline), f"{row.baseline / row.native:.2f}×"]
        out.add_row(*cells, seconds_text(row.compile))
    out.add_section()
    ratio = [row.jit / row.native for row in rows]
    worst = max(rows, key=lambda row: row.jit / row.native)
    summary = ["geomean", "", "", "", "", f"{geomean(ratio):.2f}×"]
    if with_base:
        summary += ["", f"{geomean([r.baseline / r.native for r in rows if r.baseline]):.2f}×"]
    out.add_row(*summary, "")
    worst_row = ["worst", f"{worst.kernel.name} {worst.size}", "", "", "", f"{max(ratio):.2f}×"]
    if with_base:
        base_worst = max(r.baseline / r.native for r in rows if r.baseline)
        worst_row += ["", f"{base_worst:.2f}×"]
    out.add_row(*worst_row, "")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated kernel names (default: all)")
    parser.add_argument("--small", action="store_true", help="small sizes only")
    parser.add_argument("--baseline", action="store_true",
                        help="also time the JIT with its switchable optimisations off")
    args = parser.parse_args()
    chosen = KERNELS if not args.only else [k for k in KERNELS if k.name in args.only.split(",")]
    sizes = ["small"] if args.small else ["small", "large"]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bpfvm-suite-") as tmp:
        for kernel in chosen:
            rows += measure(kernel, Path(tmp), sizes, args.baseline)
    console = Console() if Console().is_terminal else Console(width=160)
    console.print(table(rows))
    console.print(f"optimisations: {options.OPTIMISATIONS}")


if __name__ == "__main__":
    main()
