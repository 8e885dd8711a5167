"""Kfuncs: open-coded number iterators (``bpf_iter_num_new/next/destroy``, kernel/bpf/bpf_iter.c),
``bpf_obj_new_impl``/``bpf_obj_drop_impl`` (kernel/bpf/helpers.c) and
``bpf_rcu_read_lock``/``unlock``.

clang emits a kfunc call as a call of an undefined ``__ksym`` symbol, which bpfvm binds by name
like an intrinsic (:func:`~..dispatch.kfunc_for`).  ``struct bpf_iter_num`` is 8 bytes on the
stack, laid out as the kernel's ``bpf_iter_num_kern {int cur; int end;}``.
"""

from __future__ import annotations

import errno
from typing import Any

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
    BPF_MAX_LOOPS elements (the iterator is empty on error).  The result is a C ``int``: 32
    bits, zero-extended in r0 as the kernel's x86-64 JIT leaves it."""
    start, end = _s32(start), _s32(end)
    if start > end:
        _store_iter(env, it, 0, 0)
        return -errno.EINVAL & 0xFFFF_FFFF
    if end - start > BPF_MAX_LOOPS:
        _store_iter(env, it, 0, 0)
        return -errno.E2BIG & 0xFFFF_FFFF
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


def _running_program(env: KernelEnv) -> Any:
    running = env.vm._running  # noqa: SLF001 - the program making the call
    return None if running is None else running.program


@kfunc("bpf_obj_new_impl", 2)
def obj_new_impl(env: KernelEnv, local_type_id: int, meta: int) -> int:
    """Allocate a zeroed object of the program's BTF type ``local_type_id`` (what
    ``bpf_obj_new(type)`` passes); its address, or NULL when the heap is full.  Traps
    HELPER_FAILED when the program has no BTF naming that type."""
    from ..dispatch import program_btf

    program = _running_program(env)
    btf = program_btf(program) if program is not None else None
    try:
        size = btf.size_of(local_type_id) if btf is not None else None
    except Exception:  # noqa: BLE001 - a bad id is reported below
        size = None
    if not size:
        raise VmTrap(TrapKind.HELPER_FAILED, -1, f"bpf_obj_new: BTF type {local_type_id} of the program is "
                     "not a sized type")
    address = env.vm.heap.calloc(1, size)
    if not address:
        return 0
    env.state.setdefault("objects", set()).add(address)
    return int(address)


@kfunc("bpf_obj_drop_impl", 2)
def obj_drop_impl(env: KernelEnv, ptr: int, meta: int) -> int:
    """Free an object from bpf_obj_new; traps HELPER_FAILED for anything else."""
    objects: set[int] = env.state.setdefault("objects", set())
    if ptr not in objects:
        raise VmTrap(TrapKind.HELPER_FAILED, -1, f"bpf_obj_drop: {ptr:#x} is not from bpf_obj_new", ptr)
    objects.discard(ptr)
    env.vm.heap.free(ptr)
    return 0
