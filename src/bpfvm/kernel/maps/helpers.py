"""The map helpers' implementations (kernel ``kernel/bpf/helpers.c``, ``ringbuf.c``,
``bpf_iter.c``), for the helper table to register.

Every function has the signature ``fn(vm, r1, r2, r3, r4, r5) -> r0``: ``vm`` is the running
:class:`~bpfvm.vm.VM` (its :attr:`~bpfvm.vm.VM.map_space` resolves map handles, its
:attr:`~bpfvm.vm.VM.memory` holds keys and values, ``vm.map_space.cpu`` is the current CPU),
the five ints are the argument registers, and the result is r0 as an unsigned 64-bit int
(negative errnos two's-complemented).  A helper table binds them with
``functools.partial(fn, vm)`` (see :func:`bind`).  By kernel helper name:

=============================  ======================================  ==========================
name (id)                      arguments                               r0
=============================  ======================================  ==========================
bpf_map_lookup_elem (1)        map, key*                               value* (inner map) or 0
bpf_map_update_elem (2)        map, key*, value*, flags                0 / -errno
bpf_map_delete_elem (3)        map, key*                               0 / -errno
bpf_map_push_elem (87)         map, value*, flags                      0 / -errno
bpf_map_pop_elem (88)          map, value* (out)                       0 / -ENOENT
bpf_map_peek_elem (89)         map, value* (out; bloom: in)            0 / -ENOENT
bpf_for_each_map_elem (164)    map, callback, ctx, flags               elements visited / -EINVAL
bpf_map_lookup_percpu_elem     map, key*, cpu                          value* or 0
(195)
bpf_ringbuf_output (130)       ringbuf, data*, size, flags             0 / -EINVAL / -EAGAIN
bpf_ringbuf_reserve (131)      ringbuf, size, flags                    sample* or 0
bpf_ringbuf_submit (132)       sample*, flags                          0
bpf_ringbuf_discard (133)      sample*, flags                          0
bpf_ringbuf_query (134)        ringbuf, flags                          position / size
bpf_perf_event_output (25)     ctx, map, flags, data*, size            0 / -errno
bpf_arena_alloc_pages (kfunc)  arena, addr, page_cnt, node_id, flags   pages* or 0
bpf_arena_free_pages (kfunc)   arena, ptr, page_cnt                    0
=============================  ======================================  ==========================

``for_each_map_elem`` calls ``callback(map, key*, value*, ctx)`` through ``vm.call`` (key in a
scratch page of the VM) and stops when it returns 1.  A first argument that is not a map
handle, or a bad sample pointer, traps (``HELPER_FAILED``) — the kernel's verifier would have
refused the program.
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import TrapKind, VmTrap
from .base import Map
from .bloom_filter import BloomFilterMap
from .fd_array import ArrayOfMaps, HashOfMaps, PerfEventArray
from .queue_stack import QueueMap
from .ringbuf import RingBuf
from .space import Binding

if TYPE_CHECKING:
    from ...vm import VM

__all__ = [
    "MAP_HELPERS", "arena_alloc_pages", "arena_free_pages", "bind", "for_each_map_elem", "map_delete_elem",
    "map_lookup_elem", "map_lookup_percpu_elem", "map_peek_elem", "map_pop_elem", "map_push_elem",
    "map_update_elem", "perf_event_output", "ringbuf_discard", "ringbuf_output", "ringbuf_query",
    "ringbuf_reserve", "ringbuf_submit",
]

_M64 = (1 << 64) - 1
#: ``BPF_F_INDEX_MASK``, ``BPF_F_CURRENT_CPU``, ``BPF_F_CTXLEN_MASK`` of perf_event_output.
_INDEX_MASK, _CURRENT_CPU, _CTXLEN_MASK = 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFFF << 32


def _r0(value: int) -> int:
    return value & _M64


def _trap(vm: VM, message: str) -> VmTrap:
    return VmTrap(TrapKind.HELPER_FAILED, vm.pc, message)


def _binding(vm: VM, handle: int, kind: type[Map] | tuple[type[Map], ...] = Map) -> Binding:
    binding = vm.map_space.binding(handle)
    if binding is None or not isinstance(binding.map, kind):
        raise _trap(vm, f"r1 {handle:#x} is not a map handle of this VM")
    return binding


def _key(vm: VM, m: Map, addr: int) -> bytes:
    return vm.memory.read(addr, m.key_size, pc=vm.pc)


def map_lookup_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void *bpf_map_lookup_elem(map, key)``: the value's guest address (the inner map's
    handle for maps of maps), or 0."""
    binding = _binding(vm, r1)
    m = binding.map
    key = _key(vm, m, r2)
    if isinstance(m, ArrayOfMaps | HashOfMaps):
        inner = m.prog_inner(key)
        return 0 if inner is None else vm.map_space.attach(inner).handle
    offset = m.prog_lookup(key, vm.map_space.cpu)
    return 0 if offset is None else binding.address(offset)


def map_lookup_percpu_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void *bpf_map_lookup_percpu_elem(map, key, cpu)``: ``cpu``'s value of a per-CPU map, or 0
    (also for a CPU past the last)."""
    binding = _binding(vm, r1)
    m = binding.map
    if not m.percpu or r3 >= m.ncpus:
        return 0
    offset = m.prog_lookup(_key(vm, m, r2), r3)
    return 0 if offset is None else binding.address(offset)


def map_update_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_map_update_elem(map, key, value, flags)``: 0 or a negative errno."""
    m = _binding(vm, r1).map
    if isinstance(m, QueueMap | BloomFilterMap):
        return _r0(-errno.EINVAL)
    value = vm.memory.read(r3, m.value_size, pc=vm.pc)
    return _r0(m.prog_update(_key(vm, m, r2), value, r4, vm.map_space.cpu))


def map_delete_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_map_delete_elem(map, key)``: 0 or a negative errno."""
    m = _binding(vm, r1).map
    if isinstance(m, QueueMap | BloomFilterMap):
        return _r0(m.prog_delete(b""))
    return _r0(m.prog_delete(_key(vm, m, r2)))


def map_push_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_map_push_elem(map, value, flags)`` (queue, stack, bloom filter)."""
    m = _binding(vm, r1, (QueueMap, BloomFilterMap)).map
    value = vm.memory.read(r2, m.value_size, pc=vm.pc)
    assert isinstance(m, QueueMap | BloomFilterMap)
    return _r0(m.prog_push(value, r3))


def _pop_or_peek(vm: VM, r1: int, r2: int, *, delete: bool) -> int:
    m = _binding(vm, r1, (QueueMap, BloomFilterMap)).map
    if isinstance(m, BloomFilterMap):
        if delete:
            return _r0(-errno.EOPNOTSUPP)
        return _r0(m.prog_peek_value(vm.memory.read(r2, m.value_size, pc=vm.pc)))
    assert isinstance(m, QueueMap)
    vm.memory.check(r2, m.value_size, write=True, pc=vm.pc)
    value = m.prog_peek(delete)
    if value is None:
        return _r0(-errno.ENOENT)
    vm.memory.write(r2, value, pc=vm.pc)
    return 0


def map_pop_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_map_pop_elem(map, value)``: copy out and remove the next value."""
    return _pop_or_peek(vm, r1, r2, delete=True)


def map_peek_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_map_peek_elem(map, value)``: copy out the next value (bloom: test ``value``)."""
    return _pop_or_peek(vm, r1, r2, delete=False)


def for_each_map_elem(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags)``: the number of
    elements visited (the one whose callback returned 1 included); -EINVAL for flags."""
    if r4:
        return _r0(-errno.EINVAL)
    binding = _binding(vm, r1)
    m = binding.map
    depth = vm.libc_state.get("for_each_map_depth", 0)
    key_addr = vm.map_space.scratch() + (depth % 8) * 512
    vm.libc_state["for_each_map_depth"] = depth + 1
    count = 0
    try:
        for key, offset in m.prog_items(vm.map_space.cpu):
            vm.memory.buf[key_addr:key_addr + len(key)] = key
            count += 1
            if vm.call(r2, r1, key_addr, binding.address(offset), r3) & _M64 == 1:
                break
    finally:
        vm.libc_state["for_each_map_depth"] = depth
    return count


# -- ring buffers -----------------------------------------------------------------------------
def ringbuf_output(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_ringbuf_output(ringbuf, data, size, flags)``: 0, -EINVAL, -EAGAIN."""
    rb = _binding(vm, r1, RingBuf).map
    assert isinstance(rb, RingBuf)
    return _r0(rb.output(vm.memory.read(r2, r3, pc=vm.pc), r4))


def ringbuf_reserve(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void *bpf_ringbuf_reserve(ringbuf, size, flags)``: a busy record's data, or 0 (also for
    flags ≠ 0)."""
    binding = _binding(vm, r1, RingBuf)
    rb = binding.map
    assert isinstance(rb, RingBuf)
    if r3:
        return 0
    offset = rb.reserve(r2)
    return 0 if offset is None else binding.address(offset)


def _commit(vm: VM, sample: int, *, discard: bool) -> int:
    binding = vm.map_space.containing(sample)
    rb = binding.map if binding is not None else None
    if binding is None or not isinstance(rb, RingBuf) or rb.record_at(sample - binding.base) is None:
        raise _trap(vm, f"{sample:#x} is not a reserved ring buffer sample")
    rb.commit(sample - binding.base, discard=discard)
    return 0


def ringbuf_submit(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void bpf_ringbuf_submit(sample, flags)``: commit a reserved record."""
    return _commit(vm, r1, discard=False)


def ringbuf_discard(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void bpf_ringbuf_discard(sample, flags)``: drop a reserved record."""
    return _commit(vm, r1, discard=True)


def ringbuf_query(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``u64 bpf_ringbuf_query(ringbuf, flags)``: available data, size, consumer or producer
    position (``BPF_RB_AVAIL_DATA`` … ``BPF_RB_PROD_POS``), else 0."""
    rb = _binding(vm, r1, RingBuf).map
    assert isinstance(rb, RingBuf)
    return _r0(rb.query(r2))


def perf_event_output(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``long bpf_perf_event_output(ctx, map, flags, data, size)``: deliver ``data`` to the perf
    event array slot ``flags & BPF_F_INDEX_MASK`` (``BPF_F_CURRENT_CPU``: this CPU's)."""
    events = _binding(vm, r2, PerfEventArray).map
    assert isinstance(events, PerfEventArray)
    if r3 & ~(_INDEX_MASK | _CTXLEN_MASK):
        return _r0(-errno.EINVAL)
    index = r3 & _INDEX_MASK
    if index == _CURRENT_CPU:
        index = vm.map_space.cpu
    return _r0(events.output(index, vm.memory.read(r4, r5, pc=vm.pc)))


# -- arenas (kfuncs) --------------------------------------------------------------------------
def arena_alloc_pages(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void *bpf_arena_alloc_pages(arena, addr__ign, page_cnt, node_id, flags)``: guest address of
    ``page_cnt`` new zeroed pages (at ``addr`` when non-zero and inside the arena), or 0."""
    from .arena import Arena

    binding = _binding(vm, r1, Arena)
    arena = binding.map
    assert isinstance(arena, Arena)
    if r5:
        return 0
    at = (r2 - binding.base) // 4096 if r2 and binding.base <= r2 else None
    offset = arena.alloc_pages(r3, at)
    return 0 if offset is None else binding.address(offset)


def arena_free_pages(vm: VM, r1: int, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> int:
    """``void bpf_arena_free_pages(arena, ptr, page_cnt)``."""
    from .arena import Arena

    binding = _binding(vm, r1, Arena)
    assert isinstance(binding.map, Arena)
    if r2 >= binding.base:
        binding.map.free_pages(r2 - binding.base, r3)
    return 0


#: Implementations by kernel helper (or kfunc) name.
MAP_HELPERS: dict[str, Callable[..., int]] = {
    "bpf_map_lookup_elem": map_lookup_elem,
    "bpf_map_update_elem": map_update_elem,
    "bpf_map_delete_elem": map_delete_elem,
    "bpf_map_push_elem": map_push_elem,
    "bpf_map_pop_elem": map_pop_elem,
    "bpf_map_peek_elem": map_peek_elem,
    "bpf_for_each_map_elem": for_each_map_elem,
    "bpf_map_lookup_percpu_elem": map_lookup_percpu_elem,
    "bpf_ringbuf_output": ringbuf_output,
    "bpf_ringbuf_reserve": ringbuf_reserve,
    "bpf_ringbuf_submit": ringbuf_submit,
    "bpf_ringbuf_discard": ringbuf_discard,
    "bpf_ringbuf_query": ringbuf_query,
    "bpf_perf_event_output": perf_event_output,
    "bpf_arena_alloc_pages": arena_alloc_pages,
    "bpf_arena_free_pages": arena_free_pages,
}


def bind(vm: VM) -> dict[str, Callable[..., Any]]:
    """Every map helper bound to ``vm``: name → ``callable(r1, …, r5) -> r0``."""
    return {name: functools.partial(fn, vm) for name, fn in MAP_HELPERS.items()}
