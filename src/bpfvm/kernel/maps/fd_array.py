"""Maps of objects: ``PROG_ARRAY``, ``ARRAY_OF_MAPS``, ``HASH_OF_MAPS``, ``PERF_EVENT_ARRAY``
(kernel ``kernel/bpf/arraymap.c`` fd arrays, ``map_in_map.c``, ``hashtab.c``).

User space stores *file descriptors* (u32 values); bpfvm has no fds for programs or perf events,
so these maps hold Python objects: a :class:`~bpfvm.program.Program` (or any object the
tail-call helper understands) per prog-array slot, an inner :class:`Map` per map-in-map element
(u32 values given to :meth:`update` are map fds, :attr:`Map.fd`), and a host callback per perf
event array.  Lookups from user space return the object's id as the kernel does (map fd here).
An inner map must match the map-in-map's template (``bpf_map_meta_equal``: type, key and value
size, flags, and max_entries unless the template has ``BPF_F_INNER_MAP``) or EINVAL.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

from .array import ArrayMap
from .base import BPF_EXIST, BPF_NOEXIST, Flag, KeyLike, Map, map_by_fd
from .hash import HashMap

__all__ = ["ArrayOfMaps", "HashOfMaps", "PerfEventArray", "ProgArray"]


class _FdArray(ArrayMap):
    """Array slots that hold objects (``fd_array_map_*``); elements can be deleted (cleared)."""

    allowed_flags = Flag.NUMA_NODE | Flag.ACCESS_MASK | Flag.PRESERVE_ELEMS
    has_values = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.slots: list[Any] = [None] * self.max_entries

    def check(self) -> None:
        """``fd_array_map_alloc_check``: value_size 4, no MMAPABLE/INNER_MAP."""
        if self.value_size != 4 or self.flags & (Flag.MMAPABLE | Flag.INNER_MAP):
            self.fail(errno.EINVAL, "create", "fd arrays need value_size 4")
        super().check()

    def resolve(self, value: Any) -> Any:
        """The object a u32 value (an fd) or object names."""
        return value

    def set(self, key: KeyLike, obj: Any, flags: int = 0) -> None:
        """Store ``obj`` at ``key`` (EEXIST for NOEXIST, E2BIG past the end)."""
        index = self.index(key, "update")
        if flags > BPF_EXIST:
            self.fail(errno.EINVAL, "update")
        if index >= self.max_entries:
            self.fail(errno.E2BIG, "update")
        if flags == BPF_NOEXIST:
            self.fail(errno.EEXIST, "update")
        self.slots[index] = self.resolve(obj)

    def update(self, key: KeyLike, value: Any, flags: int = 0) -> None:
        """Store the object a value names (an fd as 4 bytes/int, or the object itself)."""
        if isinstance(value, bytes | bytearray | memoryview):
            value = int.from_bytes(self._bytes(value, 4, "update", "value"), "little")
        self.set(key, value, flags)

    def __setitem__(self, key: KeyLike, value: Any) -> None:
        self.update(key, value)

    def get(self, index: int) -> Any:
        """The object at ``index`` or None (what ``bpf_tail_call`` and map-in-map lookups use)."""
        return self.slots[index] if 0 <= index < self.max_entries else None

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """The id of the object at ``key`` (ENOENT if empty)."""
        index = self.index(key, "lookup")
        obj = self.get(index)
        if obj is None:
            self.fail(errno.ENOENT, "lookup")
        return (getattr(obj, "fd", 0) or id(obj) & 0xFFFF_FFFF).to_bytes(4, "little")

    def __getitem__(self, key: KeyLike) -> Any:
        obj = self.get(self.index(key, "lookup"))
        if obj is None:
            raise KeyError(key)
        return obj

    def delete(self, key: KeyLike = None) -> None:
        """Clear ``key`` (ENOENT if empty, EINVAL past the end)."""
        index = self.index(key, "delete")
        if index >= self.max_entries:
            self.fail(errno.EINVAL, "delete")
        if self.slots[index] is None:
            self.fail(errno.ENOENT, "delete")
        self.slots[index] = None

    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """Programs get objects through :meth:`get`, not value pointers."""
        return None

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """Programs cannot update fd arrays."""
        return -errno.EINVAL


class ProgArray(_FdArray):
    """``BPF_MAP_TYPE_PROG_ARRAY``: the targets of ``bpf_tail_call``."""

    type_name = "prog_array"
    type_id = 3


class PerfEventArray(_FdArray):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: ``bpf_perf_event_output`` delivers ``(cpu, data)`` to
    :attr:`callback` (if set) and appends it to :attr:`events` otherwise.

    A slot is "open" (has a perf event) when it holds anything; :meth:`open_all` opens every
    slot as libbpf's ``perf_buffer__new`` does for each CPU.  ``max_entries`` 0 means one slot per
    CPU, as libbpf sizes it.
    """

    type_name = "perf_event_array"
    type_id = 4

    def __init__(self, type: Any, key_size: int = 4, value_size: int = 4,  # noqa: A002
                 max_entries: int = 0, flags: int = 0, **kwargs: Any) -> None:
        from .base import possible_cpus

        ncpus = kwargs.get("ncpus") or possible_cpus()
        super().__init__(type, key_size, value_size, max_entries or ncpus, flags, **kwargs)
        self.callback: Callable[[int, bytes], None] | None = None
        self.events: list[tuple[int, bytes]] = []
        self.lost = 0

    def open_all(self, callback: Callable[[int, bytes], None] | None = None) -> None:
        """Give every slot a (host) perf event, delivering to ``callback``."""
        self.callback = callback
        self.slots = [True] * self.max_entries

    def output(self, index: int, data: bytes) -> int:
        """Deliver one sample to slot ``index``: 0, -E2BIG past the end, -ENOENT if not open."""
        if index >= self.max_entries:
            return -errno.E2BIG
        if self.slots[index] is None:
            return -errno.ENOENT
        if self.callback is not None:
            self.callback(index, data)
        else:
            self.events.append((index, data))
        return 0


class _OfMaps:
    """What array- and hash-of-maps share: the template check and fd resolution."""

    inner_map: Map | None
    flags: int

    def check_inner(self, inner: Any) -> Map:
        """The inner map an fd or Map names, checked against the template; MapError EINVAL/EBADF."""
        if isinstance(inner, int):
            inner = map_by_fd(inner)
        template = self.inner_map
        if not isinstance(inner, Map) or template is None:
            self.fail(errno.EINVAL, "update", "inner maps must be Maps")  # type: ignore[attr-defined]
        assert template is not None and isinstance(inner, Map)
        same = (type(inner) is type(template) and inner.key_size == template.key_size
                and inner.value_size == template.value_size
                and (inner.flags & ~Flag.INNER_MAP) == (template.flags & ~Flag.INNER_MAP)
                and (template.flags & Flag.INNER_MAP or inner.max_entries == template.max_entries))
        if not same:
            self.fail(errno.EINVAL, "update", f"{inner!r} does not match the inner map {template!r}")  # type: ignore[attr-defined]
        return inner


class ArrayOfMaps(_OfMaps, _FdArray):
    """``BPF_MAP_TYPE_ARRAY_OF_MAPS``: ``bpf_map_lookup_elem`` gives the inner map."""

    type_name = "array_of_maps"
    type_id = 12
    allowed_flags = Flag.NUMA_NODE | Flag.ACCESS_MASK

    def check(self) -> None:
        """An inner-map template is required (the kernel's ``inner_map_fd``; EBADF without)."""
        if self.inner_map is None:
            self.fail(errno.EBADF, "create", "maps of maps need inner_map=<template Map>")
        super().check()

    def resolve(self, value: Any) -> Any:
        """The checked inner map."""
        return self.check_inner(value)

    def prog_inner(self, key: bytes) -> Map | None:
        """The inner map at ``key`` for a program's lookup."""
        obj = self.get(int.from_bytes(key, "little"))
        return obj if isinstance(obj, Map) else None


class HashOfMaps(_OfMaps, HashMap):
    """``BPF_MAP_TYPE_HASH_OF_MAPS``: a hash whose values are inner maps."""

    type_name = "hash_of_maps"
    type_id = 13
    has_values = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inner: dict[bytes, Map] = {}

    def check(self) -> None:
        """Hash checks plus value_size 4 and an inner-map template."""
        if self.inner_map is None:
            self.fail(errno.EBADF, "create", "maps of maps need inner_map=<template Map>")
        if self.value_size != 4:
            self.fail(errno.EINVAL, "create", "value_size must be 4")
        super().check()

    def update(self, key: KeyLike, value: Any, flags: int = 0) -> None:
        """Store an inner map (a Map, or its fd as int or 4 bytes) at ``key``."""
        if isinstance(value, bytes | bytearray | memoryview):
            value = int.from_bytes(self._bytes(value, 4, "update", "value"), "little")
        inner = self.check_inner(value)
        raw = self.key_bytes(key, "update")
        super().update(raw, inner.fd.to_bytes(4, "little"), flags)
        self.inner[raw] = inner

    def __setitem__(self, key: KeyLike, value: Any) -> None:
        self.update(key, value)

    def __getitem__(self, key: KeyLike) -> Any:
        found = self.inner.get(self.key_bytes(key, "lookup"))
        if found is None or self.key_bytes(key, "lookup") not in self._index:
            raise KeyError(key)
        return found

    def _remove(self, key: bytes) -> bool:
        self.inner.pop(key, None)
        return super()._remove(key)

    def prog_inner(self, key: bytes) -> Map | None:
        """The inner map at ``key`` for a program's lookup."""
        return self.inner.get(key) if key in self._index else None

    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """Programs get inner maps through :meth:`prog_inner`."""
        return None

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """Programs cannot update maps of maps."""
        return -errno.EINVAL
