"""DOOM benchmark: ``-timedemo demo1`` frames per second, bpfvm JIT vs the native gcc -O2 build.

Prints one table measured in one run: the native build (same sources and platform layer,
``doom_host_native.c`` with the wall clock), the bpfvm JIT, the bpfvm interpreter (the first
``--interp-frames`` frames of the same demo, its rate after start-up), and the seed project's
8.5 fps as the anchor; then the JIT's compile time cold (no disk cache) and cached, and the time
to load and link the 81 objects.  fps is DOOM's own timedemo figure (game tics per real
tic × 35); for the interpreter, frames drawn per second after the first.

    .venv/bin/python bench/doom.py [--wad PATH] [--interp-frames N]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bpfvm
from bpfvm.examples import doom

SEED_FPS = 8.5
_TIMED = re.compile(r"timed (\d+) gametics in (\d+) realtics \(([\d.]+) fps\)")


def native_timedemo(wad: Path) -> tuple[float, str]:
    """(DOOM's timedemo fps, its line) of the native build."""
    exe = doom.build_native()
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([str(exe), "-iwad", str(wad), "-timedemo", "demo1"], cwd=tmp,
                                env={**os.environ, "DOOM_REALTIME": "1"}, capture_output=True, text=True,
                                check=False)
    return _timed(result.stderr + result.stdout)


def _timed(text: str) -> tuple[float, str]:
    match = _TIMED.search(text)
    return (float(match.group(3)), match.group(0)) if match else (0.0, "(no timedemo line)")


def bpfvm_timedemo(program: bpfvm.Program, wad: Path) -> tuple[float, str, float]:
    """(DOOM's timedemo fps, its line, frames per second rendered) of a JIT run."""
    host = doom.Host(clock="real")
    err = io.BytesIO()
    doom.run(wad, host=host, engine="jit", args=["-timedemo", "demo1"], program=program,
             vm_options={"stdout": io.BytesIO(), "stderr": err})
    elapsed = time.perf_counter() - (host.first_frame_time or time.perf_counter())
    fps, line = _timed(err.getvalue().decode(errors="replace"))
    return fps, line, (host.count - 1) / elapsed


def interpreter_fps(program: bpfvm.Program, wad: Path, frames: int) -> tuple[float, float]:
    """(fps after the first frame, seconds to the first frame) of the interpreter on demo1."""
    host = doom.Host(clock="virtual", frames=frames)
    start = time.perf_counter()
    doom.run(wad, host=host, engine="interpreter", args=["-playdemo", "demo1"], program=program,
             vm_options={"stdout": io.BytesIO(), "stderr": io.BytesIO()})
    first = host.first_frame_time or start
    return (host.count - 1) / (time.perf_counter() - first), first - start


def compile_times(program: bpfvm.Program) -> tuple[float, float]:
    """(cold, cached) JIT compile seconds of the whole game."""
    cold = bpfvm.VM("jit", jit_cache=False, lazy_binding=True)
    start = time.perf_counter()
    cold.compile(program)
    cold_s = time.perf_counter() - start
    bpfvm.VM("jit", lazy_binding=True).compile(program)  # fill the cache
    cached = bpfvm.VM("jit", lazy_binding=True)
    start = time.perf_counter()
    cached.compile(program)
    return cold_s, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wad", help="IWAD (default: Freedoom)")
    parser.add_argument("--interp-frames", type=int, default=60, help="interpreter frames (default 60)")
    args = parser.parse_args(argv)
    wad = doom.find_wad(args.wad)
    console = Console()
    start = time.perf_counter()
    program = doom.load()
    load_s = time.perf_counter() - start
    cold, cached = compile_times(program)
    native_fps, native_line = native_timedemo(wad)
    jit_fps, jit_line, rendered = bpfvm_timedemo(program, wad)
    interp_fps, interp_start = interpreter_fps(program, wad, args.interp_frames)

    table = Table(title=f"DOOM -timedemo demo1 ({wad.name}, 320x200): DOOM's own fps")
    for column in ("build", "fps", "vs native", "DOOM's timedemo line"):
        table.add_column(column, justify="left" if column in ("build", "DOOM's timedemo line") else "right")
    table.add_row("native gcc -O2", f"{native_fps:.0f}", "1.00×", native_line)
    table.add_row("bpfvm JIT", f"{jit_fps:.0f}", f"{native_fps / jit_fps:.2f}× slower",
                  f"{jit_line}; {rendered:.0f} frames/s drawn")
    table.add_row(f"bpfvm interpreter ({args.interp_frames} frames)", f"{interp_fps:.1f}",
                  f"{native_fps / interp_fps:.0f}× slower", f"start-up {interp_start:.1f} s")
    table.add_row("seed project (anchor)", f"{SEED_FPS}", f"{native_fps / SEED_FPS:.0f}× slower", "")
    console.print(table)
    console.print(f"BPF program: {len(program.insns)} instructions, {len(program.functions)} functions; "
                  f"load + link of 81 objects {load_s:.1f} s; JIT compile cold {cold:.1f} s, cached "
                  f"{cached:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
