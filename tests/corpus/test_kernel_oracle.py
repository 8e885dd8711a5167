"""Differential test: the bpf_conformance corpus run by the Linux kernel and by bpfvm's interpreter.

The kernel is the reference for execution semantics.  Each test program is loaded as a
``BPF_PROG_TYPE_SYSCALL`` program, whose context is a user buffer it may read and write: the
file's ``-- mem`` bytes are that buffer, and a prologue sets the other argument registers the way
:meth:`bpfvm.VM.run` does (``r2 = len(mem)``, ``r3..r5 = 0``; ``r1..r5 = 0`` without mem).  If the
verifier refuses that form of a program with mem (syscall contexts allow neither unaligned
accesses nor pointer arithmetic), it is loaded as XDP instead, with mem as a bounds-checked packet.
Jumps and ``call local`` are pc-relative, so prepending a prologue moves nothing.

Files the verifier rejects in every form (out-of-range constant shifts, ``callx``) are skipped
with the verifier's error line, as are files calling uBPF's test helpers (kernel helper ids mean
something else).  Every program the kernel runs must give bpfvm's r0 (low 32 bits:
``test_run`` reports a u32), the file's ``-- result``, and the same final mem bytes.

Programs are loaded in a forked child (a verifier oops kills the loading process): one child for
the whole corpus, then one per program if that child dies.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import pytest

import bpfvm
from bpfvm.isa import Insn, decode, encode, make
from bpfvm.kernel import syscall as kernel
from bpfvm.vm import ENGINES

from ..shared import require
from .datafile import DataTest, parse
from .test_conformance import BUDGET, CONFORMANCE, SHARED

AVAILABLE, WHY = kernel.available()
if not AVAILABLE:
    pytest.skip(f"bpf() unavailable: {WHY}", allow_module_level=True)

pytestmark = pytest.mark.kernel

#: At least this many files must really be compared (kernel 6.18 runs 299 of 313), so that a
#: regression that makes the kernel or this harness skip everything fails instead of passing.
FLOOR = 290

M32 = 0xFFFF_FFFF
_BATCH_TIMEOUT = 120.0
_ONE_TIMEOUT = 30.0
#: XDP test runs need at least an Ethernet header of packet.
_ETH_HLEN = 14


class KernelOutcome(NamedTuple):
    """What the kernel did with one file: ``retval`` and final ``mem`` of the run ``via`` a
    program type, or why it did not run (``skip``)."""

    retval: int | None = None
    mem: bytes = b""
    via: str = ""
    skip: str = ""


class Variant(NamedTuple):
    """One kernel-loadable form of a test: bytecode of ``prog_type`` and its run input."""

    prog_type: kernel.ProgType
    code: bytes
    ctx: bytes = b""  # syscall programs: the context buffer (the test's mem)
    packet: bytes = b""  # XDP programs: the packet (the test's mem, padded to an Ethernet header)
    mem_len: int = 0


class Job(NamedTuple):
    """The kernel forms of one test file, tried in order until the verifier accepts one."""

    name: str
    variants: tuple[Variant, ...]


def _movs(values: dict[int, int]) -> list[Insn]:
    return [make("mov64_imm", dst=reg, imm=value) for reg, value in values.items()]


def syscall_variant(code: bytes, mem: bytes | None) -> Variant:
    """The program as a syscall program: r1 is the context, i.e. the mem buffer itself."""
    values = {2: len(mem), 3: 0, 4: 0, 5: 0} if mem is not None else dict.fromkeys(range(1, 6), 0)
    return Variant(kernel.ProgType.SYSCALL, encode(_movs(values)) + code, ctx=mem or b"")


def xdp_variant(code: bytes, mem: bytes) -> Variant:
    """The program as XDP: r1 is the packet, bounds-checked once, so the verifier allows the
    unaligned accesses and pointer arithmetic that a syscall context forbids."""
    prologue = [
        make("ldxw", dst=2, src=1, off=0),  # r2 = xdp_md->data
        make("ldxw", dst=3, src=1, off=4),  # r3 = xdp_md->data_end
        make("mov64_reg", dst=1, src=2),
        make("add64_imm", dst=2, imm=len(mem)),
        make("jle64_reg", dst=2, src=3, off=2),  # the packet holds mem: skip the bail-out
        make("mov64_imm", dst=0, imm=0),
        make("exit"),
        *_movs({2: len(mem), 3: 0, 4: 0, 5: 0}),
    ]
    packet = mem + bytes(max(0, _ETH_HLEN - len(mem)))
    return Variant(kernel.ProgType.XDP, encode(prologue) + code, packet=packet, mem_len=len(mem))


def _program(test: DataTest) -> bytes:
    code = bpfvm.assemble(test.asm) if test.asm is not None else test.raw
    assert code is not None, f"{test.path.name}: no program"
    return code


def kernel_job(test: DataTest) -> Job | str:
    """The kernel forms of ``test``, or why there are none."""
    if test.expects_error:
        return "file expects an error"
    code = _program(test)
    helpers = sorted({insn.imm for insn in decode(code) if insn.spec.name == "call"})
    if helpers:
        return f"calls uBPF test helper(s) {helpers}: kernel helper ids differ"
    variants = [syscall_variant(code, test.mem)]
    if test.mem is not None:
        variants.append(xdp_variant(code, test.mem))
    return Job(test.path.name, tuple(variants))


def run_variant(variant: Variant) -> KernelOutcome:
    """Load and test-run one variant."""
    kind = variant.prog_type.name.lower()
    loaded = kernel.prog_load(variant.code, variant.prog_type)
    if not loaded.ok:
        return KernelOutcome(skip=f"verifier ({kind}): {loaded.error}")
    try:
        run = kernel.test_run(loaded.fd, ctx_in=variant.ctx or None, data_in=variant.packet)
    except kernel.KernelError as exc:
        return KernelOutcome(skip=f"test run ({kind}): {exc}")
    finally:
        kernel.close(loaded.fd)
    mem = run.data_out[:variant.mem_len] if variant.packet else run.ctx_out
    return KernelOutcome(run.retval, mem, via=kind)


def run_in_kernel(job: Job) -> KernelOutcome:
    """The first variant of ``job`` the kernel runs, or every reason none ran (call this in a
    child process)."""
    skips = []
    for variant in job.variants:
        outcome = run_variant(variant)
        if outcome.retval is not None:
            return outcome
        skips.append(outcome.skip)
    return KernelOutcome(skip="; ".join(skips))


def run_batch(jobs: list[Job]) -> list[KernelOutcome]:
    """:func:`run_in_kernel` for each job, in order."""
    return [run_in_kernel(job) for job in jobs]


def run_isolated(jobs: list[Job]) -> list[KernelOutcome]:
    """Run jobs in one child; if it dies, again one child per job (a death is that job's skip)."""
    batch = kernel.in_child(run_batch, jobs, timeout=_BATCH_TIMEOUT)
    if not isinstance(batch, kernel.KernelCrash):
        return batch
    outcomes = []
    for job in jobs:
        one = kernel.in_child(run_in_kernel, job, timeout=_ONE_TIMEOUT)
        if isinstance(one, kernel.KernelCrash):
            one = KernelOutcome(skip=f"kernel load killed the child: {one.reason}")
        outcomes.append(one)
    return outcomes


@functools.cache
def kernel_outcomes() -> dict[str, KernelOutcome]:
    """The kernel's outcome for every conformance file, by file name (once per process)."""
    outcomes: dict[str, KernelOutcome] = {}
    jobs = []
    for path in CONFORMANCE:
        job = kernel_job(parse(path))
        if isinstance(job, str):
            outcomes[path.name] = KernelOutcome(skip=job)
        else:
            jobs.append(job)
    outcomes.update(zip((job.name for job in jobs), run_isolated(jobs)))
    return outcomes


def run_bpfvm(test: DataTest, engine: str) -> tuple[int, bytes]:
    """bpfvm's r0 and final mem for ``test`` on ``engine``."""
    mem = bytearray(test.mem) if test.mem is not None else None
    r0 = bpfvm.VM(engine, max_instructions=BUDGET).run(_program(test), mem=mem)
    return r0, bytes(mem or b"")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", CONFORMANCE, ids=[str(p.relative_to(SHARED)) for p in CONFORMANCE])
def test_kernel_agrees(path: Path, engine: str) -> None:
    outcome = kernel_outcomes()[path.name]
    if outcome.retval is None:
        pytest.skip(outcome.skip)
    test = parse(path)
    r0, mem = run_bpfvm(test, engine)
    kernel_r0 = f"kernel ({outcome.via}) r0={outcome.retval:#x}"
    assert outcome.retval == r0 & M32, f"{kernel_r0}, {engine} r0={r0:#x}"
    assert test.result is not None and outcome.retval == test.result & M32, \
        f"{kernel_r0}, file expects {test.result}"
    assert outcome.mem == mem, f"final mem: kernel {outcome.mem.hex()}, {engine} {mem.hex()}"


def summary(outcomes: dict[str, KernelOutcome]) -> str:
    """How many files the kernel ran, by program type, and why the others were skipped."""
    ran: dict[str, int] = defaultdict(int)
    skipped: dict[str, list[str]] = defaultdict(list)
    for name, outcome in sorted(outcomes.items()):
        if outcome.retval is not None:
            ran[outcome.via] += 1
        else:
            skipped[re.sub(r"-?\d+", "N", outcome.skip)].append(name)
    lines = [f"kernel ran {sum(ran.values())} of {len(outcomes)} conformance files "
             f"({', '.join(f'{n} as {via}' for via, n in sorted(ran.items()))}); skipped:"]
    for reason, names in sorted(skipped.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {len(names):4} {reason}: {' '.join(names)}")
    return "\n".join(lines)


def test_kernel_compared_enough() -> None:
    """A floor on the files the kernel really ran: silence is not agreement."""
    require(SHARED / "bpf_conformance" / "tests")
    outcomes = kernel_outcomes()
    text = summary(outcomes)
    print(text)
    assert sum(o.retval is not None for o in outcomes.values()) >= FLOOR, text
