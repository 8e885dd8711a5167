"""bpfvm vs native vs the Linux kernel's JIT: the same C compute kernels, timed in one run.

Each kernel in ``bench/kernels/*.c`` is ``static long KERNEL(struct buffers *b, long n)`` over
its own working memory; ``bench/kernels/bench.h`` gives it its entry points (see there).
Columns, all on the same C:

* **native** — ``gcc -O2 -shared -fPIC``, called through ctypes;
* **JIT** — ``bpfvm.compile`` + ``bpfvm.VM(engine="jit")``;
* **kernel** — ``bpfvm cc --kernel`` (plain clang BPF) built with ``-DBENCH_XDP``: an XDP program
  whose buffers are the value of an array map, loaded with ``BPF_PROG_LOAD`` (from a forked
  child, :func:`bpfvm.kernel.syscall.in_child`: this kernel's verifier can crash the loader) and timed
  with ``BPF_PROG_TEST_RUN``'s own ``duration`` over a ``repeat`` count.  The verifier walks
  every loop iteration (1M instruction limit, 8192 pending branches), so the kernel only takes
  small constant sizes: each integer kernel has a second row at its kernel size, where every
  column runs a build for that constant n (``-DBENCH_N=n -DMAXN=n``), as the kernel's must be;
* **interpreter** — ``bpfvm.VM(engine="interpreter")``: on full-size rows it runs a smaller n
  and its time is scaled to the same work (``work(n)``: n, or n³ for the matrix multiply).

Native, JIT and interpreter times come from ``long kernel_repeat(long n, long times)`` with
``times`` chosen so that one timing lasts about :data:`TARGET_SECONDS`, so that small sizes are
not measured as call overhead; every time is the best of :data:`REPEATS` per run.  The JIT's
compile time is ``vm.compile(program)`` on a fresh VM without the on-disk JIT cache,
reported separately.

Results must agree before a time is printed: JIT and kernel (read back from the map) against
native at their size, the interpreter against native at its size.  The floating-point kernels
(``mandel``, ``nbody``) are compiled with ``-ffp-contract=off`` by both compilers, so that the
C is deterministic and results are compared bit for bit; the kernel has no floating point.

Run: ``make bench`` or ``.venv/bin/python bench/kernels.py [--only NAME,...] [--no-kernel]``.
Timing is never asserted (``tests/bench`` checks the results only).
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import math
import platform
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.isa import Insn, encode
from bpfvm.kernel import syscall as linux
from bpfvm.program import Program

HERE = Path(__file__).with_name("kernels")
MASK = (1 << 64) - 1
REPEATS = 5
#: Each timing runs the kernel back to back for about this long.
TARGET_SECONDS = 0.05
#: Both compilers: no fused multiply-add (clang contracts ``a * b + c`` by default, gcc on
#: x86-64 has no FMA), so floating-point results are bit-exact.
CFLAGS = ("-ffp-contract=off",)
#: Kernel builds: plain clang BPF without libc, the XDP entry and a constant n.
#: ``-target bpfel-freestanding``: ``zig cc`` refuses the OS-less ``bpfel`` of ``--kernel``.
KERNEL_CFLAGS = ("-target", "bpfel-freestanding", "-ffreestanding", "-fno-builtin", "-DBENCH_XDP")
XDP_PASS = 2
BPF_PSEUDO_MAP_FD = 1
_KERNEL_TIMEOUT = 180.0


@dataclass(frozen=True)
class Kernel:
    """One bench kernel: ``size`` for native and JIT, ``small`` for the interpreter (scaled by
    ``work``), ``kernel_size`` the size the Linux verifier accepts (None: floating point), and
    ``tiny`` for the smoke test."""

    name: str
    description: str
    size: int
    small: int
    work: Callable[[int], float]
    kernel_size: int | None
    tiny: int

    @property
    def source(self) -> Path:
        return HERE / f"{self.name}.c"


def _linear(n: int) -> float:
    return float(n)


def _square(n: int) -> float:
    return float(n) ** 2


def _cubic(n: int) -> float:
    return float(n) ** 3


KERNELS = [
    Kernel("sieve", "primes < n", 20_000_000, 200_000, _linear, 6_000, 500),
    Kernel("crc32", "bitwise CRC-32 of n bytes", 10_000_000, 40_000, _linear, 100, 16),
    Kernel("matmul", "n×n int64 matrix multiply", 512, 64, _cubic, 36, 6),
    Kernel("strcmp", "strcmp of 8n string pairs", 400_000, 4_000, _linear, 12, 10),
    Kernel("conv", "3×3 convolution, 256×n image", 8192, 256, _linear, 50, 5),
    Kernel("mandel", "n×n Mandelbrot tile (double)", 48, 8, _square, None, 4),
    Kernel("nbody", "n steps of 5 bodies (double)", 1_000, 20, _linear, None, 3),
]

#: Why the kernel column is empty for floating-point kernels.
NO_FLOATS = "the kernel's BPF has no floating point"


# -- native and bpfvm -------------------------------------------------------------------------
@dataclass(frozen=True)
class Runner:
    """One way of running a kernel: ``once(n)`` and ``repeat(n, times)``, both returning the
    kernel's result as an unsigned 64-bit int."""

    once: Callable[[int], int]
    repeat: Callable[[int, int], int]


def constant_size(n: int | None) -> tuple[str, ...]:
    """Flags that compile a kernel for the constant size ``n`` (none for ``None``: any size)."""
    return () if n is None else (f"-DBENCH_N={n}", f"-DMAXN={n}")


def native(kernel: Kernel, tmp: Path, size: int | None = None) -> Runner:
    """The kernel built by ``gcc -O2`` as a shared library (for the constant ``size``)."""
    lib_path = tmp / f"lib{kernel.name}-{size or 'any'}.so"
    subprocess.run(["gcc", "-O2", *CFLAGS, *constant_size(size), "-shared", "-fPIC", "-o", str(lib_path),
                    str(kernel.source), "-lm"], check=True)
    lib = ctypes.CDLL(str(lib_path))
    once, repeat = lib.kernel, lib.kernel_repeat
    once.argtypes, once.restype = [ctypes.c_long], ctypes.c_long
    repeat.argtypes, repeat.restype = [ctypes.c_long, ctypes.c_long], ctypes.c_long
    return Runner(lambda n: once(n) & MASK, lambda n, times: repeat(n, times) & MASK)


def compile_program(kernel: Kernel, size: int | None = None) -> Program:
    """The kernel compiled by ``bpfvm.compile`` (for the constant ``size``)."""
    return bpfvm.compile(kernel.source, flags=[*CFLAGS, *constant_size(size)])


def on_vm(vm: bpfvm.VM, program: Program) -> Runner:
    """The kernel on ``vm``."""
    return Runner(lambda n: vm.run(program, n, entry="kernel") & MASK,
                  lambda n, times: vm.run(program, n, times, entry="kernel_repeat") & MASK)


def best_of(fn: Callable[[], int]) -> tuple[int, float]:
    """Run ``fn`` REPEATS times; return its (last) result and the fastest time."""
    best = math.inf
    result = 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def per_run(runner: Runner, n: int) -> tuple[int, float]:
    """The result of one run at ``n`` and the best time of one run, measured over back-to-back
    runs lasting about :data:`TARGET_SECONDS`."""
    start = time.perf_counter()
    runner.once(n)
    estimate = time.perf_counter() - start
    times = max(1, int(TARGET_SECONDS / max(estimate, 1e-9)))
    result, seconds = best_of(lambda: runner.repeat(n, times))
    return result, seconds / times


# -- the Linux kernel ---------------------------------------------------------------------------
@functools.cache
def kernel_unavailable() -> str:
    """Why bpf() cannot load and run programs here (EPERM, no syscall), or "" if it can."""
    ok, why = linux.available()
    return "" if ok else f"bpf() unavailable: {why}"


def kernel_jit_state() -> str:
    """The kernel release and its JIT settings: with ``bpf_jit_enable`` 0 the kernel column
    would time the kernel's interpreter."""
    settings = []
    for name in ("bpf_jit_enable", "bpf_jit_harden"):
        try:
            settings.append(f"{name}={Path('/proc/sys/net/core', name).read_text().strip()}")
        except OSError:
            settings.append(f"{name} unreadable")
    return f"Linux {platform.release()}, {', '.join(settings)}"


def kernel_program(kernel: Kernel, n: int) -> Program:
    """The kernel's XDP build for the constant size ``n``. Raises CompileError."""
    return bpfvm.compile(kernel.source, kernel=True, flags=[*KERNEL_CFLAGS, *constant_size(n)])


def map_definition(program: Program) -> tuple[int, int, int, int, int]:
    """``struct bench_map_def`` of the program's ``maps`` section: type, key size, value size,
    max entries, flags."""
    data = next(s.data for s in program.segments if s.name == "maps")
    return struct.unpack_from("<5I", data)


def xdp_bytecode(program: Program, map_fd: int) -> bytes:
    """The ``xdp`` section's program as kernel bytecode: its function first, then the others
    (calls re-targeted), each ``lddw`` of the map turned into a map-fd load (``src=1``).

    Raises ValueError for references to other globals (the kernel build has none).
    """
    entry = program.functions[program.sections["xdp"][0]]
    order = [entry, *(f for f in program.functions.values() if f != entry)]
    starts, slot = {}, 0
    for func in order:
        starts[func.start] = slot
        slot += func.end - func.start

    def moved(pc: int) -> int:
        func = program.function_at(pc)
        return starts[func.start] + pc - func.start

    sites = set()
    for reloc in program.relocs:
        if reloc.site != "code" or reloc.target != "maps":
            raise ValueError(f"{program.name}: kernel build references {reloc.target}, not only the map")
        sites.add(reloc.offset // 8)
    out: list[Insn] = []
    for func in order:
        for insn in program.function_insns(func):
            if insn.pc in sites:
                insn = insn._replace(src=BPF_PSEUDO_MAP_FD, imm=map_fd, imm_hi=0)
            elif insn.spec.op == "call_local":
                insn = insn._replace(imm=moved(insn.pc + 1 + insn.imm) - moved(insn.pc) - 1)
            out.append(insn)
    return encode(out)


def run_in_kernel(program: Program, seconds: float) -> tuple[int, float] | str:
    """Load ``program`` as XDP and test-run it: (result from the map, best time of one run from
    the kernel's ``duration``), or why not.  Call this in a child process."""
    map_type, key_size, value_size, entries, flags = map_definition(program)
    map_fd = linux.map_create(map_type, key_size, value_size, entries, flags=flags, name="bench")
    try:
        loaded = linux.prog_load(xdp_bytecode(program, map_fd), linux.ProgType.XDP, name="bench")
        if not loaded.ok:
            return f"verifier: {loaded.error}"
        try:
            return _timed_runs(loaded.fd, map_fd, bytes(key_size), value_size, seconds)
        finally:
            linux.close(loaded.fd)
    finally:
        linux.close(map_fd)


def _timed_runs(prog_fd: int, map_fd: int, key: bytes, value_size: int,
                seconds: float) -> tuple[int, float] | str:
    packet = bytes(64)
    probe = linux.test_run(prog_fd, data_in=packet)
    if probe.retval != XDP_PASS:
        return f"XDP program returned {probe.retval} (map lookup failed)"
    repeat = max(1, min(1 << 24, int(seconds / max(probe.duration_ns * 1e-9, 1e-9))))
    best = min(linux.test_run(prog_fd, data_in=packet, repeat=repeat).duration_ns for _ in range(REPEATS))
    value = linux.map_lookup(map_fd, key, value_size)
    return int.from_bytes(value[:8], "little"), best * 1e-9


def measure_kernel(kernel: Kernel, n: int, seconds: float = TARGET_SECONDS) -> tuple[int, float] | str:
    """(result, seconds per run) of the Linux kernel's JIT on ``kernel`` at ``n``, or why the
    kernel column is empty: bpf() not permitted, a compile or verifier error, the loading
    child's death, a failing ``bpf()`` command."""
    if kernel.kernel_size is None:
        return NO_FLOATS
    if why := kernel_unavailable():
        return why
    try:
        program = kernel_program(kernel, n)
    except bpfvm.BpfError as exc:
        return f"kernel build failed: {str(exc).splitlines()[-1]}"
    try:
        outcome = linux.in_child(run_in_kernel, program, seconds, timeout=_KERNEL_TIMEOUT)
    except linux.KernelError as exc:
        return str(exc)
    if isinstance(outcome, linux.KernelCrash):
        return f"kernel load killed the child: {outcome.reason}"
    return outcome


# -- one table ------------------------------------------------------------------------------------
class Mismatch(Exception):
    """Two columns computed different results: no time is printed for a wrong answer."""


@dataclass(frozen=True)
class Row:
    """One table row: ``kernel`` at ``n`` (the interpreter at ``interp_n``, scaled); times in
    seconds per run; ``kernel_time`` None with ``kernel_note`` saying why."""

    kernel: Kernel
    group: str
    n: int
    interp_n: int
    checksum: int
    native: float
    jit: float
    interp: float
    kernel_time: float | None
    kernel_note: str
    compile: float | None


@dataclass(frozen=True)
class Runners:
    """A kernel ready to run everywhere in this process."""

    native: Runner
    jit: Runner
    interp: Runner
    compile_seconds: float


#: Whether the JIT column's VM checks the budget slice at loop heads (``--uninterruptible``).
INTERRUPTIBLE = [True]


def prepare(kernel: Kernel, tmp: Path, size: int | None = None) -> Runners:
    """Build natively, compile with bpfvm, and JIT-compile on a fresh VM (timed); for the
    constant ``size`` if given."""
    program = compile_program(kernel, size)
    # time the compilation, not a cache hit
    jit = bpfvm.VM("jit", jit_cache=False, interruptible=INTERRUPTIBLE[0])
    start = time.perf_counter()
    jit.compile(program)
    seconds = time.perf_counter() - start
    return Runners(native(kernel, tmp, size), on_vm(jit, program),
                   on_vm(bpfvm.VM("interpreter"), program), seconds)


def agree(kernel: Kernel, n: int, what: str, got: int, expect: int) -> None:
    """Raise :class:`Mismatch` unless ``got`` (from ``what``) equals native's ``expect``."""
    if got & MASK != expect:
        raise Mismatch(f"{kernel.name} n={n}: {what} {got & MASK:#x} != native {expect:#x}")


def measure_row(kernel: Kernel, runners: Runners, group: str, n: int, interp_n: int,
                with_kernel: bool) -> Row:
    """Time every column of ``kernel`` at ``n`` after checking its result against native."""
    expect, t_native = per_run(runners.native, n)
    got, t_jit = per_run(runners.jit, n)
    agree(kernel, n, "JIT", got, expect)
    got, t_small = per_run(runners.interp, interp_n)
    agree(kernel, interp_n, "interpreter", got, runners.native.once(interp_n))
    t_interp = t_small * kernel.work(n) / kernel.work(interp_n)
    kernel_time, note = None, NO_FLOATS
    if kernel.kernel_size is not None:
        note = f"verifier limits (1M insns, 8192 branches): n ≤ {kernel.kernel_size:,}"
    if with_kernel:
        outcome = measure_kernel(kernel, n)
        if isinstance(outcome, str):
            note = outcome
        else:
            agree(kernel, n, "kernel", outcome[0], expect)
            kernel_time, note = outcome[1], ""
    return Row(kernel, group, n, interp_n, expect, t_native, t_jit, t_interp, kernel_time, note,
               runners.compile_seconds)


def measure(kernel: Kernel, tmp: Path, *, with_kernel: bool = True) -> list[Row]:
    """The rows of ``kernel``: its full size, then (integer kernels) the kernel's size, where
    every column is compiled for that constant size, as the kernel build must be."""
    runners = prepare(kernel, tmp)
    if kernel.kernel_size is None:
        return [measure_row(kernel, runners, "double", kernel.size, kernel.small, False)]
    small = kernel.kernel_size
    return [measure_row(kernel, runners, "full size", kernel.size, kernel.small, False),
            measure_row(kernel, prepare(kernel, tmp, small), "kernel size", small, small, with_kernel)]


def seconds_text(t: float | None) -> str:
    """A time with a readable unit."""
    if t is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def geomean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return math.exp(sum(map(math.log, present)) / len(present)) if present else None


def ratios(row: Row) -> tuple[float, float | None, float]:
    """JIT/native, JIT/kernel, interp/JIT."""
    per_kernel = row.jit / row.kernel_time if row.kernel_time else None
    return row.jit / row.native, per_kernel, row.interp / row.jit


def ratio_text(r: float | None, digits: int = 2) -> str:
    return "—" if r is None else f"{r:,.{digits}f}×"


COLUMNS = ("kernel", "n (interp n)", "checksum", "native gcc -O2", "bpfvm JIT", "kernel JIT",
           "interp (scaled)", "JIT/native", "JIT/kernel", "interp/JIT", "JIT compile")


def table(rows: list[Row]) -> Table:
    """The rows, then a geometric-mean row per group."""
    out = Table(title="C kernels: native (gcc -O2) vs bpfvm JIT vs Linux kernel JIT vs bpfvm interpreter "
                      f"(one run; time per run, best of {REPEATS})")
    for column in COLUMNS:
        out.add_column(column, justify="left" if column == "kernel" else "right")
    for row in rows:
        jn, jk, ij = ratios(row)
        size = f"{row.n:,}" if row.n == row.interp_n else f"{row.n:,} ({row.interp_n:,})"
        out.add_row(row.kernel.name, size, f"{row.checksum:#x}",
                    seconds_text(row.native), seconds_text(row.jit), seconds_text(row.kernel_time),
                    seconds_text(row.interp), ratio_text(jn), ratio_text(jk), ratio_text(ij, 0),
                    seconds_text(row.compile))
    out.add_section()
    for group in dict.fromkeys(row.group for row in rows):
        members = [ratios(row) for row in rows if row.group == group]
        out.add_row(f"geomean ({group})", "", "", "", "", "", "",
                    ratio_text(geomean(m[0] for m in members)), ratio_text(geomean(m[1] for m in members)),
                    ratio_text(geomean(m[2] for m in members), 0), "")
    return out


def notes(rows: list[Row]) -> list[str]:
    """Why kernel cells are empty, once per reason."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if row.kernel_time is None:
            reasons.setdefault(row.kernel_note, []).append(f"{row.kernel.name} n={row.n:,}")
    return [f"kernel JIT — {', '.join(where)}: {why}" for why, where in reasons.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated kernel names (default: all)")
    parser.add_argument("--no-kernel", action="store_true", help="leave out the Linux kernel column")
    parser.add_argument("--uninterruptible", action="store_true",
                        help="JIT with VM(interruptible=False): loops without the timeout/Ctrl-C check")
    args = parser.parse_args()
    INTERRUPTIBLE[0] = not args.uninterruptible
    chosen = KERNELS if not args.only else [k for k in KERNELS if k.name in args.only.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bpfvm-bench-") as tmp:
        for kernel in chosen:
            rows += measure(kernel, Path(tmp), with_kernel=not args.no_kernel)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table(rows))
    for line in notes(rows):
        console.print(line)
    if not args.no_kernel and not kernel_unavailable():
        console.print(f"kernel JIT: {kernel_jit_state()}")
    console.print(f"bpfvm JIT: VM(interruptible={INTERRUPTIBLE[0]}); "
                  "interpreter on full-size rows: run at its smaller n, time scaled by work(n); "
                  "kernel JIT: BPF_PROG_TEST_RUN duration (XDP, repeat); "
                  "JIT compile: vm.compile, not in run times")


if __name__ == "__main__":
    main()
