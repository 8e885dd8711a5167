"""Queue and stack maps: ``BPF_MAP_TYPE_QUEUE``/``STACK`` (kernel ``kernel/bpf/queue_stack_maps.c``).

No keys (``key_size`` 0).  Push is ``update`` with no key (or ``bpf_map_push_elem``); a full map
is E2BIG unless ``BPF_EXIST``, which drops the oldest element to make room; ``BPF_NOEXIST`` or
unknown flags are EINVAL.  Peek is ``lookup`` with no key, pop is ``lookup_and_delete``; an
empty map is ENOENT.  Delete and ``get_next_key`` are EINVAL.  Values are copied in and out, so
they live host-side.
"""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Iterator

from .base import BPF_EXIST, BPF_NOEXIST, KMALLOC_MAX_SIZE, Flag, KeyLike, Map

__all__ = ["QueueMap", "StackMap"]


class QueueMap(Map):
    """``BPF_MAP_TYPE_QUEUE``: first in, first out."""

    type_name = "queue"
    type_id = 22
    allowed_flags = Flag.NUMA_NODE | Flag.ACCESS_MASK
    has_values = False
    lifo = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._items: deque[bytes] = deque()

    def check(self) -> None:
        """``queue_stack_map_alloc_check``."""
        if self.max_entries == 0 or self.key_size != 0 or self.value_size == 0:
            self.fail(errno.EINVAL, "create", "queue/stack maps need key_size 0, value_size and max_entries")
        if self.value_size > KMALLOC_MAX_SIZE:
            self.fail(errno.E2BIG, "create", f"value_size {self.value_size} too large")

    def _no_key(self, key: KeyLike, op: str) -> None:
        if key not in (None, b""):
            self.fail(errno.EINVAL, op, "queue/stack maps have no keys")

    def push(self, value: KeyLike, flags: int = 0) -> None:
        """Add ``value``; E2BIG when full unless ``BPF_EXIST`` (then the oldest goes)."""
        result = self.prog_push(self.value_bytes(value, "push"), flags)
        if result:
            self.fail(-result, "push", "map is full" if result == -errno.E2BIG else f"bad flags {flags:#x}")

    def prog_push(self, value: bytes, flags: int) -> int:
        """``bpf_map_push_elem``: 0 or a negative errno."""
        if flags & BPF_NOEXIST or flags > BPF_EXIST:
            return -errno.EINVAL
        if len(self._items) >= self.max_entries:
            if not flags & BPF_EXIST:
                return -errno.E2BIG
            self._items.popleft()
        self._items.append(value)
        self.version += 1
        return 0

    def prog_peek(self, delete: bool) -> bytes | None:
        """``bpf_map_peek_elem``/``pop_elem``: the next value, or None when empty."""
        if not self._items:
            return None
        self.version += delete
        if self.lifo:
            return self._items.pop() if delete else self._items[-1]
        return self._items.popleft() if delete else self._items[0]

    def peek(self) -> bytes:
        """The next value without removing it; ENOENT when empty."""
        value = self.prog_peek(False)
        if value is None:
            self.fail(errno.ENOENT, "peek", "empty")
        assert value is not None
        return value

    def pop(self) -> bytes:
        """Remove and return the next value; ENOENT when empty."""
        value = self.prog_peek(True)
        if value is None:
            self.fail(errno.ENOENT, "pop", "empty")
        assert value is not None
        return value

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """``BPF_MAP_LOOKUP_ELEM`` without a key: peek."""
        self._no_key(key, "lookup")
        self.check_lookup_flags(flags)
        return self.peek()

    def update(self, key: KeyLike, value: KeyLike, flags: int = 0) -> None:
        """``BPF_MAP_UPDATE_ELEM`` without a key: push."""
        self._no_key(key, "update")
        self.push(value, flags)

    def lookup_and_delete(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """``BPF_MAP_LOOKUP_AND_DELETE_ELEM`` without a key: pop."""
        self._no_key(key, "lookup_and_delete")
        if flags:
            self.fail(errno.EINVAL, "lookup_and_delete", f"bad flags {flags:#x}")
        return self.pop()

    def __len__(self) -> int:
        return len(self._items)

    def contents(self) -> list[bytes]:
        """The values in pop order."""
        return list(reversed(self._items)) if self.lifo else list(self._items)

    def keys(self) -> Iterator[bytes]:
        """Queue/stack maps have no keys to iterate (``get_next_key`` is EINVAL)."""
        self.fail(errno.EINVAL, "get_next_key", "queue/stack maps have no keys")

    def prog_delete(self, key: bytes) -> int:
        """``bpf_map_delete_elem`` is EINVAL."""
        return -errno.EINVAL


class StackMap(QueueMap):
    """``BPF_MAP_TYPE_STACK``: last in, first out."""

    type_name = "stack"
    type_id = 23
    lifo = True
