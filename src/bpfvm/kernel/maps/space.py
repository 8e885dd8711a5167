"""The maps of one VM: where each map's storage appears in its guest memory, and map handles.

A program names a map by a *handle*: the guest address of a 64-byte read-only descriptor
``{u32 type, key_size, value_size, max_entries, map_flags, fd; u64 values}`` (``values`` is the
guest address of the map's storage), which is what ``lddw`` src=1 (``BPF_PSEUDO_MAP_FD``) loads —
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

__all__ = ["DESCRIPTOR_SIZE", "Binding", "MapSpace"]

#: Bytes per map descriptor.
DESCRIPTOR_SIZE = 64
_DESCRIPTOR = struct.Struct("<6IQ")


@dataclass(frozen=True, slots=True)
class Binding:
    """A map attached to a VM: its handle and the guest address of its storage (0: none)."""

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
        self.cpu = 0
        self.cpus: int | None = None
        #: Existing maps to use instead of creating the object's own, by map name.
        self.reuse: dict[str, Map] = {}
        self._bindings: dict[int, Binding] = {}
        self._by_handle: dict[int, Binding] = {}
        self._pages: list[tuple[Storage, Region]] = []
        self._next = PAGE
        self._scratch: tuple[Storage, Region] | None = None

    def attach(self, m: Map) -> Binding:
        """Map ``m`` into this VM (once) and give it a handle."""
        found = self._bindings.get(id(m))
        if found is not None:
            return found
        region = None
        if m.storage is not None:
            writable = not m.flags & Flag.RDONLY_PROG
            region = self.memory.share(f"map:{m.name or m.type_name}", m.storage.pieces(), writable=writable)
        handle = self._descriptor(m, region.base if region else 0)
        binding = Binding(m, handle, region.base if region else 0, region)
        self._bindings[id(m)] = binding
        self._by_handle[handle] = binding
        return binding

    def _descriptor(self, m: Map, base: int) -> int:
        if self._next + DESCRIPTOR_SIZE > PAGE:
            storage = Storage("map-handles", PAGE)
            self._pages.append((storage, self.memory.share("map-handles", storage.pieces(), writable=False)))
            self._next = 0
        storage, region = self._pages[-1]
        _DESCRIPTOR.pack_into(storage.buf, self._next, m.type_id, m.key_size, m.value_size, m.max_entries,
                              m.flags, m.fd & 0xFFFF_FFFF, base)
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
