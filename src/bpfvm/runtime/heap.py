"""The guest heap: the allocator behind ``malloc``/``calloc``/``realloc``/``free``.

A best-fit allocator with immediate coalescing over one writable region of guest memory.  Its
bookkeeping lives on the Python side (``addr → size`` tables), never in guest memory, so a guest
that writes past the end of a block corrupts its neighbour's *data* but never the allocator.

* Every block starts at a multiple of :data:`ALIGN` (16 bytes, like glibc on 64-bit targets) and
  occupies a multiple of 16 bytes; ``malloc(0)`` returns a unique 16-byte block, like glibc.
* Free blocks are merged with free neighbours at once; a free block that touches the *top* (the
  never-used end of the region) is given back to it.  Allocation takes a free block of the
  smallest size that fits (split if larger), else carves from the top.
* Free blocks are kept in segregated lists, one per exact size (insertion-ordered dicts, so a
  block is taken, added or unlinked by a neighbour's merge in O(1)), and a sorted list of the
  sizes present (a bisect finds the best fit).  Among blocks of one size the most recently
  freed is reused first, as glibc's bins do: it is the one most likely still in cache.
* Exhaustion returns 0 (NULL), as C requires; misuse — freeing a pointer that is not the start of
  a live block, including a double free — raises :class:`~bpfvm.errors.VmTrap` of kind ``HEAP``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from ..errors import TrapKind, VmTrap
from ..memory import Memory, Region

__all__ = ["ALIGN", "Heap"]

#: Alignment and granule of every block.
ALIGN = 16


def _round(size: int) -> int:
    return max(ALIGN, (size + ALIGN - 1) & -ALIGN)


class Heap:
    """An allocator over ``region`` of ``memory`` (see the module docstring).

    Statistics for tests and tools: :attr:`in_use` (bytes requested by live blocks),
    :attr:`peak` (highest :attr:`in_use` so far), :attr:`live` (number of live blocks),
    :attr:`allocations` (successful allocations so far).
    """

    def __init__(self, memory: Memory, region: Region) -> None:
        if not region.writable:
            raise ValueError(f"heap region {region.name!r} must be writable")
        self.memory = memory
        self.region = region
        self.base = (region.base + ALIGN - 1) & -ALIGN
        self.end = region.end & -ALIGN
        self._top = self.base  # first never-used address
        self._used: dict[int, tuple[int, int]] = {}  # addr -> (block size, requested size)
        self._free: dict[int, int] = {}  # addr -> size
        self._free_end: dict[int, int] = {}  # end address -> addr
        self._by_size: defaultdict[int, dict[int, None]] = defaultdict(dict)  # size -> addrs (LIFO)
        self._sizes: list[int] = []  # sorted distinct sizes of free blocks
        self.in_use = 0
        self.peak = 0
        self.allocations = 0

    # -- queries ------------------------------------------------------------------------------
    @property
    def live(self) -> int:
        """Number of live (allocated, not yet freed) blocks."""
        return len(self._used)

    def size_of(self, addr: int) -> int | None:
        """The requested size of the live block at ``addr``, or None if there is none."""
        block = self._used.get(addr)
        return None if block is None else block[1]

    def blocks(self) -> dict[int, int]:
        """Live blocks: start address → requested size (a copy)."""
        return {addr: req for addr, (_, req) in self._used.items()}

    def __contains__(self, addr: object) -> bool:
        return addr in self._used

    # -- the C interface ----------------------------------------------------------------------
    def malloc(self, size: int) -> int:
        """Allocate ``size`` bytes (contents unspecified); 0 when out of memory."""
        if size < 0 or size > self.end - self.base:
            return 0
        block = _round(size)
        addr = self._take_free(block)
        if addr is None:
            if self._top + block > self.end:
                return 0
            addr, self._top = self._top, self._top + block
        self._used[addr] = (block, size)
        self.allocations += 1
        self._account(size)
        return addr

    def calloc(self, count: int, size: int) -> int:
        """Allocate ``count * size`` zeroed bytes; 0 on overflow of a 64-bit size or out of memory."""
        total = count * size
        if total >> 64:
            return 0
        addr = self.malloc(total)
        if addr:
            self.memory.buf[addr:addr + total] = bytes(total)
        return addr

    def free(self, addr: int, *, pc: int = -1) -> None:
        """Free the block at ``addr``; ``free(0)`` does nothing.

        Raises :class:`VmTrap` (``HEAP``) if ``addr`` is not the start of a live block.
        """
        if addr == 0:
            return
        block, req = self._used.pop(addr, (0, 0))
        if not block:
            raise self._misuse("free", addr, pc)
        self.in_use -= req
        self._release(addr, block)

    def realloc(self, addr: int, size: int, *, pc: int = -1) -> int:
        """Resize the block at ``addr`` to ``size`` bytes, keeping its contents (glibc semantics).

        ``realloc(0, n)`` is ``malloc(n)``; ``realloc(p, 0)`` frees ``p`` and returns 0; when no
        room is left it returns 0 and ``p`` stays valid.  Raises :class:`VmTrap` (``HEAP``) if
        ``addr`` is neither 0 nor the start of a live block.
        """
        if addr == 0:
            return self.malloc(size)
        if addr not in self._used:
            raise self._misuse("realloc", addr, pc)
        if size == 0:
            self.free(addr, pc=pc)
            return 0
        if self._resize_in_place(addr, size):
            return addr
        new = self.malloc(size)
        if new:
            old_size = self._used[addr][1]
            keep = min(old_size, size)
            self.memory.buf[new:new + keep] = self.memory.buf[addr:addr + keep]
            self.free(addr, pc=pc)
        return new

    # -- internals ----------------------------------------------------------------------------
    def _account(self, delta: int) -> None:
        self.in_use += delta
        self.peak = max(self.peak, self.in_use)

    def _misuse(self, what: str, addr: int, pc: int) -> VmTrap:
        if self.base <= addr < self.end:
            why = "double free or pointer not from malloc" if what == "free" else "pointer not from malloc"
        else:
            why = "pointer outside the heap"
        return VmTrap(TrapKind.HEAP, pc, f"{what}({addr:#x}): {why}", addr)

    def _resize_in_place(self, addr: int, size: int) -> bool:
        """Shrink, or grow into a free neighbour or the top, without moving; True if done."""
        block, req = self._used[addr]
        want = _round(size)
        if want > block:
            after = addr + block
            if after == self._top and addr + want <= self.end:
                self._top = addr + want
            elif self._free.get(after, 0) >= want - block:
                spare = self._unlink(after) - (want - block)
                if spare:
                    self._link(addr + want, spare)
            else:
                return False
        elif want < block:
            self._release(addr + want, block - want)
        self._used[addr] = (want, size)
        self._account(size - req)
        return True

    def _take_free(self, size: int) -> int | None:
        """Remove and return the smallest free block of at least ``size`` bytes (split to fit)."""
        i = bisect.bisect_left(self._sizes, size)
        if i == len(self._sizes):
            return None
        addr, _ = self._by_size[self._sizes[i]].popitem()
        have = self._unlink(addr)
        if have > size:
            self._link(addr + size, have - size)
        return addr

    def _release(self, addr: int, size: int) -> None:
        """Return ``[addr, addr+size)`` to the free pool, merging with free neighbours and the top."""
        before = self._free_end.get(addr)
        if before is not None:
            size += self._unlink(before)
            addr = before
        if addr + size in self._free:
            size += self._unlink(addr + size)
        if addr + size == self._top:
            self._top = addr
        else:
            self._link(addr, size)

    def _link(self, addr: int, size: int) -> None:
        self._free[addr] = size
        self._free_end[addr + size] = addr
        bucket = self._by_size[size]
        if not bucket:
            bisect.insort(self._sizes, size)
        bucket[addr] = None

    def _unlink(self, addr: int) -> int:
        size = self._free.pop(addr)
        del self._free_end[addr + size]
        bucket = self._by_size[size]
        bucket.pop(addr, None)
        if not bucket:
            del self._by_size[size]
            del self._sizes[bisect.bisect_left(self._sizes, size)]
        return size
