"""Long differential campaign: random map operation sequences on bpfvm and on the kernel's maps.

The seeded, short version of these comparisons runs in the test suite
(``tests/kernel/maps/test_oracle.py``); this script runs many more seeds, longer sequences and
random map shapes, and prints the first divergence with the seed that reproduces it.

Run: ``PYTHONPATH=src .venv/bin/python fuzz/maps_oracle.py [--seeds N] [--ops N] [--start S]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.kernel.maps.oracle import Pair, kernel_maps_available, random_ops, run_sequence  # noqa: E402

from bpfvm.kernel.maps import Flag  # noqa: E402

SHAPES = ("array", "percpu_array", "hash", "percpu_hash", "queue", "stack", "lpm_trie", "bloom_filter")


def shape(rng: random.Random) -> tuple[str, int, int, int, int, int]:
    """A random valid map: (type, key_size, value_size, max_entries, flags, map_extra)."""
    name = rng.choice(SHAPES)
    value = rng.choice([1, 3, 4, 8, 13, 64])
    entries = rng.choice([1, 2, 5, 16, 64])
    if name in ("array", "percpu_array"):
        return name, 4, value, entries, rng.choice([0, 0, Flag.MMAPABLE if name == "array" else 0]), 0
    if name in ("hash", "percpu_hash"):
        return name, rng.choice([1, 4, 8, 20]), value, entries, rng.choice([0, Flag.NO_PREALLOC]), 0
    if name == "lpm_trie":
        return name, rng.choice([5, 6, 8]), value, entries, Flag.NO_PREALLOC, 0
    if name == "bloom_filter":
        return name, 0, rng.choice([2, 4, 8, 5]), entries, Flag.ZERO_SEED, rng.randrange(16)
    return name, 0, value, entries, 0, 0


def main() -> int:
    """Run the campaign; exit status 1 on a divergence."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    ok, why = kernel_maps_available()
    if not ok:
        print(f"skipped: {why}")
        return 0
    began = time.perf_counter()
    for seed in range(args.start, args.start + args.seeds):
        rng = random.Random(seed)
        name, key_size, value_size, entries, flags, extra = shape(rng)
        pair = Pair.create(name, key_size, value_size, entries, flags, map_extra=extra)
        try:
            hashes = name in ("hash", "percpu_hash")
            found = run_sequence(pair, random_ops(rng, pair, args.ops), unordered_next=hashes)
        finally:
            pair.close()
        if found is not None:
            print(f"seed {seed}: {name} key {key_size} value {value_size} entries {entries} "
                  f"flags {flags:#x}: "
                  f"op {found[0]!r}: bpfvm {found[1]}, kernel {found[2]}")
            return 1
    print(f"{args.seeds} seeds x {args.ops} ops: no divergence ({time.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
