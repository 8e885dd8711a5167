"""Differential tests: bpfvm maps against the kernel's (bpf() syscall), seeded random sequences.

Hash iteration order depends on the kernel's random seed, so hashes compare key *sets*; LRU maps
are approximate in the kernel, so they are checked for the kernel's invariants on both sides.
``fuzz/maps_oracle.py`` runs the same comparisons for longer.
"""

from __future__ import annotations

import errno
import random

import pytest

from bpfvm.kernel import syscall as kernel
from bpfvm.kernel.maps import Flag

from .oracle import Pair, create_outcome, kernel_maps_available, random_ops, run_sequence

AVAILABLE, WHY = kernel_maps_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=WHY or "bpf() not permitted")

NO_PREALLOC = Flag.NO_PREALLOC

CASES = [
    ("array", 4, 8, 5, 0),
    ("array", 4, 3, 7, Flag.MMAPABLE),
    ("percpu_array", 4, 12, 4, 0),
    ("hash", 4, 8, 6, 0),
    ("hash", 8, 5, 3, NO_PREALLOC),
    ("hash", 2, 16, 4, Flag.ZERO_SEED),
    ("percpu_hash", 4, 4, 5, 0),
    ("queue", 0, 4, 4, 0),
    ("stack", 0, 6, 3, 0),
    ("lpm_trie", 6, 4, 6, NO_PREALLOC),
    ("lpm_trie", 5, 8, 4, NO_PREALLOC),
    ("bloom_filter", 0, 4, 8, Flag.ZERO_SEED),
    ("bloom_filter", 0, 3, 5, Flag.ZERO_SEED),
]


def _contents(pair: Pair, ordered: bool) -> tuple[object, object]:
    ours = [(k, pair.ours.lookup(k)) for k in pair.ours.keys()]
    theirs = [(k, kernel.map_lookup(pair.fd, k, pair.user_value_size)) for k in pair.kernel_keys()]
    return (ours, theirs) if ordered else (sorted(ours), sorted(theirs))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]:#x}")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequence_matches_kernel(case: tuple[str, int, int, int, int], seed: int) -> None:
    name, key_size, value_size, max_entries, flags = case
    pair = Pair.create(name, key_size, value_size, max_entries, flags, map_extra=3 if seed == 3 else 0) \
        if name == "bloom_filter" else Pair.create(name, key_size, value_size, max_entries, flags)
    try:
        rng = random.Random(seed * 7919 + len(name))
        ops = random_ops(rng, pair, 150)
        hashes = name in ("hash", "percpu_hash")
        diverged = run_sequence(pair, ops, unordered_next=hashes)
        assert diverged is None, f"{name}: op {diverged[0]!r}: bpfvm {diverged[1]}, kernel {diverged[2]}"
        if name in ("queue", "stack"):
            popped = [run_sequence(pair, [("pop", None)]) for _ in range(max_entries + 1)]
            assert popped == [None] * (max_entries + 1)
        elif name != "bloom_filter":
            ours, theirs = _contents(pair, ordered=not hashes)
            assert ours == theirs
    finally:
        pair.close()


def test_lpm_iteration_order_is_the_kernels() -> None:
    pair = Pair.create("lpm_trie", 6, 4, 32, NO_PREALLOC)
    rng = random.Random(5)
    try:
        for _ in range(40):
            plen = rng.randrange(17)
            key = plen.to_bytes(4, "little") + rng.randrange(1 << 16).to_bytes(2, "big")
            ours, theirs = pair.both("update", key, rng.randbytes(4), 0)
            assert ours == theirs
        ours, theirs = _contents(pair, ordered=True)
        assert ours == theirs and len(ours) > 10
        for _ in range(30):  # longest-prefix lookups of random addresses
            key = (16).to_bytes(4, "little") + rng.randrange(1 << 16).to_bytes(2, "big")
            assert pair.both("lookup", key)[0] == pair.both("lookup", key)[1]
    finally:
        pair.close()


def test_full_hash_and_replacement() -> None:
    pair = Pair.create("hash", 4, 4, 2)
    try:
        ops = [("update", i.to_bytes(4, "little"), bytes(4), 0) for i in range(3)]
        ops += [("update", b"\0\0\0\0", b"abcd", 0), ("update", b"\1\0\0\0", b"x" * 4, 2),
                ("update", b"\x09\0\0\0", b"y" * 4, 2), ("update", b"\0\0\0\0", b"z" * 4, 1)]
        assert run_sequence(pair, ops) is None
        assert pair.ours.lookup(0) == b"abcd"
    finally:
        pair.close()


@pytest.mark.parametrize("lru", ["lru_hash", "lru_percpu_hash"])
@pytest.mark.parametrize("flags", [0, Flag.NO_COMMON_LRU])
def test_lru_invariants_on_both(lru: str, flags: int) -> None:
    """Under pressure both keep at most max_entries, every update succeeds, and the key just
    written is present (victims may differ: the kernel's LRU is approximate)."""
    pair = Pair.create(lru, 4, 8, 8, flags)
    rng = random.Random(11)
    try:
        limit = pair.ours.max_entries
        for i in range(200):
            key = rng.randrange(40).to_bytes(4, "little")
            value = bytes(pair.user_value_size)
            ours, theirs = pair.both("update", key, value, 0)
            assert ours == theirs == ("ok", b""), i
            assert pair.both("lookup", key) == (("ok", value), ("ok", value))
            assert len(pair.ours) <= limit and len(pair.kernel_keys()) <= limit
        bad = pair.both("update", b"\0" * 4, bytes(pair.user_value_size), 5)
        assert bad == (("err", errno.EINVAL), ("err", errno.EINVAL))
    finally:
        pair.close()


CREATE_CASES = [
    ("array", 4, 8, 0, 0), ("array", 8, 8, 4, 0), ("array", 4, 0, 4, 0), ("array", 4, 8, 4, Flag.NO_PREALLOC),
    ("array", 4, 8, 4, Flag.RDONLY | Flag.WRONLY), ("percpu_array", 4, 8, 4, Flag.MMAPABLE),
    ("percpu_array", 4, 40000, 4, 0), ("array", 4, 8, 4, Flag.PRESERVE_ELEMS),
    ("hash", 0, 8, 4, 0), ("hash", 4, 8, 0, 0), ("hash", 600, 8, 4, 0), ("hash", 4, 8, 4, Flag.NO_COMMON_LRU),
    ("hash", 4, 8, 4, Flag.MMAPABLE), ("lru_hash", 4, 8, 4, Flag.NO_PREALLOC),
    ("percpu_hash", 4, 40000, 4, 0),
    ("queue", 4, 8, 4, 0), ("queue", 0, 0, 4, 0), ("stack", 0, 8, 0, 0), ("queue", 0, 8, 4, Flag.NO_PREALLOC),
    ("lpm_trie", 8, 8, 4, 0), ("lpm_trie", 4, 8, 4, NO_PREALLOC), ("lpm_trie", 261, 8, 4, NO_PREALLOC),
    ("lpm_trie", 8, 0, 4, NO_PREALLOC), ("lpm_trie", 260, 1, 4, NO_PREALLOC),
    ("bloom_filter", 4, 4, 4, 0), ("bloom_filter", 0, 4, 0, 0), ("ringbuf", 0, 0, 4096, 0),
    ("ringbuf", 0, 0, 4097, 0), ("ringbuf", 0, 0, 8192 * 3, 0), ("ringbuf", 4, 0, 4096, 0),
    ("ringbuf", 0, 0, 4096, Flag.NO_PREALLOC), ("prog_array", 4, 8, 4, 0), ("prog_array", 4, 4, 4, 0),
    ("prog_array", 4, 4, 4, Flag.MMAPABLE), ("perf_event_array", 4, 4, 4, 0),
]


@pytest.mark.parametrize("case", CREATE_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]:#x}")
def test_create_checks_match_kernel(case: tuple[str, int, int, int, int]) -> None:
    ours, theirs = create_outcome(*case[:4], flags=case[4])
    assert ours == theirs
