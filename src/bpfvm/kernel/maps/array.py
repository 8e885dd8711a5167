"""Array maps: ``BPF_MAP_TYPE_ARRAY`` and ``BPF_MAP_TYPE_PERCPU_ARRAY`` (kernel ``kernel/bpf/arraymap.c``).

Keys are u32 indexes below ``max_entries``; every element exists from creation, zero-filled.
Values are ``round_up(value_size, 8)`` apart in storage (per CPU: element ``i`` of CPU ``c`` at
slot ``i * ncpus + c``).  Lookup of an index past the end is ENOENT, update E2BIG, NOEXIST
EEXIST, delete EINVAL; ``get_next_key`` of an index past the end restarts at 0.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from .base import (
    BPF_NOEXIST,
    KMALLOC_MAX_SIZE,
    MAX_STORAGE,
    PCPU_MIN_UNIT_SIZE,
    Flag,
    KeyLike,
    Map,
    Storage,
)

__all__ = ["ArrayMap", "PercpuArrayMap"]

_ARRAY_FLAGS = Flag.NUMA_NODE | Flag.MMAPABLE | Flag.ACCESS_MASK | Flag.PRESERVE_ELEMS | Flag.INNER_MAP


class ArrayMap(Map):
    """``BPF_MAP_TYPE_ARRAY``: ``max_entries`` preallocated values indexed by a u32 key."""

    type_name = "array"
    type_id = 2
    allowed_flags = _ARRAY_FLAGS

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        size = self.slot_size * self.max_entries * self.slots_per
        self.storage = Storage(self.name or self.type_name, size)

    @property
    def slots_per(self) -> int:
        """Storage slots per element (one per CPU for per-CPU arrays)."""
        return self.ncpus if self.percpu else 1

    def check(self) -> None:
        """``array_map_alloc_check``."""
        if self.max_entries == 0 or self.key_size != 4 or self.value_size == 0:
            self.fail(errno.EINVAL, "create", "array maps need key_size 4, a value_size and max_entries")
        if self.flags & Flag.PRESERVE_ELEMS and self.type_id != 4:
            self.fail(errno.EINVAL, "create", "BPF_F_PRESERVE_ELEMS is for perf event arrays")
        if self.percpu and self.flags & (Flag.MMAPABLE | Flag.NUMA_NODE):
            self.fail(errno.EINVAL, "create", "a per-CPU array cannot be mmapable or NUMA-bound")
        limit = PCPU_MIN_UNIT_SIZE if self.percpu else KMALLOC_MAX_SIZE
        if self.value_size > limit:
            self.fail(errno.E2BIG, "create", f"value_size {self.value_size} > {limit}")
        if self.slot_size * self.max_entries * (self.ncpus if self.percpu else 1) > MAX_STORAGE:
            self.fail(errno.ENOMEM, "create", "array too large")

    def index(self, key: KeyLike, op: str) -> int:
        """The u32 index a key names."""
        return int.from_bytes(self.key_bytes(key, op), "little")

    def offset(self, index: int, cpu: int = 0) -> int:
        """Storage offset of element ``index`` (of ``cpu``)."""
        return (index * self.slots_per + cpu) * self.slot_size

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """The value (all CPUs' for per-CPU arrays, each padded to 8 bytes); ENOENT past the end."""
        self.check_lookup_flags(flags)
        index = self.index(key, "lookup")
        if index >= self.max_entries:
            self.fail(errno.ENOENT, "lookup", f"index {index} >= max_entries {self.max_entries}")
        assert self.storage is not None
        start = self.offset(index)
        if self.percpu:
            return bytes(self.storage.buf[start:start + self.slot_size * self.ncpus])
        return bytes(self.storage.buf[start:start + self.value_size])

    def update(self, key: KeyLike, value: KeyLike, flags: int = 0) -> None:
        """Overwrite element ``key``; E2BIG past the end, EEXIST for NOEXIST, EINVAL for bad flags."""
        plain = self.check_update_flags(flags)
        index = self.index(key, "update")
        raw = self.value_bytes(value)
        if index >= self.max_entries:
            self.fail(errno.E2BIG, "update", f"index {index} >= max_entries {self.max_entries}")
        if plain == BPF_NOEXIST:
            self.fail(errno.EEXIST, "update", "array elements always exist")
        self._write(index, raw)

    def _write(self, index: int, raw: bytes) -> None:
        assert self.storage is not None
        start = self.offset(index)
        if self.percpu:
            for cpu in range(self.ncpus):
                chunk = raw[cpu * self.slot_size:cpu * self.slot_size + self.value_size]
                at = start + cpu * self.slot_size
                self.storage.buf[at:at + self.value_size] = chunk
        else:
            self.storage.buf[start:start + self.value_size] = raw

    def delete(self, key: KeyLike = None) -> None:
        """Array elements cannot be deleted: always EINVAL."""
        self.fail(errno.EINVAL, "delete", "array elements cannot be deleted")

    def get_next_key(self, key: KeyLike = None) -> bytes:
        """The next index; 0 for None or an index past the end; ENOENT after the last."""
        index = -1 if key is None else self.index(key, "get_next_key")
        if index >= self.max_entries:
            index = -1
        if index == self.max_entries - 1:
            self.fail(errno.ENOENT, "get_next_key", "last element")
        return (index + 1).to_bytes(4, "little")

    def __len__(self) -> int:
        return self.max_entries

    # -- program side -----------------------------------------------------------------------
    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """The value's offset for ``cpu``, None past the end."""
        index = int.from_bytes(key, "little")
        return self.offset(index, cpu if self.percpu else 0) if index < self.max_entries else None

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``array_map_update_elem`` from a program: only ``cpu``'s value of a per-CPU array."""
        if flags & ~4 > 2:
            return -errno.EINVAL
        index = int.from_bytes(key, "little")
        if index >= self.max_entries:
            return -errno.E2BIG
        if flags & ~4 == BPF_NOEXIST:
            return -errno.EEXIST
        assert self.storage is not None
        start = self.offset(index, cpu if self.percpu else 0)
        self.storage.buf[start:start + self.value_size] = value
        return 0

    def prog_items(self, cpu: int) -> Iterator[tuple[bytes, int]]:
        """Every index in order (``bpf_for_each_map_elem``)."""
        return ((i.to_bytes(4, "little"), self.offset(i, cpu if self.percpu else 0))
                for i in range(self.max_entries))

    def view(self) -> memoryview:
        """All values as one zero-copy view (``mmap`` of a ``BPF_F_MMAPABLE`` array)."""
        assert self.storage is not None
        return self.storage.buf[:self.slot_size * self.max_entries * self.slots_per]


class PercpuArrayMap(ArrayMap):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``: one value per CPU per index."""

    type_name = "percpu_array"
    type_id = 6
    percpu = True
