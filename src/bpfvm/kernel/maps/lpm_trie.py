"""Longest-prefix-match tries: ``BPF_MAP_TYPE_LPM_TRIE`` (kernel ``kernel/bpf/lpm_trie.c``).

A key is ``struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }``: ``prefixlen`` in host
order, ``data`` in network order (most significant bit first).  Lookup (from programs *and*
user space) finds the longest stored prefix that matches the first ``prefixlen`` bits of the
key (none for a ``prefixlen`` longer than the data); update and delete are by exact prefix.
A full trie is ENOSPC, a prefix longer than the
data EINVAL, NOEXIST/EXIST as for hashes.  The map must be created with
``BPF_F_NO_PREALLOC``; ``key_size`` is 5..260, ``value_size`` at least 1.

``get_next_key`` walks the kernel's post-order (children before parents, the 0-branch first)
— the order of sorting the prefixes' bit strings with a terminator above both bits — and
starts over from the first prefix for None or a missing key.  It returns keys as they were
last stored (data bits past the prefix included), as the kernel's nodes keep them.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from .base import BPF_EXIST, BPF_NOEXIST, KMALLOC_MAX_SIZE, Flag, KeyLike, Map, Storage

__all__ = ["LpmTrieMap"]

_MAX_DATA = 256


class LpmTrieMap(Map):
    """``BPF_MAP_TYPE_LPM_TRIE``."""

    type_name = "lpm_trie"
    type_id = 11
    allowed_flags = Flag.NO_PREALLOC | Flag.NUMA_NODE | Flag.ACCESS_MASK

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.storage = Storage(self.name or self.type_name, self.slot_size * self.max_entries)
        self._nodes: dict[tuple[int, int], tuple[bytes, int]] = {}  # (plen, bits) → (key, slot)
        self._free = list(range(self.max_entries - 1, -1, -1))
        self._free_slot = 0

    @property
    def data_bits(self) -> int:
        """Bits of key data: the longest prefix."""
        return 8 * (self.key_size - 4)

    def check(self) -> None:
        """``trie_alloc``'s checks."""
        sizes_ok = 5 <= self.key_size <= 4 + _MAX_DATA and 1 <= self.value_size <= KMALLOC_MAX_SIZE
        if self.max_entries == 0 or not self.flags & Flag.NO_PREALLOC or not sizes_ok:
            self.fail(errno.EINVAL, "create", "LPM tries need BPF_F_NO_PREALLOC, key_size 5..260, "
                      "value_size >= 1")

    def _split(self, key: bytes, *, exact: bool, op: str) -> tuple[int, int] | None:
        plen = int.from_bytes(key[:4], "little")
        if plen > self.data_bits:
            return None
        data = int.from_bytes(key[4:], "big")
        return plen, data >> (self.data_bits - plen) if plen else 0

    def _match(self, plen: int, bits: int) -> tuple[bytes, int] | None:
        for length in range(plen, -1, -1):
            found = self._nodes.get((length, bits >> (plen - length)))
            if found is not None:
                return found
        return None

    def _offset(self, slot: int) -> int:
        return slot * self.slot_size

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """The value of the longest matching prefix; ENOENT if none matches."""
        self.check_lookup_flags(flags)
        found = self.prog_lookup(self.key_bytes(key, "lookup"), 0)
        if found is None:
            self.fail(errno.ENOENT, "lookup", "no matching prefix")
        assert self.storage is not None and found is not None
        return bytes(self.storage.buf[found:found + self.value_size])

    def update(self, key: KeyLike, value: KeyLike, flags: int = 0) -> None:
        """Store the exact prefix ``key``; ENOSPC when full, EINVAL for a too long prefix."""
        result = self.prog_update(self.key_bytes(key, "update"), self.value_bytes(value), flags, 0)
        if result:
            self.fail(-result, "update")

    def delete(self, key: KeyLike = None) -> None:
        """Remove the exact prefix ``key``; ENOENT if absent, EINVAL for a too long prefix."""
        result = self.prog_delete(self.key_bytes(key, "delete"))
        if result:
            self.fail(-result, "delete")

    def get_next_key(self, key: KeyLike = None) -> bytes:
        """The next prefix in the kernel's post-order (see the module docstring)."""
        order = sorted(self._nodes, key=_postorder)
        if not order:
            self.fail(errno.ENOENT, "get_next_key", "empty trie")
        at = -1
        if key is not None:
            split = self._split(self.key_bytes(key, "get_next_key"), exact=True, op="get_next_key")
            if split is not None and split in self._nodes:
                at = order.index(split)
        if at + 1 >= len(order):
            self.fail(errno.ENOENT, "get_next_key", "no more prefixes")
        return self._nodes[order[at + 1]][0]

    def keys(self) -> Iterator[bytes]:
        """Stored prefixes in post-order."""
        return iter([self._nodes[k][0] for k in sorted(self._nodes, key=_postorder)])

    def __len__(self) -> int:
        return len(self._nodes)

    # -- program side -----------------------------------------------------------------------
    def prog_lookup(self, key: bytes, cpu: int) -> int | None:
        """Offset of the longest match's value."""
        split = self._split(key, exact=True, op="lookup")
        if split is None:  # a prefix longer than the data matches nothing
            return None
        found = self._match(*split)
        return None if found is None else self._offset(found[1])

    def prog_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``trie_update_elem``."""
        if flags > BPF_EXIST:
            return -errno.EINVAL
        split = self._split(key, exact=True, op="update")
        if split is None:
            return -errno.EINVAL
        present = self._nodes.get(split)
        if present is not None and flags == BPF_NOEXIST:
            return -errno.EEXIST
        if present is None and flags == BPF_EXIST:
            return -errno.ENOENT
        if present is None:
            if not self._free:
                return -errno.ENOSPC
            self._free_slot = self._free.pop()
            self.version += 1
        slot = self._free_slot if present is None else present[1]
        present = (bytes(key), slot)  # the new node keeps the whole key, as the kernel's does
        self._nodes[split] = present
        assert self.storage is not None
        start = self._offset(present[1])
        self.storage.buf[start:start + self.value_size] = value
        return 0

    def prog_delete(self, key: bytes) -> int:
        """``trie_delete_elem``."""
        split = self._split(key, exact=True, op="delete")
        if split is None:
            return -errno.EINVAL
        found = self._nodes.pop(split, None)
        if found is None:
            return -errno.ENOENT
        self._free.append(found[1])
        self.version += 1
        return 0


def _postorder(node: tuple[int, int]) -> tuple[int, ...]:
    plen, bits = node
    return (*((bits >> (plen - 1 - i)) & 1 for i in range(plen)), 2)
