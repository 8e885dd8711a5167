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

from ..errors import BpfError
from .checker import Checker, Facts, Stats
from .ctx import CONTEXTS, PROG_TYPES
from .disasm import RawInsn, kernel_insn, raw_decode
from .state import MapInfo

__all__ = ["CONTEXTS", "PROG_TYPES", "Facts", "MapInfo", "RawInsn", "Stats", "VerifierError", "VerifyResult",
           "kernel_insn", "prog_type_number", "raw_decode", "verify"]


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


def verify(code: bytes | bytearray | memoryview, prog_type: int | str = 1, *, log_level: int = 0,
           maps: Mapping[int, MapInfo] | None = None, privileged: bool = True,
           helper_name: Callable[[int], str] | None = None) -> VerifyResult:
    """Verify raw bytecode as ``BPF_PROG_LOAD`` would for ``prog_type``; never raises for a rejection.

    ``maps`` gives the maps that ``lddw`` map-fd pseudo instructions name (fd → :class:`MapInfo`).
    ``log_level`` 1/2 writes the kernel's log, 4 adds statistics lines.  Raises ValueError if the
    code is not whole 8-byte slots or the program type is unknown.
    """
    data = bytes(code)
    if len(data) % 8:
        raise ValueError(f"bytecode length {len(data)} is not a multiple of 8")
    checker = Checker(raw_decode(data), prog_type_number(prog_type), log_level=log_level, maps=dict(maps or {}),
                      privileged=privileged, helper_name=helper_name)
    start = time.perf_counter_ns()
    ok, log, errno = checker.run()
    duration = (time.perf_counter_ns() - start) // 1000
    if log_level & 4:
        log = log.replace("stack depth", f"verification time {duration} usec\nstack depth", 1)
    return VerifyResult(ok, log, errno, checker.stats, checker.facts, duration)
