"""Hash maps: ``HASH``, ``PERCPU_HASH``, ``LRU_HASH``, ``LRU_PERCPU_HASH`` (kernel ``kernel/bpf/hashtab.c``,
``bpf_lru_list.c``).

The index (key → value slot) is a host-side dict; values sit in ``max_entries`` preallocated
storage slots (per CPU: ``ncpus`` consecutive slots per element), so a value's guest address is
stable while its element exists.  Semantics of the kernel's: NOEXIST on a present key EEXIST,
EXIST on a missing one ENOENT, a new key in a full map E2BIG (LRU maps evict instead), flags
above ``BPF_EXIST`` EINVAL; ``get_next_key`` of a missing key restarts at the first key.
Iteration order is insertion order here; the kernel's depends on a random hash seed, so only
key *sets* are comparable.

LRU: the kernel's lists are approximate (per-CPU free lists, a common list with reference bits;
``BPF_F_NO_COMMON_LRU`` gives each CPU its own list and rounds ``max_entries`` to a multiple of
the CPU count).  bpfvm keeps an exact LRU order per list (program lookups and updates make an
element recently used) and evicts the least recently used element of the updating CPU's list
when the map is full, which satisfies the kernel's invariants: an update always succeeds, the
updated key is present afterwards, and the map never holds more than ``max_entries`` elements.
"""

from __future__ import annotations

import errno
from collections import OrderedDict
from collections.abc import Iterator

from .base import (
    BPF_EXIST,
    BPF_NOEXIST,
    ENOTSUPP,
    KMALLOC_MAX_SIZE,
    MAX_STORAGE,
    PCPU_MIN_UNIT_SIZE,
    Flag,
    KeyLike,
    Map,
    Storage,
)

__all__ = ["HashMap", "LruHashMap", "LruPercpuHashMap", "PercpuHashMap"]

#: ``sizeof(struct htab_elem)`` on x86-64.
_HTAB_ELEM = 48
_HTAB_FLAGS = Flag.NO_PREALLOC | Flag.NO_COMMON_LRU | Flag.NUMA_NODE | Flag.ACCESS_MASK | Flag.ZERO_SEED


class HashMap(Map):
    """``BPF_MAP_TYPE_HASH``: up to ``max_entries`` key → value elements."""

    type_name = "hash"
    type_id = 1
    allowed_flags = _HTAB_FLAGS
    lru = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.lru and self.flags & Flag.NO_COMMON_LRU:
            self.max_entries = _round_to_cpus(self.max_entries, self.ncpus)
        size = self.slot_size * self.max_entries * self.slots_per
        self.storage = Storage(self.name or self.type_name, size)
        self._index: OrderedDict[bytes, int] = OrderedDict()
        self._free = list(range(self.max_entries - 1, -1, -1))
        self._order: tuple[int, dict[bytes, int], list[bytes]] = (-1, {}, [])

    @property
    def slots_per(self) -> int:
        """Storage slots per element."""
        return self.ncpus if self.percpu else 1

    def check(self) -> None:
        """``htab_map_alloc_check``."""
        if not self.lru and self.flags & Flag.NO_COMMON_LRU:
            self.fail(errno.EINVAL, "create", "BPF_F_NO_COMMON_LRU is for LRU maps")
        if self.lru and self.flags & Flag.NO_PREALLOC:
            self.fail(ENOTSUPP, "create", "LRU maps are always preallocated")
        if self.percpu and self.flags & Flag.NUMA_NODE:
            self.fail(errno.EINVAL, "create", "a per-CPU map cannot be NUMA-bound")
        if self.max_entries == 0 or self.key_size == 0 or self.value_size == 0:
            self.fail(errno.EINVAL, "create", "key_size, value_size and max_entries must be non-zero")
        if self.key_size + self.value_size >= KMALLOC_MAX_SIZE - _HTAB_ELEM:
            self.fail(errno.E2BIG, "create", f"key_size + value_size = {self.key_size + self.value_size}")
        if self.percpu and self.slot_size > PCPU_MIN_UNIT_SIZE:
            self.fail(errno.E2BIG, "create", f"per-CPU value_size {self.value_size} too large")
        if self.slot_size * self.max_entries * (self.ncpus if self.percpu else 1) > MAX_STORAGE:
            self.fail(errno.ENOMEM, "create", "hash map too large")

    # -- helpers ----------------------------------------------------------------------------
    def offset(self, slot: int, cpu: int = 0) -> int:
        """Storage offset of ``slot``'s value (of ``cpu``)."""
        return (slot * self.slots_per + cpu) * self.slot_size

    def _changed(self) -> None:
        self.version += 1

    def _touch(self, key: bytes) -> None:
        """Mark an element recently used (LRU maps)."""

    def _evict(self, cpu: int) -> bool:
        """Make room for a new element (LRU maps); False if none can be made."""
        return False

    def _store(self, slot: int, value: bytes, cpu: int | None) -> None:
        """Write ``value``: all CPUs' (user layout) when ``cpu`` is None, else one CPU's, zeroing the
        others when the element is new (``pcpu_init_value``)."""
        assert self.storage is not None
        buf, step, size = self.storage.buf, self.slot_size, self.value_size
        if not self.percpu:
            buf[self.offset(slot):self.offset(slot) + size] = value
            return
        for c in range(self.ncpus):
            start = self.offset(slot, c)
            if cpu is None:
                buf[start:start + size] = value[c * step:c * step + size]
            elif c == cpu:
                buf[start:start + size] = value[:size]

    def _insert(self, key: bytes, value: bytes, plain: int, cpu: int | None) -> int:
        """The shared update path: 0 or a negative errno."""
        slot = self._index.get(key)
        if slot is not None and plain == BPF_NOEXIST:
            return -errno.EEXIST
        if slot is None and plain == BPF_EXIST:
            return -errno.ENOENT
        if slot is None:
            if not self._free and not self._evict(0 if cpu is None else cpu):
                return -errno.E2BIG
            slot = self._free.pop()
            self._index[key] = slot
            self._changed()
            if self.percpu and cpu is not None:
                self._zero(slot)
        self._store(slot, value, cpu)
        self._touch(key)
        return 0

    def _zero(self, slot: int) -> None:
        assert self.storage is not None
        start = self.offset(slot)
        size = self.slot_size * self.slots_per
        self.storage.buf[start:start + size] = bytes(size)

    def _remove(self, key: bytes) -> bool:
        slot = self._index.pop(key, None)
        if slot is None:
            return False
        self._free.append(slot)
        self._changed()
        return True

    # -- syscall side -----------------------------------------------------------------------
    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """The value of ``key`` (all CPUs' for per-CPU maps); ENOENT if missing."""
        self.check_lookup_flags(flags)
        raw = self.key_bytes(key, "lookup")
        slot = self._index.get(raw)
        if slot is None:
            self.fail(errno.ENOENT, "lookup", "no such key")
        assert self.storage is not None and slot is not None
        start = self.offset(slot)
        if self.percpu:
            return bytes(self.storage.buf[start:start + self.slot_size * self.ncpus])
        return bytes(self.storage.buf[start:start + self.value_size])

    def update(self, key: KeyLike, value: KeyLike, flags: int = 0) -> None:
        """Insert or replace ``key`` under ``flags`` (EEXIST, ENOENT, E2BIG, EINVAL)."""
        plain = self.check_update_flags(flags)
        result = self._insert(self.key_bytes(key, "update"), self.value_bytes(value), plain, None)
        if result:
            self.fail(-result, "update", _REASONS.get(-result, ""))

    def delete(self, key: KeyLike = None) -> None:
        """Remove ``key``; ENOENT if missing."""
        if not self._remove(self.key_bytes(key, "delete")):
            self.fail(errno.ENOENT, "delete", "no such key")

    def lookup_and_delete(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """The value of ``key``, then remove it (ENOENT if missing)."""
        value = self.lookup(key, flags)
        self.delete(key)
        return value

    def get_next_key(self, key: KeyLike = None) -> bytes:
        """The key after ``key`` in iteration order; the first for None or a missing key."""
        version, positions, order = self._order
        if version != self.version:
            order = list(self._index)
            positions = {k: i for i, k in enumerate(order)}
            self._order = (self.version, positions, order)
        at = -1 if key is None else positions.get(self.key_bytes(key, "get_next_key"), -1)
        if at + 1 >= len(order):
            self.fail(errno.ENOENT, "get_next_key", "no more keys")
        return order[at + 1]

    def keys(self) -> Iterator[bytes]:
        """Keys in iteration order (a snapshot)."""
        return iter(list(self._index))

    def __len__(self) -> int:
        return len(self._index)

    # -- program side -----------------------------------------------------------------------
    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """Offset of ``key``'s value for ``cpu`` (marks an LRU element used)."""
        slot = self._index.get(key)
        if slot is None:
            return None
        self._touch(key)
        return self.offset(slot, cpu if self.percpu else 0)

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``htab_map_update_elem`` from a program (one CPU's value of a per-CPU map)."""
        if flags & ~4 > BPF_EXIST or (flags & 4 and self.spin_lock_offset is None):
            return -errno.EINVAL
        return self._insert(key, value, flags & ~4, cpu if self.percpu else None)

    def prog_items(self, cpu: int) -> Iterator[tuple[bytes, int]]:
        """Elements in iteration order (a snapshot) for ``bpf_for_each_map_elem``."""
        for key, slot in list(self._index.items()):
            if self._index.get(key) == slot:
                yield key, self.offset(slot, cpu if self.percpu else 0)


_REASONS = {errno.EEXIST: "key exists (BPF_NOEXIST)", errno.ENOENT: "no such key (BPF_EXIST)",
            errno.E2BIG: "map is full"}


def _round_to_cpus(max_entries: int, ncpus: int) -> int:
    """``htab_map_alloc``: a per-CPU LRU's ``max_entries`` rounded to a multiple of the CPU count
    (down if rounding up would overflow u32)."""
    up = -(-max_entries // ncpus) * ncpus
    return up if up < 1 << 32 else max_entries // ncpus * ncpus


class PercpuHashMap(HashMap):
    """``BPF_MAP_TYPE_PERCPU_HASH``: one value per CPU per key."""

    type_name = "percpu_hash"
    type_id = 5
    percpu = True


class LruHashMap(HashMap):
    """``BPF_MAP_TYPE_LRU_HASH``: a full map evicts its least recently used element."""

    type_name = "lru_hash"
    type_id = 9
    lru = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        lists = self.ncpus if self.flags & Flag.NO_COMMON_LRU else 1
        self._lru: list[OrderedDict[bytes, None]] = [OrderedDict() for _ in range(lists)]
        self._owner: dict[bytes, int] = {}
        self._cpu = 0

    def _list(self, cpu: int) -> OrderedDict[bytes, None]:
        return self._lru[cpu % len(self._lru)]

    def _touch(self, key: bytes) -> None:
        owner = self._owner.get(key)
        if owner is None:
            owner = self._cpu % len(self._lru)
            self._owner[key] = owner
        lst = self._lru[owner]
        lst[key] = None
        lst.move_to_end(key)

    def _evict(self, cpu: int) -> bool:
        lst = self._list(cpu)
        if not lst:  # this CPU's list is empty: take from the fullest one
            lst = max(self._lru, key=len)
        if not lst:
            return False
        victim = next(iter(lst))
        return self._remove(victim)

    def _remove(self, key: bytes) -> bool:
        owner = self._owner.pop(key, None)
        if owner is not None:
            self._lru[owner].pop(key, None)
        return super()._remove(key)

    def _insert(self, key: bytes, value: bytes, plain: int, cpu: int | None) -> int:
        if cpu is not None:
            self._cpu = cpu
        if key not in self._index and plain != BPF_EXIST and not self._free:
            self._evict(self._cpu)
        return super()._insert(key, value, plain, cpu)

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """An update from a program running on ``cpu`` (its LRU list, with NO_COMMON_LRU)."""
        self._cpu = cpu
        return super().prog_update(key, value, flags, cpu)


class LruPercpuHashMap(LruHashMap):
    """``BPF_MAP_TYPE_LRU_PERCPU_HASH``: an LRU hash with one value per CPU per key."""

    type_name = "lru_percpu_hash"
    type_id = 10
    percpu = True
