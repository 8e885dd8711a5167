"""What every map family shares: flags, limits, value storage in guest-mappable pages, and the
:class:`Map` base class (the Python API of ``bpf(BPF_MAP_*)``).

Semantics follow the kernel (``include/uapi/linux/bpf.h``; ``kernel/bpf/syscall.c`` for the
checks every map gets: ``BPF_F_LOCK`` only with a spin lock in the value, lookup flags limited
to ``BPF_F_LOCK``).  Each family module implements the ``map_ops`` of one kernel source file.

Values live in a :class:`Storage`: a memfd of page-rounded size, mapped into the host (a
zero-copy ``memoryview``) and into the linear memory of every VM that uses the map
(:mod:`bpfvm.kernel.maps.space`), so a program's pointer to a value and the host's view are the
same bytes.  Index structures (hash tables, LRU lists, the trie) are host-side Python objects a
guest cannot corrupt.
"""

from __future__ import annotations

import errno
import itertools
import mmap
import os
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, NoReturn

from ...errors import MapError
from ...memory import PAGE, map_file_pages

__all__ = [
    "BPF_ANY", "BPF_EXIST", "BPF_F_LOCK", "BPF_NOEXIST", "Flag", "KMALLOC_MAX_SIZE", "MAX_BPF_STACK",
    "Map", "PCPU_MIN_UNIT_SIZE", "Storage", "map_by_fd", "possible_cpus", "round_up",
]

# -- update flags (enum { BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK }) ---------------------
BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK = 0, 1, 2, 4


class Flag:
    """``map_flags`` bits of ``BPF_MAP_CREATE`` (uapi ``BPF_F_*``)."""

    NO_PREALLOC = 1 << 0
    NO_COMMON_LRU = 1 << 1
    NUMA_NODE = 1 << 2
    RDONLY = 1 << 3
    WRONLY = 1 << 4
    STACK_BUILD_ID = 1 << 5
    ZERO_SEED = 1 << 6
    RDONLY_PROG = 1 << 7
    WRONLY_PROG = 1 << 8
    CLONE = 1 << 9
    MMAPABLE = 1 << 10
    PRESERVE_ELEMS = 1 << 11
    INNER_MAP = 1 << 12
    LINK = 1 << 13
    PATH_FD = 1 << 14
    VTYPE_BTF_OBJ_FD = 1 << 15
    TOKEN_FD = 1 << 16
    SEGV_ON_FAULT = 1 << 17
    NO_USER_CONV = 1 << 18
    #: ``BPF_F_ACCESS_MASK``
    ACCESS_MASK = RDONLY | WRONLY | RDONLY_PROG | WRONLY_PROG


#: ``KMALLOC_MAX_SIZE`` on x86-64 (``PAGE_SIZE << MAX_PAGE_ORDER``): the largest element.
KMALLOC_MAX_SIZE = 4 << 20
#: ``PCPU_MIN_UNIT_SIZE``: the largest per-CPU value (rounded to 8).
PCPU_MIN_UNIT_SIZE = 32 << 10
#: ``MAX_BPF_STACK``: keys are built on the stack, so no key is larger.
MAX_BPF_STACK = 512
#: The most value memory one map may preallocate here (the kernel's limit is memory itself).
MAX_STORAGE = 1 << 30
#: ``ENOTSUPP`` (kernel-internal 524), which ``BPF_MAP_CREATE`` returns for LRU without prealloc.
ENOTSUPP = 524


def round_up(value: int, align: int) -> int:
    """``round_up(value, align)`` for a power-of-two ``align``."""
    return (value + align - 1) & -align


def possible_cpus() -> int:
    """The number of possible CPUs, as libbpf's ``libbpf_num_possible_cpus`` reads it from
    ``/sys/devices/system/cpu/possible`` (``os.cpu_count()`` where that file is missing)."""
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    count = 0
    for part in text.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


class Storage:
    """Page-rounded, memfd-backed bytes: ``buf`` is the host view; :meth:`pieces` says how a VM
    maps the same pages (``layout``: ``(file offset, length)`` pieces laid end to end, which may
    repeat pages, as the ring buffer's double mapping does)."""

    def __init__(self, name: str, size: int, layout: Sequence[tuple[int, int]] | None = None) -> None:
        self.size = max(round_up(size, PAGE), PAGE)
        if self.size > MAX_STORAGE:
            raise MemoryError(f"map {name}: {size} bytes of values is more than {MAX_STORAGE}")
        self.fd = os.memfd_create(f"bpfvm-map:{name}"[:249], os.MFD_CLOEXEC)
        os.ftruncate(self.fd, self.size)
        self.layout = tuple(layout or ((0, self.size),))
        span = sum(length for _, length in self.layout)
        if layout is None:
            self._map: mmap.mmap = mmap.mmap(self.fd, self.size)
        else:
            self._map = mmap.mmap(-1, span)
            map_file_pages(_address(self._map), self.pieces())
        self.buf = memoryview(self._map)
        weakref.finalize(self, _close, self._map, self.buf, self.fd)

    def pieces(self) -> list[tuple[int, int, int]]:
        """``(fd, offset, length)`` pieces for :func:`bpfvm.memory.map_file_pages`."""
        return [(self.fd, offset, length) for offset, length in self.layout]

    @property
    def span(self) -> int:
        """Bytes of address space the mapping takes."""
        return len(self.buf)


def _address(m: mmap.mmap) -> int:
    import ctypes

    view = ctypes.c_char.from_buffer(m)
    try:
        return ctypes.addressof(view)
    finally:
        del view


def _close(m: mmap.mmap, buf: memoryview, fd: int) -> None:
    buf.release()
    try:
        m.close()
    except BufferError:  # a caller still holds a view: the pages go with the process
        pass
    os.close(fd)


_fds = itertools.count(1)
_registry: weakref.WeakValueDictionary[int, Map] = weakref.WeakValueDictionary()


def map_by_fd(fd: int) -> Map:
    """The live map whose :attr:`Map.fd` is ``fd`` (how ``lddw`` src=1 bytecode names maps).
    Raises :class:`MapError` (EBADF)."""
    found = _registry.get(fd)
    if found is None:
        raise MapError(errno.EBADF, "fd", detail=f"no map has fd {fd}")
    return found


KeyLike = bytes | bytearray | memoryview | int | None
#: ``(keys, values, next key)`` of a batch lookup.
Batch = tuple[list[bytes], list[bytes], bytes | None]


class Map:
    """A BPF map with the kernel's semantics (``bpfvm.Map(type, key_size, value_size,
    max_entries, flags=0, ...)``).

    ``Map(...)`` picks the family by ``type`` (a name such as ``"hash"``/``"BPF_MAP_TYPE_HASH"``,
    a :class:`~bpfvm.kernel.maps.MapType` or its kernel number).  Keys and values are bytes of
    exactly ``key_size``/``value_size`` (ints are accepted and packed little-endian); per-CPU
    maps take and return ``ncpus * round_up(value_size, 8)`` bytes as the kernel does for user
    space.  Every operation raises :class:`~bpfvm.errors.MapError` with the kernel's errno.
    ``ncpus`` defaults to :func:`possible_cpus`.  Creation checks are those of the kernel's
    ``map_alloc_check`` and raise MapError too.
    """

    type_name: ClassVar[str] = ""
    type_id: ClassVar[int] = 0
    #: ``map_flags`` bits the family accepts (its ``*_CREATE_FLAG_MASK``).
    allowed_flags: ClassVar[int] = 0
    #: Whether program lookups return a pointer to a value in guest memory.
    has_values: ClassVar[bool] = True
    percpu: ClassVar[bool] = False
    storage: Storage | None

    def __new__(cls, type: Any = None, *args: Any, **kwargs: Any) -> Map:  # noqa: A002
        if cls is Map:
            from .table import map_kind

            impl = map_kind(type).impl
            assert impl is not None  # map_kind refuses unimplemented types
            cls = impl
        return super().__new__(cls)

    def __init__(self, type: Any, key_size: int, value_size: int, max_entries: int,  # noqa: A002
                 flags: int = 0, *, name: str = "", ncpus: int | None = None, map_extra: int = 0,
                 inner_map: Map | None = None, numa_node: int | None = None,
                 spin_lock_offset: int | None = None) -> None:
        self.name = name
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = flags
        self.map_extra = map_extra
        self.inner_map = inner_map
        self.ncpus = ncpus or possible_cpus()
        self.spin_lock_offset = spin_lock_offset
        if numa_node is not None and not flags & Flag.NUMA_NODE:
            self.fail(errno.EINVAL, "create", "numa_node needs BPF_F_NUMA_NODE")
        self._check_common()
        self.check()
        self.storage = None
        self.fd = next(_fds)
        _registry[self.fd] = self
        #: Bumped on every change of the set of elements (iteration snapshots use it).
        self.version = 0

    # -- creation checks ------------------------------------------------------------------
    def _check_common(self) -> None:
        flags = self.flags
        if flags & ~self.allowed_flags:
            self.fail(errno.EINVAL, "create", f"flags {flags:#x} not allowed for {self.type_name}")
        both = Flag.RDONLY | Flag.WRONLY
        both_prog = Flag.RDONLY_PROG | Flag.WRONLY_PROG
        if flags & both == both or flags & both_prog == both_prog:
            self.fail(errno.EINVAL, "create", "both read-only and write-only")
        if min(self.key_size, self.value_size, self.max_entries) < 0 or self.max_entries >= 1 << 32:
            self.fail(errno.EINVAL, "create", "negative size")

    def check(self) -> None:
        """The family's ``map_alloc_check``; raises :class:`MapError`."""

    def fail(self, code: int, op: str, detail: str = "") -> NoReturn:
        """Raise the :class:`MapError` ``code`` for ``op`` on this map."""
        raise MapError(code, op, self.name or self.type_name, detail)

    # -- sizes ----------------------------------------------------------------------------
    @property
    def slot_size(self) -> int:
        """Bytes between two values in storage: ``round_up(value_size, 8)``."""
        return round_up(self.value_size, 8)

    @property
    def user_value_size(self) -> int:
        """Bytes of a value as user space reads and writes it (all CPUs for per-CPU maps)."""
        return self.slot_size * self.ncpus if self.percpu else self.value_size

    # -- conversions ----------------------------------------------------------------------
    def key_bytes(self, key: KeyLike, op: str = "key") -> bytes:
        """``key`` as exactly ``key_size`` bytes; raises :class:`MapError` (EINVAL)."""
        return self._bytes(key, self.key_size, op, "key")

    def value_bytes(self, value: KeyLike, op: str = "update") -> bytes:
        """``value`` as exactly :attr:`user_value_size` bytes; raises :class:`MapError`."""
        return self._bytes(value, self.user_value_size, op, "value")

    def _bytes(self, data: KeyLike, size: int, op: str, what: str) -> bytes:
        if isinstance(data, int):
            if size not in (1, 2, 4, 8) or not -(1 << (8 * size - 1)) <= data < 1 << (8 * size):
                self.fail(errno.EINVAL, op, f"int {what} {data} does not fit {size} bytes")
            return (data & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        raw = b"" if data is None else bytes(data)
        if len(raw) != size:
            self.fail(errno.EINVAL, op, f"{what} of {len(raw)} bytes, expected {size}")
        return raw

    def check_update_flags(self, flags: int, op: str = "update") -> int:
        """Common flag checks of an update; returns ``flags & ~BPF_F_LOCK``."""
        if flags & BPF_F_LOCK and self.spin_lock_offset is None:
            self.fail(errno.EINVAL, op, "BPF_F_LOCK needs a bpf_spin_lock in the value")
        plain = flags & ~BPF_F_LOCK
        if plain > BPF_EXIST:
            self.fail(errno.EINVAL, op, f"unknown flags {flags:#x}")
        return plain

    def check_lookup_flags(self, flags: int, op: str = "lookup") -> None:
        """``BPF_MAP_LOOKUP_ELEM`` accepts only ``BPF_F_LOCK`` (with a spin lock)."""
        if flags & ~BPF_F_LOCK or (flags & BPF_F_LOCK and self.spin_lock_offset is None):
            self.fail(errno.EINVAL, op, f"bad lookup flags {flags:#x}")

    # -- the syscall API (families override) -----------------------------------------------
    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """``BPF_MAP_LOOKUP_ELEM``: the value of ``key``. Raises MapError (ENOENT …)."""
        self.fail(errno.EINVAL, "lookup")

    def update(self, key: KeyLike, value: KeyLike, flags: int = BPF_ANY) -> None:
        """``BPF_MAP_UPDATE_ELEM``: set ``key`` to ``value`` under ``flags``."""
        self.fail(errno.EINVAL, "update")

    def delete(self, key: KeyLike = None) -> None:
        """``BPF_MAP_DELETE_ELEM``."""
        self.fail(errno.EINVAL, "delete")

    def get_next_key(self, key: KeyLike = None) -> bytes:
        """``BPF_MAP_GET_NEXT_KEY``: the key after ``key`` (the first for None or a missing key);
        MapError ENOENT after the last."""
        self.fail(errno.EINVAL, "get_next_key")

    def lookup_and_delete(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """``BPF_MAP_LOOKUP_AND_DELETE_ELEM`` (pop for queues and stacks; hashes); other types
        fail with the kernel's ENOTSUPP (524)."""
        self.fail(ENOTSUPP, "lookup_and_delete", f"not supported by {self.type_name} maps")

    def keys(self) -> Iterator[bytes]:
        """Keys in ``get_next_key`` order (a snapshot-free walk, as bpftool does)."""
        key: bytes | None = None
        while True:
            try:
                key = self.get_next_key(key)
            except MapError as exc:
                if exc.errno == errno.ENOENT:
                    return
                raise
            yield key

    # -- batch operations (kernel generic_map_*_batch) -------------------------------------
    def lookup_batch(self, start: KeyLike = None, count: int = 0) -> Batch:
        """``BPF_MAP_LOOKUP_BATCH``: up to ``count`` (0: all) ``(keys, values, next)`` from the key
        after ``start`` (the first if None); ``next`` is None when the walk is done."""
        return self._batch(start, count, delete=False)

    def lookup_and_delete_batch(self, start: KeyLike = None,
                                count: int = 0) -> Batch:
        """``BPF_MAP_LOOKUP_AND_DELETE_BATCH``: like :meth:`lookup_batch`, deleting what it returns."""
        return self._batch(start, count, delete=True)

    def _batch(self, start: KeyLike, count: int, *, delete: bool) -> Batch:
        keys: list[bytes] = []
        nxt: bytes | None = None if start is None else self.key_bytes(start, "lookup_batch")
        while not count or len(keys) < count:
            try:
                nxt = self.get_next_key(nxt)
            except MapError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                nxt = None
                break
            keys.append(nxt)
        values = [self.lookup(k) for k in keys]
        if delete:
            for k in keys:
                self.delete(k)
        return keys, values, nxt

    def update_batch(self, keys: Iterable[KeyLike], values: Iterable[KeyLike], flags: int = BPF_ANY) -> int:
        """``BPF_MAP_UPDATE_BATCH``: update pairs in order; stops at the first failure (MapError
        with ``.count`` = pairs done).  Returns the count."""
        pairs = zip(keys, values, strict=True)
        return self._each("update_batch", pairs, lambda kv: self.update(kv[0], kv[1], flags))

    def delete_batch(self, keys: Iterable[KeyLike]) -> int:
        """``BPF_MAP_DELETE_BATCH``: delete keys in order; stops at the first failure."""
        return self._each("delete_batch", keys, self.delete)

    @staticmethod
    def _each(op: str, items: Iterable[Any], fn: Any) -> int:
        done = 0
        for item in items:
            try:
                fn(item)
            except MapError as exc:
                exc.count = done  # type: ignore[attr-defined]
                raise
            done += 1
        return done

    # -- dict-like access -----------------------------------------------------------------
    def __getitem__(self, key: KeyLike) -> Any:
        try:
            return self.decode_value(self.lookup(key))
        except MapError as exc:
            if exc.errno == errno.ENOENT:
                raise KeyError(key) from exc
            raise

    def __setitem__(self, key: KeyLike, value: Any) -> None:
        self.update(key, self.encode_value(value))

    def __delitem__(self, key: KeyLike) -> None:
        try:
            self.delete(key)
        except MapError as exc:
            if exc.errno == errno.ENOENT:
                raise KeyError(key) from exc
            raise

    def __contains__(self, key: object) -> bool:
        try:
            self.lookup(key)  # type: ignore[arg-type]
        except MapError:
            return False
        return True

    def __iter__(self) -> Iterator[bytes]:
        return self.keys()

    def __len__(self) -> int:
        return sum(1 for _ in self.keys())

    def items(self) -> Iterator[tuple[bytes, Any]]:
        """``(key, value)`` pairs in ``get_next_key`` order (values as ``m[key]`` gives them)."""
        for key in self.keys():
            try:
                yield key, self[key]
            except KeyError:
                continue

    def values(self) -> Iterator[Any]:
        """Values in ``get_next_key`` order."""
        return (value for _, value in self.items())

    def decode_value(self, raw: bytes) -> Any:
        """A value as ``m[key]`` returns it: bytes, or one bytes per CPU for per-CPU maps."""
        if self.percpu:
            step = self.slot_size
            return [raw[i * step:i * step + self.value_size] for i in range(self.ncpus)]
        return raw

    def encode_value(self, value: Any) -> KeyLike:
        """The inverse of :meth:`decode_value` (a per-CPU map also takes one value for all CPUs)."""
        if self.percpu and not isinstance(value, bytes | bytearray | memoryview | int):
            parts = [self._bytes(v, self.value_size, "update", "value") for v in value]
            if len(parts) != self.ncpus:
                self.fail(errno.EINVAL, "update", f"{len(parts)} per-CPU values for {self.ncpus} CPUs")
            return b"".join(p.ljust(self.slot_size, b"\0") for p in parts)
        if self.percpu and (isinstance(value, int) or len(bytes(value)) == self.value_size):
            one = self._bytes(value, self.value_size, "update", "value").ljust(self.slot_size, b"\0")
            return one * self.ncpus
        return value

    # -- program side (helpers); families override -----------------------------------------
    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """``bpf_map_lookup_elem``: the storage offset of ``key``'s value for ``cpu``, or None."""
        return None

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``bpf_map_update_elem`` from a program: 0 or a negative errno (one CPU's value)."""
        return -errno.EINVAL

    def prog_delete(self, key: bytes) -> int:
        """``bpf_map_delete_elem`` from a program: 0 or a negative errno."""
        try:
            self.delete(key)
        except MapError as exc:
            return -exc.errno
        return 0

    def prog_items(self, cpu: int) -> Iterator[tuple[bytes, int]]:
        """``(key, value offset)`` for ``bpf_for_each_map_elem``, in iteration order."""
        for key in list(self.keys()):
            offset = self.prog_lookup(key, cpu)
            if offset is not None:
                yield key, offset

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return (f"<{type(self).__name__}{label} key_size={self.key_size} value_size={self.value_size} "
                f"max_entries={self.max_entries} flags={self.flags:#x}>")

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
