"""Run the same map operations on a bpfvm Map and on a kernel map (bpf() syscall); compare.

Used by the differential tests (seeded, small) and by ``fuzz/maps_oracle.py`` (long runs).
An outcome is ``("ok", bytes)`` or ``("err", errno)``; :func:`run_sequence` returns the first
divergence (or None) together with the operation that caused it.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bpfvm import Map, MapError
from bpfvm.kernel import syscall as kernel
from bpfvm.kernel.maps import Flag, map_kind, possible_cpus
from bpfvm.kernel.maps.base import round_up

Outcome = tuple[str, Any]

#: kernel map types the oracle compares by family
HASHES = ("hash", "percpu_hash")
ARRAYS = ("array", "percpu_array")
QUEUES = ("queue", "stack")


def kernel_maps_available() -> tuple[bool, str]:
    """Whether this process may create kernel maps (and why not)."""
    try:
        fd = kernel.map_create(2, 4, 4, 1)
    except kernel.KernelError as exc:
        return False, f"bpf(BPF_MAP_CREATE) failed: {exc}"
    kernel.close(fd)
    return True, ""


@dataclass
class Pair:
    """A bpfvm map and a kernel map made with the same parameters."""

    ours: Map
    fd: int
    user_value_size: int

    @classmethod
    def create(cls, type_name: str, key_size: int, value_size: int, max_entries: int, flags: int = 0,
               map_extra: int = 0) -> Pair:
        ours = Map(type_name, key_size, value_size, max_entries, flags, ncpus=possible_cpus(),
                   map_extra=map_extra)
        fd = kernel.map_create(map_kind(type_name).id, key_size, value_size, max_entries, flags=flags,
                               map_extra=map_extra)
        return cls(ours, fd, ours.user_value_size)

    def close(self) -> None:
        kernel.close(self.fd)

    def both(self, op: str, *args: Any) -> tuple[Outcome, Outcome]:
        return _ours(getattr(self, f"_o_{op}"), *args), _theirs(getattr(self, f"_k_{op}"), *args)

    # bpfvm side
    def _o_update(self, key: bytes | None, value: bytes, flags: int) -> bytes:
        self.ours.update(key, value, flags)
        return b""

    def _o_lookup(self, key: bytes | None) -> bytes:
        return self.ours.lookup(key)

    def _o_delete(self, key: bytes | None) -> bytes:
        self.ours.delete(key)
        return b""

    def _o_next(self, key: bytes | None) -> bytes:
        return self.ours.get_next_key(key)

    def _o_pop(self, key: bytes | None) -> bytes:
        return self.ours.lookup_and_delete(key)

    # kernel side
    def _k_update(self, key: bytes | None, value: bytes, flags: int) -> bytes:
        kernel.map_update(self.fd, key, value, flags=flags)
        return b""

    def _k_lookup(self, key: bytes | None) -> bytes:
        return kernel.map_lookup(self.fd, key, self.user_value_size)

    def _k_delete(self, key: bytes | None) -> bytes:
        kernel.map_delete(self.fd, key)
        return b""

    def _k_next(self, key: bytes | None) -> bytes:
        return kernel.map_get_next_key(self.fd, key, self.ours.key_size)

    def _k_pop(self, key: bytes | None) -> bytes:
        return kernel.map_lookup_and_delete(self.fd, key, self.user_value_size)

    def kernel_keys(self) -> list[bytes]:
        keys: list[bytes] = []
        key = None
        while True:
            try:
                key = kernel.map_get_next_key(self.fd, key, self.ours.key_size)
            except kernel.KernelError as exc:
                assert exc.errno == errno.ENOENT, exc
                return keys
            keys.append(key)
            assert len(keys) <= 1 << 20


def _ours(fn: Callable[..., bytes], *args: Any) -> Outcome:
    try:
        return "ok", fn(*args)
    except MapError as exc:
        return "err", exc.errno


def _theirs(fn: Callable[..., bytes], *args: Any) -> Outcome:
    try:
        return "ok", fn(*args)
    except kernel.KernelError as exc:
        return "err", exc.errno


def create_outcome(*args: Any, **kwargs: Any) -> tuple[Outcome, Outcome]:
    """Create the same map both ways: ``("ok", b"")`` or ``("err", errno)`` for each."""
    type_name, key_size, value_size, max_entries = args[:4]
    flags = kwargs.get("flags", 0)
    extra = kwargs.get("map_extra", 0)
    try:
        Map(type_name, key_size, value_size, max_entries, flags, map_extra=extra, ncpus=possible_cpus())
        ours: Outcome = ("ok", b"")
    except MapError as exc:
        ours = ("err", exc.errno)
    try:
        kernel.close(kernel.map_create(map_kind(type_name).id, key_size, value_size, max_entries, flags=flags,
                                       map_extra=extra))
        theirs: Outcome = ("ok", b"")
    except kernel.KernelError as exc:
        theirs = ("err", exc.errno)
    return ours, theirs


# -- random operation sequences ---------------------------------------------------------------------
_FLAGS = (0, 0, 0, 1, 2, 3, 4, 8)


def random_ops(rng: random.Random, pair: Pair, count: int) -> list[tuple[Any, ...]]:
    """A random operation list fitting the map's family."""
    m = pair.ours
    name = m.type_name
    ops: list[tuple[Any, ...]] = []
    for _ in range(count):
        ops.append(_op(rng, m, name))
    return ops


def _key(rng: random.Random, m: Map) -> bytes:
    if m.type_name in ARRAYS:
        return rng.randrange(m.max_entries + 3).to_bytes(4, "little")
    if m.type_name == "lpm_trie":
        bits = 8 * (m.key_size - 4)
        plen = rng.choice([rng.randrange(bits + 1), bits, bits + rng.randrange(1, 3)])
        data = rng.randrange(1 << bits) & rng.choice([(1 << bits) - 1, 0xF0F0F0F0 & ((1 << bits) - 1)])
        return plen.to_bytes(4, "little") + data.to_bytes(m.key_size - 4, "big")
    pool = 2 * m.max_entries + 2
    return rng.randrange(pool).to_bytes(m.key_size, "little")


def _value(rng: random.Random, m: Map) -> bytes:
    if m.percpu:
        step = round_up(m.value_size, 8)
        return b"".join(rng.randbytes(m.value_size) + bytes(step - m.value_size) for _ in range(m.ncpus))
    return rng.randbytes(m.value_size)


def _op(rng: random.Random, m: Map, name: str) -> tuple[Any, ...]:
    if name in QUEUES or name == "bloom_filter":
        kind = rng.choice(["update", "update", "lookup", "pop", "delete", "next"])
        if name == "bloom_filter":
            kind = rng.choice(["update", "lookup"])
            if kind == "lookup":
                return ("lookup_value", _value_small(rng, m))
            return ("update", None, _value_small(rng, m), rng.choice((0, 0, 0, 1, 2)))
        if kind == "update":
            return ("update", None, _value(rng, m), rng.choice((0, 0, 1, 2, 2, 3)))
        return (kind, None)
    kind = rng.choice(["update", "update", "update", "lookup", "delete", "next", "next", "pop"])
    if kind == "update":
        return ("update", _key(rng, m), _value(rng, m), rng.choice(_FLAGS))
    if kind == "next" and rng.random() < 0.2:
        return ("next", None)
    return (kind, _key(rng, m))


def _value_small(rng: random.Random, m: Map) -> bytes:
    """Bloom values from a small pool, so that tests hit both present and absent values."""
    return rng.randrange(3 * m.max_entries).to_bytes(m.value_size, "little")


def run_sequence(pair: Pair, ops: list[tuple[Any, ...]], *, compare_values: bool = True,
                 unordered_next: bool = False) -> tuple[tuple[Any, ...], Outcome, Outcome] | None:
    """Apply ``ops`` to both maps; the first divergence as (op, ours, kernel's), else None.

    ``unordered_next``: for hashes, whose iteration order depends on the kernel's random seed,
    only the outcome *kind* of ``get_next_key`` is compared (plus membership of the key).
    """
    for op in ops:
        if op[0] == "lookup_value":
            ours, theirs = _bloom_lookup(pair, op[1])
        else:
            ours, theirs = pair.both(op[0], *op[1:])
        if op[0] == "next" and unordered_next and ours[0] == theirs[0] == "ok":
            continue
        if op[0] == "next" and unordered_next and op[1] is not None and ours[0] != theirs[0]:
            continue  # next of the last key in one order is not the last in the other
        if not compare_values and ours[0] == theirs[0] == "ok":
            continue
        if ours != theirs:
            return op, ours, theirs
    return None


def _bloom_lookup(pair: Pair, value: bytes) -> tuple[Outcome, Outcome]:
    present = value in pair.ours
    ours: Outcome = ("ok", value) if present else ("err", errno.ENOENT)
    theirs = _theirs(lambda: _kernel_bloom_lookup(pair.fd, value))
    return ours, theirs


def _kernel_bloom_lookup(fd: int, value: bytes) -> bytes:
    """The kernel's bloom lookup reads the value to test from the value buffer."""
    import ctypes

    v = ctypes.create_string_buffer(value, len(value))
    attr = kernel._MapElemAttr(map_fd=fd, key=0, value=ctypes.addressof(v), flags=0)
    _, err = kernel._bpf(1, attr)
    if err:
        raise kernel.KernelError("BPF_MAP_LOOKUP_ELEM", err)
    return value


__all__ = ["Flag", "Pair", "create_outcome", "kernel_maps_available", "random_ops", "run_sequence"]
