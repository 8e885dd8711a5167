"""bpfvm's verifier against the Linux kernel's, on the same programs, one run.

Corpora: the rule snippets of ``tests/verifier`` (with and without maps), the kernel-style C
programs of ``tests/verifier/c`` (compiled with ``compile_c(kernel=True)``), bpf_conformance
(``../shared``, as syscall and XDP programs) and seeded random bounded-scalar programs.  For each
program both verifiers run at log level 1 with ``BPF_LOG_STATS``; the table gives per corpus:

* verdict agreement, error-line agreement (rejections), unsafe accepts (bpfvm accepts what the
  kernel rejects: must be 0), bpfvm-only "not verified yet" rejections;
* processed instructions: bpfvm / kernel (geometric mean over programs both accept);
* verification time: bpfvm (Python, wall clock) / kernel (``verification time N usec``), and
  bpfvm's processed instructions per second.

Run: ``.venv/bin/python bench/verifier.py [--random N]`` (needs ``bpf()``; run as root).
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.verifier.oracle import RDONLY_PROG, MapSpec, bind_maps, kernel_maps  # noqa: E402

import bpfvm  # noqa: E402
from bpfvm.kernel import syscall  # noqa: E402
from bpfvm.verifier import KernelProgram, MapInfo, kernel_programs, verify  # noqa: E402

STATS = 1 | 4


@dataclass
class Tally:
    """Counters of one corpus."""

    programs: int = 0
    verdicts: int = 0
    messages: int = 0
    rejections: int = 0
    unsafe: int = 0
    unsupported: int = 0
    ratios: list[float] = field(default_factory=list)
    kernel_us: int = 0
    bpfvm_us: int = 0
    insns: int = 0


def _number(pattern: str, log: str) -> int:
    found = re.search(pattern, log)
    return int(found.group(1)) if found else 0


def _one(tally: Tally, code: bytes, prog_type: int, maps: dict[int, MapInfo]) -> None:
    kernel = syscall.in_child(functools.partial(syscall.prog_load, code, prog_type, log_level=STATS))
    if not isinstance(kernel, syscall.LoadResult):
        return
    start = time.perf_counter_ns()
    mine = verify(code, prog_type, log_level=STATS, maps=maps)
    wall = (time.perf_counter_ns() - start) // 1000
    tally.programs += 1
    if mine.unsupported:
        tally.unsupported += 1
    tally.verdicts += mine.ok == kernel.ok
    if not kernel.ok:
        tally.rejections += 1
        tally.messages += (not mine.ok) and mine.error == kernel.error
    tally.unsafe += mine.ok and not kernel.ok
    if mine.ok and kernel.ok:
        k = _number(r"processed (\d+) insns", kernel.log)
        if k:
            tally.ratios.append(mine.stats.insn_processed / k)
    tally.kernel_us += _number(r"verification time (\d+) usec", kernel.log)
    tally.bpfvm_us += wall
    tally.insns += mine.stats.insn_processed


def snippets(tally: Tally) -> None:
    from tests.verifier.snippets import MAP_SNIPPETS, SNIPPETS
    for prog_type, source in SNIPPETS.values():
        _one(tally, bpfvm.assemble(source), prog_type, {})
    for prog_type, maps, source in MAP_SNIPPETS.values():
        specs = [MapSpec(*m) for m in maps]
        with kernel_maps(specs) as fds:
            code, infos = bind_maps(bpfvm.assemble(source), specs, fds)
            _one(tally, code, prog_type, infos)


def c_programs(tally: Tally) -> None:
    from bpfvm.cc import compile_c
    flags = ["-I/usr/include", "-I/usr/include/x86_64-linux-gnu"]
    out = Path("/tmp/bpfvm-bench-verifier")
    out.mkdir(exist_ok=True)
    for src in sorted((ROOT / "tests" / "verifier" / "c").glob("*.c")):
        program = bpfvm.load(compile_c(src, output=out / f"{src.stem}.o", kernel=True, flags=flags))
        for prog in kernel_programs(program):
            _kernel_program(tally, prog)


def _kernel_program(tally: Tally, prog: KernelProgram) -> None:
    import struct
    stand_ins = sorted(prog.maps)
    specs = [MapSpec(m.map_type, m.key_size, m.value_size, m.max_entries, RDONLY_PROG if m.read_only else 0)
             for m in (prog.maps[f] for f in stand_ins)]
    with kernel_maps(specs) as fds:
        real = dict(zip(stand_ins, fds))
        code = bytearray(prog.code)
        for i in range(0, len(code) - 8, 8):
            if code[i] == 0x18 and code[i + 1] >> 4 in (1, 2):
                fd, = struct.unpack_from("<i", code, i + 4)
                struct.pack_into("<i", code, i + 4, real.get(fd, fd))
        infos = {real[f]: prog.maps[f] for f in stand_ins}
        _one(tally, bytes(code), prog.prog_type, infos)


def conformance(tally: Tally) -> None:
    from tests.corpus.datafile import parse
    from tests.corpus.test_kernel_oracle import kernel_job
    from tests.shared import SHARED
    root = SHARED / "conformance" / "bpf_conformance" / "tests"
    for path in sorted(root.glob("*.data")):
        job = kernel_job(parse(path))
        if isinstance(job, str):
            continue
        for variant in job.variants:
            _one(tally, variant.code, int(variant.prog_type), {})


def random_programs(tally: Tally, count: int) -> None:
    from tests.analysis.test_kernel_bounds import program
    for seed in range(1000, 1000 + count):
        _one(tally, bpfvm.assemble(program(seed, length=40)), 1, {})


def _row(name: str, t: Tally) -> str:
    ratio = math.exp(sum(math.log(r) for r in t.ratios) / len(t.ratios)) if t.ratios else float("nan")
    time_ratio = t.bpfvm_us / t.kernel_us if t.kernel_us else float("nan")
    rate = t.insns / (t.bpfvm_us / 1e6) if t.bpfvm_us else 0.0
    return (f"{name:<14} {t.programs:>5} {t.verdicts:>5}/{t.programs:<5} {t.messages:>4}/{t.rejections:<4} "
            f"{t.unsafe:>6} {t.unsupported:>5} {ratio:>8.3f} {t.kernel_us:>9} {t.bpfvm_us:>9} "
            f"{time_ratio:>7.1f}x {rate:>10,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=200, help="random programs (default 200)")
    args = parser.parse_args()
    ok, why = syscall.available()
    if not ok:
        print(f"bench/verifier.py: the kernel is needed: {why}", file=sys.stderr)
        return 1
    print(f"{'corpus':<14} {'progs':>5} {'verdicts':>11} {'msgs':>9} {'unsafe':>6} {'unsup':>5} "
          f"{'insn x':>8} {'kern us':>9} {'bpfvm us':>9} {'time x':>8} {'insns/s':>10}")
    total = Tally()
    for name, run in (("snippets", snippets), ("C programs", c_programs), ("conformance", conformance),
                      ("random", lambda t: random_programs(t, args.random))):
        tally = Tally()
        run(tally)
        print(_row(name, tally))
        for key in ("programs", "verdicts", "messages", "rejections", "unsafe", "unsupported", "kernel_us",
                    "bpfvm_us", "insns"):
            setattr(total, key, getattr(total, key) + getattr(tally, key))
        total.ratios += tally.ratios
    print(_row("all", total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
