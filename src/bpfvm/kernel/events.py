"""Firing tracing programs (tracepoints, kprobes, raw tracepoints, perf events) from the host.

The kernel runs these programs when an event happens; in bpfvm the host says when: :func:`fire`
runs a program once on a context it builds in guest memory (read-only, as the kernel's
verifier keeps tracing contexts), in the VM whose maps the program uses.  The context builders
give the layouts the kernel gives:

* :func:`syscall_enter` / :func:`syscall_exit` — the ``syscalls:sys_enter_*`` / ``sys_exit_*``
  tracepoint records (/sys/kernel/tracing/events/syscalls/*/format: an 8-byte common header,
  ``__syscall_nr`` at 8, the arguments as 8-byte fields from 16; ``ret`` at 16 on exit);
* :func:`pt_regs` — x86-64 ``struct pt_regs`` with a function's arguments in rdi, rsi, rdx,
  rcx, r8, r9 (what ``PT_REGS_PARM1..6`` read in a kprobe) and its return value in rax;
* :func:`raw_args` — a raw tracepoint's ``u64 args[]``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..program import Program
from .context import PtRegs
from .test_run import entry_of

if TYPE_CHECKING:
    from ..vm import VM

__all__ = ["fire", "pt_regs", "raw_args", "syscall_enter", "syscall_exit"]

_PARAMS = ("di", "si", "dx", "cx", "r8", "r9")


def syscall_enter(nr: int, args: Sequence[int] = (), *, pid: int = 0, common_type: int = 0) -> bytes:
    """A ``sys_enter_*`` tracepoint record: common header, ``__syscall_nr``, six arguments."""
    values = [a & 0xFFFF_FFFF_FFFF_FFFF for a in args][:6]
    values += [0] * (6 - len(values))
    return struct.pack("<HBBiiI6Q", common_type, 0, 0, pid, nr, 0, *values)


def syscall_exit(nr: int, ret: int, *, pid: int = 0, common_type: int = 0) -> bytes:
    """A ``sys_exit_*`` tracepoint record: common header, ``__syscall_nr``, ``ret``."""
    return struct.pack("<HBBiiIq", common_type, 0, 0, pid, nr, 0, ret)


def pt_regs(args: Sequence[int] = (), *, ret: int = 0, ip: int = 0) -> bytes:
    """x86-64 registers of a function entry (``args`` in the argument registers) or return."""
    regs = PtRegs()
    for name, value in zip(_PARAMS, args):
        setattr(regs, name, value & 0xFFFF_FFFF_FFFF_FFFF)
    regs.ax, regs.ip = ret & 0xFFFF_FFFF_FFFF_FFFF, ip
    return bytes(regs)


def raw_args(args: Sequence[int]) -> bytes:
    """A raw tracepoint's argument array."""
    return b"".join((a & 0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "little") for a in args)


def fire(vm: VM, program: Program, name: str | None, ctx: bytes = b"", *, writable: bool = False) -> int:
    """Run program ``name`` of ``program`` once for an event whose context is ``ctx``; return r0.

    Raises :class:`~bpfvm.errors.ProgramError` for an unknown program and
    :class:`~bpfvm.errors.VmTrap` when it faults (writing a read-only context included).
    """
    entry, _ = entry_of(program, name)
    vm.compile(program)
    mark = vm.memory.mark()
    try:
        address = vm.memory.map(f"event:{entry}", ctx or bytes(8), writable=writable, align=8).base
        return vm.run(program, address, entry=entry)
    finally:
        vm.memory.release(mark)
