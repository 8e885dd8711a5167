"""Every filter's BPF program against the NumPy reference, pixel for pixel, under both engines.

The interpreter sees small images only (1×1, 3×7, 7×3, 9×6); the JIT also a 64×48 and the
odd-sized 641×479.  Every image goes through :func:`bpfvm.examples.image.apply` as a uint16
RGBA array, the path that writes straight into guest memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from bpfvm.examples import image
from bpfvm.examples.image import decode, encode
from bpfvm.examples.image.filters import (
    ColourMatrix,
    Contrast,
    Convolution,
    Kernel,
    Settings,
    Sobel,
    Unsharp,
)
from bpfvm.examples.image.reference import reference
from bpfvm.examples.image.run import run_settings
from bpfvm.vm import ENGINES

from .images import PATTERNS, edges, noise

#: (filter, parameters): the defaults of each filter and variations of what the parameters reach.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("greyscale", {}),
    ("contrast", {}),
    ("contrast", {"alpha": 0.5, "beta": 0.3}),
    ("contrast", {"alpha": 3.7, "beta": -1}),
    ("yuv", {}),
    ("yuv", {"space": "ycbcr"}),
    ("yuv", {"space": "yiq"}),
    ("yuv", {"matrix": [[0, 0, 1], [0.5, 0.5, 0], [-1, 2, -0.25]], "offset": [0.1, 0, -0.2]}),
    ("blur", {}),
    ("blur", {"kind": "box", "radius": 1}),
    ("blur", {"kind": "gaussian", "radius": 7, "sigma": 3}),
    ("blur", {"kernel": [[1 / 16, 1 / 8, 1 / 16], [1 / 8, 1 / 4, 1 / 8], [1 / 16, 1 / 8, 1 / 16]]}),
    ("sharpen", {}),
    ("sharpen", {"amount": 2.5}),
    ("sobel", {}),
    ("sobel", {"scale": 1}),
    ("sobel", {"gx": [[0, 0, 0], [-1, 0, 1], [0, 0, 0]], "gy": [[0, -1, 0], [0, 0, 0], [0, 1, 0]]}),
    ("unsharp", {}),
    ("unsharp", {"radius": 3, "amount": 2, "threshold": 0.01}),
]

SMALL = [(1, 1), (7, 3), (3, 7), (6, 9)]  # (height, width)
SMALL_IMAGES = [(f"{p}-{h}x{w}", f(h, w)) for h, w in SMALL for p, f in PATTERNS.items()]
JIT_IMAGES = [*SMALL_IMAGES, ("gradient-48x64", PATTERNS["gradient"](48, 64)),
              ("edges-479x641", edges(479, 641)), ("noise-479x641", noise(479, 641))]


def _ident(case: tuple[str, dict[str, Any]]) -> str:
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items() if k not in ("matrix", "kernel", "gx"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[_ident(c) for c in CASES])
def test_matches_reference(engine: str, case: tuple[str, dict[str, Any]]) -> None:
    name, params = case
    config = image.settings(name, **params)
    for label, pixels in JIT_IMAGES if engine == "jit" else SMALL_IMAGES:
        got = image.apply(name, pixels, engine=engine, **params)
        expected = reference(config, pixels)
        mismatch = np.argwhere(got != expected)
        assert got.dtype == np.uint16 and got.shape == pixels.shape
        assert not mismatch.size, (f"{label}: {len(mismatch)} samples differ, first at {mismatch[0]}: "
                                   f"got {got[tuple(mismatch[0])]}, expected {expected[tuple(mismatch[0])]}")


def test_filters_change_the_images() -> None:
    """The reference is not trivially the identity (guards the comparison above)."""
    pixels = noise(9, 6)
    for name, params in CASES:
        assert (reference(image.settings(name, **params), pixels) != pixels).any(), name


def test_flat_images_stay_flat_under_normalised_kernels() -> None:
    """Q16 kernels are renormalised to sum to exactly 1.0, so blurs keep a flat image as it is."""
    flat = np.full((5, 5, 4), 54321, dtype=np.uint16)
    for params in ({}, {"kind": "box", "radius": 1}, {"radius": 7, "sigma": 2.2}):
        assert (image.apply("blur", flat, engine="jit", **params) == flat).all()
    box = image.settings("blur", kind="box", radius=1)
    assert isinstance(box, Convolution) and int(box.kernel.array.sum()) == 65536


BIG = (1 << 24) - 1
#: Settings at the limits the C programs accept (weights just below 2^24, no shift): the
#: programs' int64 arithmetic must still agree with the reference.
EXTREMES: list[tuple[str, Settings]] = [
    ("contrast", Contrast(BIG, -(1 << 30))),
    ("yuv", ColourMatrix((BIG, -BIG, BIG, 1, 2, 3, -BIG, 0, -1), (-5, 1 << 20, 7), 0)),
    ("yuv", ColourMatrix((BIG,) * 9, (0, 0, 0), 30)),
    ("blur", Convolution(Kernel(((BIG, -BIG, BIG),) * 3, 0))),
    ("blur", Convolution(Kernel(((-BIG,) * 15,) * 15, 30))),
    ("sobel", Sobel(Kernel(((BIG,) * 15,) * 15, 0), Kernel(((-BIG, 1, BIG),) * 3, 3))),
    ("unsharp", Unsharp(Kernel(((BIG, -BIG, BIG),) * 3, 0), BIG, 0)),
    ("unsharp", Unsharp(Kernel(((1,),), 0), 1, 40000)),
]


def _filler(data: bytes) -> Callable[[memoryview], None]:
    def fill(view: memoryview) -> None:
        view[:] = data
    return fill


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "config"), EXTREMES, ids=[f"{n}{i}" for i, (n, _) in enumerate(EXTREMES)])
def test_extreme_settings(engine: str, name: str, config: Settings) -> None:
    for pixels in (noise(7, 3), edges(4, 5)):
        data = encode(pixels)
        got = run_settings(name, config, len(data), _filler(data), decode, engine=engine)
        assert (got == reference(config, pixels)).all()
