"""The kernel's BPF maps, with the kernel's semantics, for programs and for the host.

``bpfvm.Map(type, key_size, value_size, max_entries, flags=0, ...)`` creates a standalone map
(:class:`~bpfvm.kernel.maps.base.Map`); programs loaded into a VM get theirs from the ELF object
(:mod:`~bpfvm.kernel.maps.elf`) and reach them through handles (:mod:`~bpfvm.kernel.maps.space`)
and the map helpers (:mod:`~bpfvm.kernel.maps.helpers`).  One module per family of
``kernel/bpf/``; the type table is :mod:`~bpfvm.kernel.maps.table`.
"""

from __future__ import annotations

from ...errors import MapError
from .arena import Arena
from .array import ArrayMap, PercpuArrayMap
from .base import BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Flag, Map, map_by_fd, possible_cpus
from .bloom_filter import BloomFilterMap
from .fd_array import ArrayOfMaps, HashOfMaps, PerfEventArray, ProgArray
from .hash import HashMap, LruHashMap, LruPercpuHashMap, PercpuHashMap
from .lpm_trie import LpmTrieMap
from .queue_stack import QueueMap, StackMap
from .ringbuf import RingBuf, UserRingBuf
from .space import Binding, MapSpace
from .table import MAP_KINDS, MapKind, MapType, map_kind

__all__ = [
    "BPF_ANY", "BPF_EXIST", "BPF_F_LOCK", "BPF_NOEXIST", "MAP_KINDS", "Arena", "ArrayMap", "ArrayOfMaps",
    "Binding", "BloomFilterMap", "Flag", "HashMap", "HashOfMaps", "LpmTrieMap", "LruHashMap",
    "LruPercpuHashMap", "Map", "MapError", "MapKind", "MapSpace", "MapType", "PercpuArrayMap",
    "PercpuHashMap", "PerfEventArray", "ProgArray", "QueueMap", "RingBuf", "StackMap", "UserRingBuf",
    "map_by_fd", "map_kind", "possible_cpus",
]
