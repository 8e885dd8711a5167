"""Bloom filters: ``BPF_MAP_TYPE_BLOOM_FILTER`` (kernel ``kernel/bpf/bloom_filter.c``).

No keys; values are pushed (``update`` with no key, ``bpf_map_push_elem``, flags must be
``BPF_ANY``) and peeked (``bpf_map_peek_elem``: 0 if possibly present, ENOENT if surely not).
``map_extra``'s low 4 bits are the number of hash functions (default 5).  The bit array and
the hash are the kernel's — ``jhash2`` of 4-byte-multiple values, else ``jhash``, with seed
``hash_seed + i`` for function ``i``; the seed is random unless ``BPF_F_ZERO_SEED`` — so with
``BPF_F_ZERO_SEED`` the false positives are the kernel's too.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Iterator

from .base import BPF_ANY, KMALLOC_MAX_SIZE, Flag, KeyLike, Map

__all__ = ["BloomFilterMap", "jhash", "jhash2"]

_M32 = 0xFFFF_FFFF
_INITVAL = 0xDEADBEEF


def _rol(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    a = (a - c) & _M32; a ^= _rol(c, 4); c = (c + b) & _M32  # noqa: E702
    b = (b - a) & _M32; b ^= _rol(a, 6); a = (a + c) & _M32  # noqa: E702
    c = (c - b) & _M32; c ^= _rol(b, 8); b = (b + a) & _M32  # noqa: E702
    a = (a - c) & _M32; a ^= _rol(c, 16); c = (c + b) & _M32  # noqa: E702
    b = (b - a) & _M32; b ^= _rol(a, 19); a = (a + c) & _M32  # noqa: E702
    c = (c - b) & _M32; c ^= _rol(b, 4); b = (b + a) & _M32  # noqa: E702
    return a, b, c


def _final(a: int, b: int, c: int) -> int:
    c ^= b; c = (c - _rol(b, 14)) & _M32  # noqa: E702
    a ^= c; a = (a - _rol(c, 11)) & _M32  # noqa: E702
    b ^= a; b = (b - _rol(a, 25)) & _M32  # noqa: E702
    c ^= b; c = (c - _rol(b, 16)) & _M32  # noqa: E702
    a ^= c; a = (a - _rol(c, 4)) & _M32  # noqa: E702
    b ^= a; b = (b - _rol(a, 14)) & _M32  # noqa: E702
    c ^= b; c = (c - _rol(b, 24)) & _M32  # noqa: E702
    return c


def jhash(key: bytes, initval: int) -> int:
    """The kernel's ``jhash(key, length, initval)`` (``include/linux/jhash.h``, lookup3)."""
    length = len(key)
    a = b = c = (_INITVAL + length + initval) & _M32
    pos = 0
    while length - pos > 12:
        a = (a + int.from_bytes(key[pos:pos + 4], "little")) & _M32
        b = (b + int.from_bytes(key[pos + 4:pos + 8], "little")) & _M32
        c = (c + int.from_bytes(key[pos + 8:pos + 12], "little")) & _M32
        a, b, c = _mix(a, b, c)
        pos += 12
    tail = key[pos:]
    if not tail:
        return c
    tail = tail.ljust(12, b"\0")
    a = (a + int.from_bytes(tail[0:4], "little")) & _M32
    b = (b + int.from_bytes(tail[4:8], "little")) & _M32
    c = (c + int.from_bytes(tail[8:12], "little")) & _M32
    return _final(a, b, c)


def jhash2(words: bytes, initval: int) -> int:
    """The kernel's ``jhash2(u32 *k, length, initval)`` over ``len(words) // 4`` words."""
    n = len(words) // 4
    k = [int.from_bytes(words[4 * i:4 * i + 4], "little") for i in range(n)]
    a = b = c = (_INITVAL + (n << 2) + initval) & _M32
    i = 0
    while n - i > 3:
        a, b, c = (a + k[i]) & _M32, (b + k[i + 1]) & _M32, (c + k[i + 2]) & _M32
        a, b, c = _mix(a, b, c)
        i += 3
    rest = n - i
    if rest == 0:
        return c
    a = (a + k[i]) & _M32
    if rest > 1:
        b = (b + k[i + 1]) & _M32
    if rest > 2:
        c = (c + k[i + 2]) & _M32
    return _final(a, b, c)


class BloomFilterMap(Map):
    """``BPF_MAP_TYPE_BLOOM_FILTER``."""

    type_name = "bloom_filter"
    type_id = 30
    allowed_flags = Flag.NUMA_NODE | Flag.ZERO_SEED | Flag.ACCESS_MASK
    has_values = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.nr_hash_funcs = self.map_extra & 0xF or 5
        nr_bits = self.max_entries * self.nr_hash_funcs
        nr_bits = nr_bits // 5 * 7
        if nr_bits > 1 << 31:
            self.mask = _M32
        else:
            self.mask = 64 - 1 if nr_bits <= 64 else (1 << (nr_bits - 1).bit_length()) - 1
        self.bits = bytearray((self.mask + 1 + 7) // 8)
        self.seed = 0 if self.flags & Flag.ZERO_SEED else random.getrandbits(32)

    def check(self) -> None:
        """``bloom_map_alloc_check`` and ``bloom_map_alloc``'s checks."""
        if self.key_size != 0 or self.value_size == 0 or self.max_entries == 0 or self.map_extra & ~0xF:
            self.fail(errno.EINVAL, "create", "bloom filters need key_size 0, value_size, max_entries; "
                      "map_extra holds only the hash count")
        if self.value_size > KMALLOC_MAX_SIZE:
            self.fail(errno.E2BIG, "create", "value_size too large")

    def _hashes(self, value: bytes) -> list[int]:
        fn = jhash2 if self.value_size % 4 == 0 else jhash
        return [fn(value, (self.seed + i) & _M32) & self.mask for i in range(self.nr_hash_funcs)]

    def prog_push(self, value: bytes, flags: int) -> int:
        """``bloom_map_push_elem``: 0, or EINVAL for flags other than ``BPF_ANY``."""
        if flags != BPF_ANY:
            return -errno.EINVAL
        for h in self._hashes(value):
            self.bits[h >> 3] |= 1 << (h & 7)
        return 0

    def prog_peek_value(self, value: bytes) -> int:
        """``bloom_map_peek_elem``: 0 if ``value`` may be present, else -ENOENT."""
        ok = all(self.bits[h >> 3] >> (h & 7) & 1 for h in self._hashes(value))
        return 0 if ok else -errno.ENOENT

    def push(self, value: KeyLike, flags: int = 0) -> None:
        """Add ``value``."""
        result = self.prog_push(self.value_bytes(value, "push"), flags)
        if result:
            self.fail(-result, "push", f"bad flags {flags:#x}")

    def __contains__(self, value: object) -> bool:
        return self.prog_peek_value(self.value_bytes(value, "peek")) == 0  # type: ignore[arg-type]

    def update(self, key: KeyLike, value: KeyLike, flags: int = 0) -> None:
        """``BPF_MAP_UPDATE_ELEM`` with no key: push."""
        if key not in (None, b""):
            self.fail(errno.EINVAL, "update", "bloom filters have no keys")
        self.push(value, flags)

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """``BPF_MAP_LOOKUP_ELEM``: ``key`` is the value to test (the kernel reads it from the value
        buffer); returns it if possibly present, else ENOENT."""
        raw = self.value_bytes(key, "lookup")
        if self.prog_peek_value(raw):
            self.fail(errno.ENOENT, "lookup", "not in the filter")
        return raw

    def delete(self, key: KeyLike = None) -> None:
        """Bloom filters cannot delete: EOPNOTSUPP."""
        self.fail(errno.EOPNOTSUPP, "delete")

    def get_next_key(self, key: KeyLike = None) -> bytes:
        """Bloom filters cannot iterate: EOPNOTSUPP."""
        self.fail(errno.EOPNOTSUPP, "get_next_key")

    def keys(self) -> Iterator[bytes]:
        """Not iterable: EOPNOTSUPP."""
        self.fail(errno.EOPNOTSUPP, "get_next_key")

    def prog_delete(self, key: bytes) -> int:
        """``bpf_map_delete_elem``: EOPNOTSUPP."""
        return -errno.EOPNOTSUPP
