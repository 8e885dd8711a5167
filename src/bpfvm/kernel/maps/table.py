"""The one table of map types: kernel name ↔ ``enum bpf_map_type`` number ↔ implementation.

Rows follow ``include/uapi/linux/bpf.h``; types without an implementation here (socket, cgroup,
device, storage and stack-trace maps) are listed so that their numbers and names decode, and
creating one raises :class:`~bpfvm.errors.MapError` (EINVAL, as a kernel without that type).
"""

from __future__ import annotations

import enum
import errno
from dataclasses import dataclass
from typing import Any

from ...errors import MapError
from .arena import Arena
from .array import ArrayMap, PercpuArrayMap
from .base import Map
from .bloom_filter import BloomFilterMap
from .fd_array import ArrayOfMaps, HashOfMaps, PerfEventArray, ProgArray
from .hash import HashMap, LruHashMap, LruPercpuHashMap, PercpuHashMap
from .lpm_trie import LpmTrieMap
from .queue_stack import QueueMap, StackMap
from .ringbuf import RingBuf, UserRingBuf

__all__ = ["MAP_KINDS", "MapKind", "MapType", "map_kind"]


@dataclass(frozen=True, slots=True)
class MapKind:
    """One map type: kernel name (without ``BPF_MAP_TYPE_``, lower case), number, class."""

    name: str
    id: int
    impl: type[Map] | None


_IMPLS: tuple[type[Map], ...] = (
    HashMap, ArrayMap, ProgArray, PerfEventArray, PercpuHashMap, PercpuArrayMap, LruHashMap,
    LruPercpuHashMap, LpmTrieMap, ArrayOfMaps, HashOfMaps, QueueMap, StackMap, RingBuf,
    BloomFilterMap, UserRingBuf, Arena,
)
_UNIMPLEMENTED = {
    0: "unspec", 7: "stack_trace", 8: "cgroup_array", 14: "devmap", 15: "sockmap", 16: "cpumap",
    17: "xskmap", 18: "sockhash", 19: "cgroup_storage", 20: "reuseport_sockarray",
    21: "percpu_cgroup_storage", 24: "sk_storage", 25: "devmap_hash", 26: "struct_ops",
    28: "inode_storage", 29: "task_storage", 32: "cgrp_storage",
}

#: Every map type, by kernel number.
MAP_KINDS: tuple[MapKind, ...] = tuple(sorted(
    [MapKind(cls.type_name, cls.type_id, cls) for cls in _IMPLS]
    + [MapKind(name, number, None) for number, name in _UNIMPLEMENTED.items()], key=lambda k: k.id))

#: ``enum bpf_map_type`` as a Python enum (``MapType.HASH == 1``).
MapType = enum.IntEnum("MapType", [(k.name.upper(), k.id) for k in MAP_KINDS])  # type: ignore[misc]

_BY_NAME = {k.name: k for k in MAP_KINDS}
_BY_ID = {k.id: k for k in MAP_KINDS}


def map_kind(spec: Any) -> MapKind:
    """The row a type name (``"hash"``, ``"BPF_MAP_TYPE_HASH"``), number or MapType names, with
    an implementation.  Raises :class:`MapError` (EINVAL) for unknown or unimplemented types."""
    if isinstance(spec, str):
        key = spec.lower().removeprefix("bpf_map_type_")
        kind = _BY_NAME.get(key)
    elif isinstance(spec, int):
        kind = _BY_ID.get(int(spec))
    else:
        kind = None
    if kind is None or kind.impl is None:
        what = "not implemented by bpfvm" if kind is not None else "unknown"
        raise MapError(errno.EINVAL, "create", detail=f"map type {spec!r} is {what}; have "
                       f"{', '.join(k.name for k in MAP_KINDS if k.impl)}")
    return kind
