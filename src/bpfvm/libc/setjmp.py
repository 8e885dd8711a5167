"""``<setjmp.h>`` (C17 §7.13; POSIX ``sigsetjmp``/``siglongjmp``, BSD ``_setjmp``/``_longjmp``).

``setjmp`` records in the ``jmp_buf`` (guest memory) the frame pointer of its caller, the slot
after the call (where execution resumes), the shadow stack's top (variable-length arrays,
:mod:`.alloca`) and a serial number; the VM keeps, per frame pointer, the serial of the latest
``setjmp`` made there.  ``longjmp`` checks that the buffer is one of these and that its frame is
the caller's or an ancestor (frames grow down), then raises
:class:`~bpfvm.runtime.calls.LongJump`: each engine unwinds to that frame, which restores r6–r9
as ``setjmp`` left them and resumes with ``r0 = value`` (1 for 0).  Anything else — a buffer no
``setjmp`` filled, a frame that has returned — is a :class:`~bpfvm.errors.VmTrap`
``BAD_LONGJMP``.  No signals are delivered here, so ``sigsetjmp``'s mask is not saved.
"""

from __future__ import annotations

import itertools
import struct

from ..errors import TrapKind, VmTrap
from ..runtime.calls import LongJump
from .alloca import ShadowStack
from .state import Machine, export

__all__ = ["JMP_BUF_SIZE", "longjmp", "setjmp"]

#: ``jmp_buf`` is ``long[8]``: magic, frame pointer, resume slot, serial, shadow-stack top.
JMP_BUF_SIZE = 64
_LAYOUT = struct.Struct("<QQQQQ")
_MAGIC = 0x6A6D_7062_7066_7662  # "bvfpbpmj"
_SERIALS = itertools.count(1)


def _frames(vm: Machine) -> dict[int, int]:
    """Frame pointer → serial of the latest ``setjmp`` made in that frame."""
    found: dict[int, int] | None = vm.libc_state.get("setjmp")
    if found is None:
        found = vm.libc_state["setjmp"] = {}
    return found


@export("setjmp", "_setjmp", "sigsetjmp", "__sigsetjmp")
def setjmp(vm: Machine, regs: list[int], env: int) -> int:
    """Fill ``env`` for a later ``longjmp`` to the caller's frame; 0 (the first return)."""
    serial = next(_SERIALS)
    shadow: ShadowStack | None = vm.libc_state.get("alloca")
    r10 = regs[10]
    vm.memory.write(env, _LAYOUT.pack(_MAGIC, r10, vm.pc + 1, serial, shadow.top if shadow else 0), pc=vm.pc)
    _frames(vm)[r10] = serial
    return 0


@export("longjmp", "_longjmp", "siglongjmp")
def longjmp(vm: Machine, regs: list[int], env: int, value: int) -> None:
    """Resume the ``setjmp`` that filled ``env`` with ``value`` (1 if 0).

    Raises :class:`VmTrap` BAD_LONGJMP if ``env`` holds no ``setjmp`` of a live frame.
    """
    magic, r10, resume, serial, top = _LAYOUT.unpack(vm.memory.read(env, _LAYOUT.size))
    frames = _frames(vm)
    if magic != _MAGIC:
        raise VmTrap(TrapKind.BAD_LONGJMP, vm.pc, f"longjmp with a jmp_buf at {env:#x} that no setjmp "
                     "filled", env)
    if frames.get(r10) != serial or r10 < regs[10]:
        raise VmTrap(TrapKind.BAD_LONGJMP, vm.pc, f"longjmp to a setjmp (resuming at pc {resume}) whose "
                     "function has returned", env)
    for deeper in [fp for fp in frames if fp < r10]:  # the frames being unwound
        del frames[deeper]
    shadow: ShadowStack | None = vm.libc_state.get("alloca")
    if shadow is not None and shadow.base <= top <= shadow.end:
        shadow.top = top
    raise LongJump(r10, resume, (value & 0xFFFF_FFFF) or 1, vm.pc)
