"""The maps of one VM: where each map's storage appears in its guest memory, and map handles.

A program names a map by a *handle*: the guest address of a 64-byte read-only descriptor
``{u32 type, key_size, value_size, max_entries, map_flags, fd; u64 values; u32 magic, pad;
u64 index; u32 index_mask, ncpus, cpu}`` (``index``: the read-only native mirror of a hash
map's index; ``cpu``: this VM's current CPU)
(``values`` is the guest address of the map's storage; the JIT's inlined array lookup reads
it), which is what ``lddw`` src=1 (``BPF_PSEUDO_MAP_FD``) loads —
the kernel loads the address of its ``struct bpf_map`` in the same place.  Attaching a map maps
its memfd pages into the VM (:meth:`bpfvm.memory.Memory.share`: read-only for
``BPF_F_RDONLY_PROG`` maps, writable otherwise), once per VM; one map can be attached to any
number of VMs.  ``cpu`` is the CPU programs of this VM run on (per-CPU maps, perf events).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...memory import PAGE, Memory, Region
from .base import Flag, Map, Storage

__all__ = ["CPU_OFFSET", "DESCRIPTOR_SIZE", "INDEX_MASK_OFFSET", "INDEX_OFFSET", "MAGIC", "MAGIC_OFFSET",
           "NCPUS_OFFSET", "Binding", "MapSpace"]

#: Bytes per map descriptor.
DESCRIPTOR_SIZE = 64
#: ``u32`` at :data:`MAGIC_OFFSET` of every descriptor: how native code recognises a handle.
MAGIC, MAGIC_OFFSET = 0x4D50_4221, 32
_DESCRIPTOR = struct.Struct("<6IQIIQIII")
#: Offsets of the native hash index's guest address and capacity mask in a descriptor, and of
#: the map's CPU count and the VM's current CPU (per-CPU lookups).
INDEX_OFFSET, INDEX_MASK_OFFSET, NCPUS_OFFSET, CPU_OFFSET = 40, 48, 52, 56
_CPU = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Binding:
    """A map attached to a VM: its handle, and ``base``, the guest address storage offset 0 has
    (0: no storage); ``region`` is what the VM maps (a ring buffer's data pages only)."""

    map: Map
    handle: int
    base: int
    region: Region | None

    def address(self, offset: int) -> int:
        """Guest address of storage ``offset``."""
        return self.base + offset


class MapSpace:
    """Attachments of maps to one VM's :class:`~bpfvm.memory.Memory`."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        #: The CPU programs of this VM run on, and the CPU count of maps it creates (None:
        #: the host's possible CPUs).
        self._cpu = 0
        self.cpus: int | None = None
        #: Existing maps to use instead of creating the object's own, by map name.
        self.reuse: dict[str, Map] = {}
        self._bindings: dict[int, Binding] = {}
        self._by_handle: dict[int, Binding] = {}
        self._pages: list[tuple[Storage, Region]] = []
        self._next = PAGE
        self._scratch: tuple[Storage, Region] | None = None

    @property
    def cpu(self) -> int:
        """The CPU this VM's programs run on (also written into every descriptor, for the JIT)."""
        return self._cpu

    @cpu.setter
    def cpu(self, value: int) -> None:
        self._cpu = value
        for storage, _ in self._pages:
            for offset in range(0, PAGE, DESCRIPTOR_SIZE):
                _CPU.pack_into(storage.buf, offset + CPU_OFFSET, value & 0xFFFF_FFFF)

    def attach(self, m: Map) -> Binding:
        """Map ``m`` into this VM (once) and give it a handle."""
        found = self._bindings.get(id(m))
        if found is not None:
            return found
        region, start = None, 0
        if m.storage is not None:
            writable = not m.flags & Flag.RDONLY_PROG
            pieces, start = m.guest_pieces()
            region = self.memory.share(f"map:{m.name or m.type_name}", pieces, writable=writable)
        index = getattr(m, "native", None)
        index_base = 0
        if index is not None:
            index_base = self.memory.share(f"map-index:{m.name or m.type_name}", index.storage.pieces(),
                                           writable=False).base
        mask = index.capacity - 1 if index is not None else 0
        base = region.base - start if region else 0
        handle = self._descriptor(m, base, index_base, mask)
        binding = Binding(m, handle, base, region)
        self._bindings[id(m)] = binding
        self._by_handle[handle] = binding
        return binding

    def _descriptor(self, m: Map, base: int, index_base: int = 0, mask: int = 0) -> int:
        if self._next + DESCRIPTOR_SIZE > PAGE:
            storage = Storage("map-handles", PAGE)
            self._pages.append((storage, self.memory.share("map-handles", storage.pieces(), writable=False)))
            self._next = 0
        storage, region = self._pages[-1]
        _DESCRIPTOR.pack_into(storage.buf, self._next, m.type_id, m.key_size, m.value_size, m.max_entries,
                              m.flags, m.fd & 0xFFFF_FFFF, base, MAGIC, 0, index_base,
                              mask, m.ncpus, self._cpu & 0xFFFF_FFFF)
        handle = region.base + self._next
        self._next += DESCRIPTOR_SIZE
        return handle

    def binding(self, handle: int) -> Binding | None:
        """The map whose handle is ``handle``, or None."""
        return self._by_handle.get(handle)

    def bound(self, m: Map) -> Binding | None:
        """``m``'s binding in this VM, if attached."""
        return self._bindings.get(id(m))

    def containing(self, addr: int) -> Binding | None:
        """The attached map whose storage holds guest address ``addr``."""
        for binding in self._bindings.values():
            if binding.region is not None and addr in binding.region:
                return binding
        return None

    def scratch(self) -> int:
        """Guest address of a writable page helpers use to pass keys to callbacks."""
        if self._scratch is None:
            storage = Storage("map-scratch", PAGE)
            self._scratch = (storage, self.memory.share("map-scratch", storage.pieces(), writable=True))
        return self._scratch[1].base

    def maps(self) -> list[Map]:
        """Every attached map."""
        return [b.map for b in self._bindings.values()]
