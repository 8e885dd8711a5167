"""Image filters on a 1920×1080 Farbfeld image: bpfvm JIT vs the same C natively vs NumPy.

For each filter of :mod:`bpfvm.examples.image`, measured on one procedural 1920×1080 image
(smooth gradients, hard edges and noise):

* **native** — the filter's C (``examples/image/c``) built with ``gcc -O2 -shared -fPIC`` and
  called through ctypes on host buffers;
* **JIT** — the BPF program on ``VM(engine="jit")``, the image already in guest memory (the
  time of ``vm.run`` only; JIT compilation is reported separately);
* **NumPy** — the reference implementation (:mod:`bpfvm.examples.image.reference`);
* **interpreter** — ``VM(engine="interpreter")`` on a 64×36 crop, its time scaled by the pixel
  count (1/900 of the work).

Outputs must agree: JIT = native = NumPy at full size, interpreter = NumPy on the crop
(asserted).  Times are the best of 3 ``time.perf_counter`` runs (NumPy: of 2).

Run: ``.venv/bin/python bench/image.py`` (``--filters sobel,blur`` for a subset).  Timing is
never asserted.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from bpfvm.examples.image import FILTERS, encode, settings
from bpfvm.examples.image.farbfeld import pixels_view
from bpfvm.examples.image.filters import PROGRAMS, Settings
from bpfvm.examples.image.native import build
from bpfvm.examples.image.programs import program
from bpfvm.examples.image.reference import reference
from bpfvm.examples.image.run import sandbox

WIDTH, HEIGHT = 1920, 1080
SMALL = (36, 64)  # interpreter crop (height, width): 1/900 of the pixels
SCALE = WIDTH * HEIGHT // (SMALL[0] * SMALL[1])
REPEATS = 3


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs of ``fn``, in seconds."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_image(height: int, width: int) -> npt.NDArray[np.uint16]:
    """A photo-like procedural image: gradients, a disc and bars with hard edges, mild noise."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    disc = ((u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.04).astype(np.float64)
    bars = ((x // 40) % 2) * (v > 0.7)
    noise = np.random.default_rng(3).normal(0, 0.02, size=(height, width))
    r = 0.2 + 0.6 * u + 0.3 * disc - 0.2 * bars + noise
    g = 0.3 + 0.5 * v + 0.1 * np.sin(12 * u) - 0.3 * disc + noise
    b = 0.8 - 0.5 * v + 0.2 * bars + noise
    a = np.ones_like(r)
    rgba = np.stack([r, g, b, a], axis=2)
    return (np.clip(rgba, 0, 1) * 65535 + 0.5).astype(np.uint16)


def jit_run(name: str, config: Settings, data: bytes) -> tuple[float, float, bytes]:
    """(compile s, best run s, output) of filter ``name`` on the JIT."""
    box = sandbox("jit", len(data))
    with box.buffers(len(data), config.pack()) as buffers:
        buffers.input[:] = data
        start = time.perf_counter()
        box.vm.compile(program(PROGRAMS[name]))
        compile_time = time.perf_counter() - start
        seconds = best_of(lambda: buffers.run(PROGRAMS[name]))
        return compile_time, seconds, bytes(buffers.output)


def interpreter_run(name: str, config: Settings, pixels: npt.NDArray[np.uint16]) -> tuple[float, bytes]:
    data = encode(pixels)
    box = sandbox("interpreter", len(data))
    with box.buffers(len(data), config.pack()) as buffers:
        buffers.input[:] = data
        buffers.run(PROGRAMS[name])  # compile (codegen) outside the timing
        return best_of(lambda: buffers.run(PROGRAMS[name])), bytes(buffers.output)


def measure(name: str, pixels: npt.NDArray[np.uint16], tmp: Path) -> dict[str, float]:
    config = settings(name)
    data = encode(pixels)
    native = build(name, tmp)
    source, out = bytearray(data), bytearray(len(data))
    t_native = best_of(lambda: native(source, out, config))
    t_compile, t_jit, jit_out = jit_run(name, config, data)
    expected: npt.NDArray[np.uint16] = reference(config, pixels)
    t_numpy = best_of(lambda: reference(config, pixels), 2)
    assert jit_out == bytes(out), f"{name}: JIT and native differ"
    assert (pixels_view(jit_out, WIDTH, HEIGHT) == expected).all(), f"{name}: JIT and NumPy differ"

    small = pixels[:SMALL[0], :SMALL[1]].copy()
    t_small, small_out = interpreter_run(name, config, small)
    assert (pixels_view(small_out, SMALL[1], SMALL[0]) == reference(config, small)).all(), \
        f"{name}: interpreter and NumPy differ"
    t_interp = t_small * (WIDTH * HEIGHT) / (SMALL[0] * SMALL[1])
    return {"native": t_native, "jit": t_jit, "numpy": t_numpy, "interp": t_interp, "compile": t_compile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filters", default=",".join(FILTERS), help="comma-separated filters to run")
    names = parser.parse_args().filters.split(",")
    pixels = test_image(HEIGHT, WIDTH)
    table = Table(title=f"Image filters on {WIDTH}×{HEIGHT}: gcc -O2 vs bpfvm JIT vs NumPy vs interpreter "
                        "(best of 3; ms)")
    for column in ("filter", "native ms", "JIT ms", "JIT/native", "NumPy ms", "NumPy/JIT",
                   "interp s (scaled)", "interp/JIT", "JIT compile s"):
        table.add_column(column, justify="right")
    ratios: list[float] = []
    compiled: dict[str, str] = {}  # C program -> the first filter that compiled it
    with tempfile.TemporaryDirectory(prefix="bpfvm-bench-image-") as tmp:
        for name in names:
            r = measure(name, pixels, Path(tmp))
            first = compiled.setdefault(PROGRAMS[name], name)
            compile_cell = f"{r['compile']:.3f}" if first == name else f"(as {first})"
            ratios.append(r["jit"] / r["native"])
            table.add_row(name, f"{r['native'] * 1e3:.1f}", f"{r['jit'] * 1e3:.1f}", f"{ratios[-1]:.2f}×",
                          f"{r['numpy'] * 1e3:.1f}", f"{r['numpy'] / r['jit']:.2f}×", f"{r['interp']:.1f}",
                          f"{r['interp'] / r['jit']:,.0f}×", compile_cell)
    geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    table.caption = (f"geometric mean JIT/native {geomean:.2f}×; outputs identical (JIT = gcc = NumPy); "
                     f"interpreter on {SMALL[1]}×{SMALL[0]}, scaled ×{SCALE}")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


if __name__ == "__main__":
    main()
