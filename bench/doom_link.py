"""DOOM through ``bpfvm link``: the game's 81 objects linked into one ELF object, loaded and run.

Prints one table measured in one run: the time to link the objects with ``bpfvm link``
(:func:`bpfvm.elf.objlink.link_objects`), to load the linked object, and to load and link the
81 objects in memory as ``bpfvm doom`` does; then runs ``-playdemo demo1`` to game tic 100
from both programs under the JIT and says whether the frames are identical (they must be).

    PYTHONPATH=src .venv/bin/python bench/doom_link.py [--wad PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.elf.objlink import link_objects
from bpfvm.examples import doom


def frame_at_tic_100(program: bpfvm.Program, wad: Path) -> tuple[int, np.ndarray]:
    """DOOM's exit status and the frame drawn at game tic 100 of demo1."""
    host = doom.Host(clock="virtual", tics=100)
    status = doom.run(wad, host=host, engine="jit", args=["-playdemo", "demo1"], program=program)
    return status, np.asarray(host.last).copy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wad", help="IWAD (default: Freedoom)")
    args = parser.parse_args()
    objects = doom.build()
    wad = doom.find_wad(args.wad)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "doom.o"
        start = time.perf_counter()
        out.write_bytes(link_objects([str(o) for o in objects]))
        link_s = time.perf_counter() - start
        start = time.perf_counter()
        linked = bpfvm.load(out, name="doom")
        load_linked_s = time.perf_counter() - start
    start = time.perf_counter()
    in_memory = doom.load()
    load_memory_s = time.perf_counter() - start
    (s1, f1), (s2, f2) = frame_at_tic_100(linked, wad), frame_at_tic_100(in_memory, wad)
    table = Table(title=f"DOOM: {len(objects)} objects")
    table.add_column("step")
    table.add_column("s", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("bpfvm link (one ELF object)", f"{link_s:.2f}", "")
    table.add_row("load the linked object", f"{load_linked_s:.2f}", f"{load_linked_s / load_memory_s:.2f}x")
    table.add_row("load + link in memory", f"{load_memory_s:.2f}", "1.00x")
    table.add_row("frame at tic 100 identical", "yes" if s1 == s2 == 0 and (f1 == f2).all() else "NO", "")
    Console().print(table)
    return 0 if s1 == s2 == 0 and (f1 == f2).all() else 1


if __name__ == "__main__":
    sys.exit(main())
