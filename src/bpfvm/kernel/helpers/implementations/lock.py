"""``bpf_spin_lock`` / ``bpf_spin_unlock`` (kernel/bpf/helpers.c) on the lock word in guest memory.

A VM runs one program at a time, so a lock is never contended; what can go wrong is what the
kernel's verifier forbids — taking a lock already held (a deadlock in the kernel) or releasing
one that is free — and bpfvm traps (``HELPER_FAILED``) on both instead of hanging.
"""

from __future__ import annotations

from ....errors import TrapKind, VmTrap
from ..env import KernelEnv
from ..registry import implements

__all__: list[str] = []


@implements("bpf_spin_lock")
def spin_lock(env: KernelEnv, lock: int) -> int:
    """Take the lock at ``lock`` (a u32: 0 free, 1 held)."""
    if env.memory.load(lock, 4):
        raise VmTrap(TrapKind.HELPER_FAILED, -1, f"bpf_spin_lock: the lock at {lock:#x} is already held "
                     "(a deadlock in the kernel)", lock)
    env.memory.store(lock, 4, 1)
    return 0


@implements("bpf_spin_unlock")
def spin_unlock(env: KernelEnv, lock: int) -> int:
    """Release the lock at ``lock``."""
    if not env.memory.load(lock, 4):
        raise VmTrap(TrapKind.HELPER_FAILED, -1, f"bpf_spin_unlock: the lock at {lock:#x} is not held", lock)
    env.memory.store(lock, 4, 0)
    return 0
