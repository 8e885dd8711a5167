"""bpfvm's verifier: the Linux kernel's safety proof of a BPF program, in Python.

:func:`verify` runs the kernel's checks (Linux 6.18, privileged CAP_BPF loads by default) on a
program and returns a :class:`VerifyResult`: the verdict, the log in the kernel's format
(levels 1 and 2, ``BPF_LOG_STATS`` = 4), the statistics line's counters, and per-instruction
facts (which instructions were reached, which memory accesses were proven in bounds).

Modules: :mod:`.cfg` (structure), :mod:`.checker` (the path walk), :mod:`.state` (registers,
stack, frames), :mod:`.log` and :mod:`.disasm` (the log's formats), :mod:`.ctx` (program-type
contexts, provisional).  The range analysis itself is :mod:`bpfvm.analysis`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import BpfError, ProgramError
from ..program import Program
from .checker import Checker, Facts, Stats
from .ctx import CONTEXTS, PROG_TYPES
from .disasm import RawInsn, kernel_insn, raw_decode
from .objects import KernelProgram, kernel_programs, section_prog_type
from .state import MapInfo

__all__ = [
    "CONTEXTS",
    "PROG_TYPES",
    "Facts",
    "KernelProgram",
    "MapInfo",
    "RawInsn",
    "Stats",
    "VerifierError",
    "VerifyResult",
    "kernel_insn",
    "kernel_programs",
    "prog_type_number",
    "raw_decode",
    "section_prog_type",
    "verify",
    "verify_object",
]


class VerifierError(BpfError):
    """A program the verifier rejected (raised by ``load(..., verify=True)``); ``result`` says why."""

    def __init__(self, result: VerifyResult, name: str = "") -> None:
        where = f"{name}: " if name else ""
        super().__init__(f"{where}verifier rejected the program: {result.error}")
        self.result = result


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on one program, its log, statistics, facts and the time it took."""

    ok: bool
    log: str
    errno: int
    stats: Stats
    facts: Facts
    duration_us: int

    @property
    def error(self) -> str:
        """The error line (the kernel's ``verifier_error``): the log's last line before statistics."""
        if self.ok:
            return ""
        for line in reversed(self.log.splitlines()):
            line = line.strip()
            if line and not line.startswith(("processed ", "verification time", "stack depth")):
                return line
        return ""

    @property
    def unsupported(self) -> bool:
        """True if the rejection is bpfvm's ("not verified yet"), not the kernel's rule."""
        return not self.ok and self.error.startswith("bpfvm:")


def prog_type_number(prog_type: int | str) -> int:
    """``enum bpf_prog_type`` for a number or a name (``socket_filter``, ``xdp`` …). Raises ValueError."""
    if isinstance(prog_type, int):
        return prog_type
    key = prog_type.lower().replace("-", "_")
    if key.isdigit():
        return int(key)
    if key not in PROG_TYPES:
        raise ValueError(f"unknown program type {prog_type!r} (known: {', '.join(PROG_TYPES)})")
    return PROG_TYPES[key]


def verify(
    code: bytes | bytearray | memoryview,
    prog_type: int | str = 1,
    *,
    log_level: int = 0,
    maps: Mapping[int, MapInfo] | None = None,
    privileged: bool = True,
    helper_name: Callable[[int], str] | None = None,
) -> VerifyResult:
    """Verify raw bytecode as ``BPF_PROG_LOAD`` would for ``prog_type``; never raises for a rejection.

    ``maps`` gives the maps that ``lddw`` map-fd pseudo instructions name (fd → :class:`MapInfo`).
    ``log_level`` 1/2 writes the kernel's log, 4 adds statistics lines.  Raises ValueError if the
    code is not whole 8-byte slots or the program type is unknown.
    """
    data = bytes(code)
    if len(data) % 8:
        raise ValueError(f"bytecode length {len(data)} is not a multiple of 8")
    checker = Checker(
        raw_decode(data),
        prog_type_number(prog_type),
        log_level=log_level,
        maps=dict(maps or {}),
        privileged=privileged,
        helper_name=helper_name,
    )
    start = time.perf_counter_ns()
    ok, log, errno = checker.run()
    duration = (time.perf_counter_ns() - start) // 1000
    if log_level & 4:
        log = log.replace("stack depth", f"verification time {duration} usec\nstack depth", 1)
    return VerifyResult(ok, log, errno, checker.stats, checker.facts, duration)


def verify_object(
    program: Program,
    *,
    name: str | None = None,
    prog_type: int | str | None = None,
    log_level: int = 0,
    privileged: bool = True,
) -> dict[str, VerifyResult]:
    """Verify the kernel programs of a loaded ELF object (one per section), by program name.

    ``name`` selects one program (function or section name); ``prog_type`` overrides the type
    the section name gives.  Raises :class:`~bpfvm.errors.ProgramError` if ``name`` names no
    program or a program has no type.
    """
    results: dict[str, VerifyResult] = {}
    progs = kernel_programs(program)
    if name is not None:
        progs = [p for p in progs if name in (p.name, p.section)]
        if not progs:
            raise ProgramError(f"{program.name}: no program named {name!r}")
    for prog in progs:
        ptype = prog_type_number(prog_type) if prog_type is not None else prog.prog_type
        if not ptype:
            raise ProgramError(f"{program.name}: section {prog.section!r} names no program type; use --type")
        results[prog.name] = verify(
            prog.code, ptype, log_level=log_level, maps=prog.maps, privileged=privileged
        )
    return results
