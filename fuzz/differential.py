"""Interpreter vs JIT on generated programs: every observable of every run must agree.

For each :class:`~fuzz.programs.Module` both engines get a VM of the same shape and run every
entry in the same order, each with a fresh 64-byte buffer; after each run the outcome is
compared: r0 or the trap (kind, pc, address, message), the instruction count, the buffer, the
module's ``.data`` and the whole stack.  Anything but a :class:`bpfvm.BpfError` escaping an
engine is a finding too (``"exception"``).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bpfvm import VM, BpfError, VmTrap

from .programs import MEM_SIZE, Module

__all__ = ["BUDGET", "Finding", "Outcome", "check_module", "make_vm", "outcomes", "schedule"]

#: The instruction budget of every run (a generated loop that never ends stops here).
BUDGET = 20_000

Outcome = tuple[Any, ...]


@dataclass(frozen=True)
class Finding:
    """Engines that disagree (or an exception that is not a BpfError) on one entry."""

    seed: int
    entry: str
    kind: str  # "disagree" | "exception"
    interpreter: Outcome
    jit: Outcome

    def __str__(self) -> str:
        return (f"seed {self.seed} entry {self.entry}: {self.kind}\n  interpreter: {self.interpreter}\n"
                f"  jit:         {self.jit}")


def make_vm(engine: str) -> VM:
    """A small VM for generated programs: 8 frames of 512 bytes, helpers 1–4, no JIT cache."""
    vm = VM(engine, max_instructions=BUDGET, memory_size=4 << 20, heap_size=1 << 16, stack_size=512,
            max_call_depth=8, jit_cache=False)
    vm.helpers.update({1: lambda a, b, *_: a ^ b, 2: lambda *_: None, 3: lambda *_: -1,
                       4: lambda a, b, *_: vm.memory.store(a, 8, b)})
    return vm


def _region(vm: VM, name: str) -> bytes:
    for region in vm.memory.regions:
        if region.name == name:
            return bytes(vm.memory.buf[region.base:region.end])
    return b""


def _run(vm: VM, module: Module, entry: str, index: int) -> Outcome:
    mem = bytearray((index * 7 + i) & 0xFF for i in range(MEM_SIZE))
    try:
        result: Outcome = ("r0", vm.run(module.program, mem=mem, entry=entry))
    except VmTrap as trap:
        result = ("trap", trap.kind.value, trap.pc, trap.addr, str(trap))
    except BpfError as err:
        result = ("error", type(err).__name__, str(err))
    except Exception as exc:  # a finding: only BpfErrors may escape
        return ("exception", type(exc).__name__, str(exc), traceback.format_exc(limit=-3))
    data = _region(vm, f"{module.program.name}:.data")
    stack = bytes(vm.memory.buf[vm.memory.stack_base:vm.memory.size])
    return result, vm.instructions, bytes(mem), data, stack


def schedule(module: Module, rounds: int) -> list[tuple[int, str]]:
    """The runs of a check: every entry once per round, each round with other buffer bytes."""
    count = len(module.entries)
    return [(r * count + i, entry) for r in range(rounds) for i, entry in enumerate(module.entries)]


def outcomes(engine: str, module: Module, rounds: int = 1) -> Iterator[Outcome]:
    """The outcome of each run of ``module`` (:func:`schedule`) on a fresh VM of ``engine``."""
    vm = make_vm(engine)
    try:
        for index, entry in schedule(module, rounds):
            yield _run(vm, module, entry, index)
    finally:
        vm.memory.close()


def check_module(module: Module, rounds: int = 1) -> list[Finding]:
    """Run ``module`` on both engines; the first disagreement (later runs depend on the state it
    leaves) and every non-BpfError exception are findings."""
    findings: list[Finding] = []
    runs = zip(schedule(module, rounds), outcomes("interpreter", module, rounds),
               outcomes("jit", module, rounds))
    for (_, entry), interp, jit in runs:
        if interp[0] == "exception" or jit[0] == "exception":
            findings.append(Finding(module.seed, entry, "exception", interp, jit))
        elif interp != jit:
            findings.append(Finding(module.seed, entry, "disagree", interp, jit))
            break
    return findings
