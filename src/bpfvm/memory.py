"""The sandbox address space shared by every engine.

One linear memory — an anonymous ``mmap`` reserved once (pages are committed lazily by the OS)
with a stable host address for the JIT.  A guest address *is* an offset into it, so an access
check is a single range comparison:

=====================  =========================================================
``[0, GUARD)``         unmapped guard page: NULL and small-offset dereferences trap
``[GUARD, rw_base)``   read-only regions: code, ``.rodata`` (writes trap)
``[rw_base, stack)``   writable regions: ``.data``, ``.bss``, heap, run buffers
``[stack, size)``      the call stack; frame 0's ``r10`` is ``size`` itself
=====================  =========================================================

Reads are allowed in ``[GUARD, size)``, writes in ``[rw_base, size)``.  Like WebAssembly, the
sandbox guarantees that a guest cannot touch anything outside its memory, not that it stays
inside the object it meant to touch.  :class:`Memory` also keeps a table of named regions, used
only for diagnostics and for host-side access by name.

:meth:`Memory.share` maps pages of a file (a map's memfd) over part of the linear memory with
``mmap(MAP_FIXED|MAP_SHARED)``, so several VMs and the host see the same bytes while the host
base stays where the JIT expects it.  Shared regions are taken from the top of the read-only or
writable area and are never released.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import GuestMemoryError, TrapKind, VmTrap

__all__ = ["GUARD", "PAGE", "Memory", "Region", "map_file_pages"]

#: Size of the unmapped area at address 0.
GUARD = 0x1_0000
_MIB = 1 << 20
#: The host page size: the granule of :meth:`Memory.share`.
PAGE = mmap.PAGESIZE

_U = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"), 8: struct.Struct("<Q")}


@dataclass(frozen=True, slots=True)
class Region:
    """A named, contiguous part of guest memory."""

    name: str
    base: int
    size: int
    writable: bool

    @property
    def end(self) -> int:
        """First address past the region."""
        return self.base + self.size

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, int) and self.base <= addr < self.end


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & -alignment


class Memory:
    """A guest address space of ``size`` bytes with ``ro_size`` read-only and ``stack_size`` stack.

    Host code reads and writes guest memory through :meth:`read`, :meth:`write`,
    :meth:`cstring` and :meth:`view`; each raises :class:`VmTrap` on a bad access, with the
    ``pc`` given (the faulting instruction, when called from a helper).
    """

    def __init__(self, size: int = 256 * _MIB, ro_size: int = 64 * _MIB, stack_size: int = 4096) -> None:
        if not GUARD < ro_size + GUARD + stack_size < size:
            raise ValueError(f"memory of {size} bytes cannot hold {ro_size} read-only and "
                             f"{stack_size} stack bytes")
        self.size = size
        self.buf = mmap.mmap(-1, size)
        self.rw_base = GUARD + ro_size
        self.stack_base = (size - stack_size) & -16
        self.regions: list[Region] = [Region("stack", self.stack_base, size - self.stack_base, True)]
        self._ro_next = GUARD
        self._rw_next = self.rw_base
        #: Lowest address of the shared (never released) regions at the top of each area.
        self._ro_top = self.rw_base & -PAGE
        self._rw_top = self.stack_base & -PAGE
        self.shared: list[Region] = []

    # -- layout ----------------------------------------------------------------------------
    def map(self, name: str, data: bytes | int, *, writable: bool, align: int = 16) -> Region:
        """Place a new region holding ``data`` (or ``data`` zero bytes) and return it.

        Raises :class:`~bpfvm.errors.GuestMemoryError` when the region does not fit."""
        size = data if isinstance(data, int) else len(data)
        if writable:
            base = _align(self._rw_next, align)
            limit = self._rw_top
        else:
            base = _align(self._ro_next, align)
            limit = self._ro_top
        if base + size > limit:
            kind = "writable" if writable else "read-only"
            raise GuestMemoryError(f"guest memory: no room for {size} {kind} bytes for {name!r} "
                                   f"(memory_size is {self.size})")
        if writable:
            self._rw_next = base + size
        else:
            self._ro_next = base + size
        if not isinstance(data, int):
            self.buf[base:base + size] = data
        region = Region(name, base, size, writable)
        self.regions.append(region)
        return region

    def share(self, name: str, pieces: Sequence[tuple[int, int, int]], *, writable: bool) -> Region:
        """Map ``pieces`` — ``(fd, file offset, length)``, page multiples, laid end to end — into
        a new region at the top of the writable (or read-only) area and return it.

        The region is permanent (:meth:`release` keeps it).  Raises :class:`MemoryError` when
        the area has no room left.
        """
        size = sum(length for _, _, length in pieces)
        if writable:
            base, floor = (self._rw_top - size) & -PAGE, self._rw_next
        else:
            base, floor = (self._ro_top - size) & -PAGE, self._ro_next
        if size <= 0 or base < max(floor, GUARD):
            raise MemoryError(f"guest memory: no room to share {size} bytes for {name!r}")
        map_file_pages(self.host_address + base, pieces)
        if writable:
            self._rw_top = base
        else:
            self._ro_top = base
        region = Region(name, base, size, writable)
        self.shared.append(region)
        return region

    @property
    def host_address(self) -> int:
        """The host address of guest address 0 (stable for the life of the memory)."""
        view = ctypes.c_char.from_buffer(self.buf)
        try:
            return ctypes.addressof(view)
        finally:
            del view

    def mark(self) -> tuple[int, int, int]:
        """Remember the current layout, to :meth:`release` regions placed after it."""
        return self._ro_next, self._rw_next, len(self.regions)

    def release(self, mark: tuple[int, int, int]) -> None:
        """Forget every region placed since ``mark`` (their addresses may be reused)."""
        self._ro_next, self._rw_next, count = mark
        del self.regions[count:]

    def region_at(self, addr: int) -> Region | None:
        """The named region containing ``addr``, if any."""
        for region in (*self.regions, *self.shared):
            if addr in region:
                return region
        return None

    # -- checked access --------------------------------------------------------------------
    def check(self, addr: int, size: int, *, write: bool, pc: int = -1) -> int:
        """Return ``addr`` if ``[addr, addr+size)`` may be accessed, else raise :class:`VmTrap`."""
        low = self.rw_base if write else GUARD
        if low <= addr and addr + size <= self.size:
            return addr
        raise self.fault(addr, size, write=write, pc=pc)

    def fault(self, addr: int, size: int, *, write: bool, pc: int) -> VmTrap:
        """The trap for a failed access check (names the region when there is one)."""
        verb = "store" if write else "load"
        if write and GUARD <= addr and addr + size <= self.rw_base:
            region = self.region_at(addr)
            where = f" in {region.name}" if region else ""
            message = f"{verb} of {size} bytes to read-only {addr:#x}{where}"
            return VmTrap(TrapKind.READ_ONLY, pc, message, addr)
        what = "NULL pointer" if 0 <= addr < GUARD else "out-of-bounds"
        return VmTrap(TrapKind.OUT_OF_BOUNDS, pc, f"{what} {verb} of {size} bytes at {addr:#x}", addr)

    def read(self, addr: int, size: int, *, pc: int = -1) -> bytes:
        """Copy ``size`` bytes out of guest memory."""
        self.check(addr, size, write=False, pc=pc)
        return self.buf[addr:addr + size]

    def write(self, addr: int, data: bytes | bytearray | memoryview, *, pc: int = -1) -> None:
        """Copy ``data`` into guest memory (writable regions only)."""
        self.check(addr, len(data), write=True, pc=pc)
        self.buf[addr:addr + len(data)] = bytes(data)

    def view(self, addr: int, size: int, *, writable: bool = True) -> memoryview:
        """A zero-copy view of guest memory (checked once, now)."""
        self.check(addr, size, write=writable)
        return memoryview(self.buf)[addr:addr + size]

    def cstring(self, addr: int, limit: int = 1 << 20, *, pc: int = -1) -> bytes:
        """The NUL-terminated byte string at ``addr`` (without the NUL)."""
        self.check(addr, 1, write=False, pc=pc)
        end = self.buf.find(b"\0", addr, min(self.size, addr + limit))
        if end < 0:
            raise VmTrap(TrapKind.OUT_OF_BOUNDS, pc, f"unterminated string at {addr:#x}", addr)
        return self.buf[addr:end]

    def load(self, addr: int, size: int, *, pc: int = -1) -> int:
        """Read an unsigned little-endian integer of ``size`` bytes."""
        self.check(addr, size, write=False, pc=pc)
        return int(_U[size].unpack_from(self.buf, addr)[0])

    def store(self, addr: int, size: int, value: int, *, pc: int = -1) -> None:
        """Write the low ``size`` bytes of ``value`` little-endian."""
        self.check(addr, size, write=True, pc=pc)
        _U[size].pack_into(self.buf, addr, value & ((1 << (size * 8)) - 1))

    def close(self) -> None:
        """Release the host mapping."""
        self.buf.close()


_PROT_READ, _PROT_WRITE, _MAP_SHARED, _MAP_FIXED = 1, 2, 1, 0x10
_libc: ctypes.CDLL | None = None


def map_file_pages(address: int, pieces: Sequence[tuple[int, int, int]]) -> None:
    """``mmap(MAP_FIXED|MAP_SHARED)`` each ``(fd, offset, length)`` in turn from host
    ``address`` on (over memory this process already owns).  Raises :class:`OSError`."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.mmap.restype = ctypes.c_void_p
        _libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                               ctypes.c_int, ctypes.c_long]
    for fd, offset, length in pieces:
        if length % PAGE or offset % PAGE or address % PAGE:
            raise ValueError("shared pieces must be whole pages")
        got = _libc.mmap(address, length, _PROT_READ | _PROT_WRITE, _MAP_SHARED | _MAP_FIXED, fd, offset)
        if got != address:
            err = ctypes.get_errno()
            raise OSError(err, f"mmap of shared pages failed: {os.strerror(err)}")
        address += length
