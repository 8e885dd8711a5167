"""The shadow stack behind variable-length arrays and ``alloca()`` (see :mod:`bpfvm.cc.vla`).

Each VM gets one block of :data:`SHADOW_STACK` bytes from the guest heap on first use.
``__bpfvm_alloca`` hands out memory upwards from its top (aligned as asked, at least 16);
``__bpfvm_stacksave`` returns the top and ``__bpfvm_stackrestore`` resets it, which frees
everything allocated since.  Running out is a :class:`~bpfvm.errors.VmTrap` of kind
``STACK_OVERFLOW``, as overflowing a real stack with a huge VLA would crash.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TrapKind, VmTrap
from .state import Machine, export

__all__ = ["SHADOW_STACK", "ShadowStack"]

#: Bytes of variable-length arrays a VM can have live at once.
SHADOW_STACK = 1 << 20


@dataclass
class ShadowStack:
    """One VM's shadow stack: ``[base, end)`` in the guest heap, in use up to ``top``."""

    base: int
    end: int
    top: int


def _shadow(vm: Machine) -> ShadowStack:
    found: ShadowStack | None = vm.libc_state.get("alloca")
    if found is None:
        base = vm.heap.malloc(SHADOW_STACK)
        if not base:
            raise VmTrap(TrapKind.HEAP, vm.pc, "no heap left for the variable-length-array stack")
        found = vm.libc_state["alloca"] = ShadowStack(base, base + SHADOW_STACK, base)
    return found


@export("__bpfvm_stacksave")
def stacksave(vm: Machine) -> int:
    """The shadow stack's top (what ``__bpfvm_stackrestore`` returns to)."""
    return _shadow(vm).top


@export("__bpfvm_stackrestore")
def stackrestore(vm: Machine, mark: int) -> None:
    """Free everything allocated since ``mark`` was saved (a mark outside the stack is ignored)."""
    shadow = _shadow(vm)
    if shadow.base <= mark <= shadow.end:
        shadow.top = mark


@export("__bpfvm_alloca")
def alloca(vm: Machine, size: int, align: int) -> int:
    """``size`` bytes aligned to ``align`` (at least 16) on the shadow stack."""
    shadow = _shadow(vm)
    step = max(16, align if align & (align - 1) == 0 else 16)
    start = -(-shadow.top // step) * step
    if size > shadow.end - start:
        raise VmTrap(TrapKind.STACK_OVERFLOW, vm.pc, f"variable-length array of {size} bytes: more than the "
                     f"{SHADOW_STACK} bytes of the alloca stack are live", start)
    shadow.top = start + size
    return start
