"""``errno`` (C17 §7.5): ``<errno.h>`` defines ``errno`` as ``(*__errno_location())``, as glibc.

The variable lives on the guest heap, allocated on first use; until then the C library keeps
its value on the host side (see :func:`bpfvm.libc.state.set_errno`).
"""

from __future__ import annotations

from .state import Machine, export, state

__all__ = ["__errno_location"]


@export()
def __errno_location(vm: Machine) -> int:
    """The guest address of this VM's ``errno`` (an ``int``)."""
    st = state(vm)
    if not st.errno_addr:
        addr = vm.heap.malloc(4)
        if addr:
            vm.memory.store(addr, 4, st.errno, pc=vm.pc)
            st.errno_addr = addr
    return st.errno_addr
