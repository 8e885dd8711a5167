"""Arenas: ``BPF_MAP_TYPE_ARENA`` (kernel ``kernel/bpf/arena.c``): pages shared by programs and
the host.

``max_entries`` is the number of pages; key and value sizes are 0 and ``BPF_F_MMAPABLE`` is
required.  Pages are allocated by ``bpf_arena_alloc_pages`` (kfunc) — or by the host with
:meth:`Arena.alloc_pages` — and are the same bytes in every VM that uses the arena and in
:meth:`Arena.view` (a zero-copy memoryview; ``numpy.frombuffer`` works on it).  A program sees
the arena at a guest address (where its VM mapped it); ``alloc_pages`` returns offsets into the
arena, the helpers add that base.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from ...memory import PAGE
from .base import Flag, KeyLike, Map, Storage

__all__ = ["Arena"]


class Arena(Map):
    """``BPF_MAP_TYPE_ARENA``: ``max_entries`` pages of shared memory."""

    type_name = "arena"
    type_id = 33
    allowed_flags = Flag.NUMA_NODE | Flag.MMAPABLE | Flag.NO_USER_CONV
    has_values = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.storage = Storage(self.name or self.type_name, self.max_entries * PAGE)
        self.used = bytearray(self.max_entries)

    def check(self) -> None:
        """``arena_map_alloc``'s checks."""
        if self.key_size or self.value_size or not self.max_entries or not self.flags & Flag.MMAPABLE:
            self.fail(errno.EINVAL, "create", "arenas need key/value size 0, max_entries pages, "
                      "BPF_F_MMAPABLE")
        if self.max_entries > (4 << 30) // PAGE:
            self.fail(errno.E2BIG, "create", "arenas are at most 4 GiB")

    def alloc_pages(self, count: int, at: int | None = None) -> int | None:
        """Allocate ``count`` contiguous zeroed pages (at page index ``at`` if given); return the
        byte offset of the first, or None when there is no room."""
        if count <= 0 or count > self.max_entries:
            return None
        starts = [at] if at is not None else range(self.max_entries - count + 1)
        for first in starts:
            if 0 <= first <= self.max_entries - count and not any(self.used[first:first + count]):
                self.used[first:first + count] = b"\1" * count
                assert self.storage is not None
                self.storage.buf[first * PAGE:(first + count) * PAGE] = bytes(count * PAGE)
                return first * PAGE
        return None

    def free_pages(self, offset: int, count: int) -> None:
        """Free ``count`` pages from byte ``offset`` (ignores pages out of range, as the kernel)."""
        first = offset // PAGE
        for page in range(max(first, 0), min(first + count, self.max_entries)):
            self.used[page] = 0

    def view(self) -> memoryview:
        """All arena pages, zero-copy."""
        assert self.storage is not None
        return self.storage.buf[:self.max_entries * PAGE]

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """Arenas have no elements (EINVAL): use :meth:`view`."""
        self.fail(errno.EINVAL, "lookup", "arenas are accessed through view()")

    def keys(self) -> Iterator[bytes]:
        """Arenas have no keys."""
        self.fail(errno.EINVAL, "get_next_key")

    def __len__(self) -> int:
        return sum(self.used)
