"""Kfuncs: open-coded number iterators (``bpf_iter_num_new/next/destroy``, kernel/bpf/bpf_iter.c),
``bpf_obj_new_impl``/``bpf_obj_drop_impl`` (kernel/bpf/helpers.c) and
``bpf_rcu_read_lock``/``unlock``.

clang emits a kfunc call as a call of an undefined ``__ksym`` symbol, which bpfvm binds by name
like an intrinsic (:func:`~..dispatch.kfunc_for`).  ``struct bpf_iter_num`` is 8 bytes on the
stack, laid out as the kernel's ``bpf_iter_num_kern {int cur; int end;}``.
"""

from __future__ import annotations

import errno

from ....errors import TrapKind, VmTrap
from ..env import KernelEnv
from ..registry import kfunc
from .loop import BPF_MAX_LOOPS

__all__: list[str] = []


def _s32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value >> 31 else value


def _store_iter(env: KernelEnv, it: int, cur: int, end: int) -> None:
    env.memory.write(it,
                     (cur & 0xFFFF_FFFF).to_bytes(4, "little") + (end & 0xFFFF_FFFF).to_bytes(4, "little"))


@kfunc("bpf_iter_num_new", 3)
def iter_num_new(env: KernelEnv, it: int, start: int, end: int) -> int:
    """Set up an iterator over ``[start, end)``; 0, -EINVAL if start > end, -E2BIG past
    BPF_MAX_LOOPS elements (the iterator is empty on error)."""
    start, end = _s32(start), _s32(end)
    if start > end:
        _store_iter(env, it, 0, 0)
        return -errno.EINVAL
    if end - start > BPF_MAX_LOOPS:
        _store_iter(env, it, 0, 0)
        return -errno.E2BIG
    _store_iter(env, it, start - 1, end)
    return 0


@kfunc("bpf_iter_num_next", 1)
def iter_num_next(env: KernelEnv, it: int) -> int:
    """Advance; the address of the current value (``int *``), or NULL when done."""
    cur, end = _s32(env.memory.load(it, 4)), _s32(env.memory.load(it + 4, 4))
    if cur + 1 >= end:
        _store_iter(env, it, 0, 0)
        return 0
    _store_iter(env, it, cur + 1, end)
    return it


@kfunc("bpf_iter_num_destroy", 1)
def iter_num_destroy(env: KernelEnv, it: int) -> int:
    """Empty the iterator."""
    _store_iter(env, it, 0, 0)
    return 0


@kfunc("bpf_rcu_read_lock", 0)
def rcu_read_lock(env: KernelEnv) -> int:
    """Enter an RCU read-side section (nesting is counted)."""
    env.state["rcu_depth"] = env.state.get("rcu_depth", 0) + 1
    return 0


@kfunc("bpf_rcu_read_unlock", 0)
def rcu_read_unlock(env: KernelEnv) -> int:
    """Leave an RCU read-side section; traps HELPER_FAILED without a matching lock."""
    depth = env.state.get("rcu_depth", 0)
    if depth <= 0:
        raise VmTrap(TrapKind.HELPER_FAILED, -1, "bpf_rcu_read_unlock without bpf_rcu_read_lock")
    env.state["rcu_depth"] = depth - 1
    return 0
