"""Procedural test images, ``(height, width, 4)`` uint16 RGBA: gradients, hard edges, noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["PATTERNS", "edges", "gradient", "noise"]

Pixels = npt.NDArray[np.uint16]


def gradient(height: int, width: int) -> Pixels:
    """R ramps across, G down, B along the diagonal, A opaque."""
    y, x = np.mgrid[0:height, 0:width]
    ramp_x = x * 65535 // max(width - 1, 1)
    ramp_y = y * 65535 // max(height - 1, 1)
    opaque = np.full_like(x, 65535)
    return np.stack([ramp_x, ramp_y, (ramp_x + ramp_y) // 2, opaque], axis=2).astype(np.uint16)


def edges(height: int, width: int) -> Pixels:
    """Full-scale steps: a checkerboard of 0/65535 in R, a vertical step in G, a diagonal in B,
    alpha alternating between transparent and opaque rows."""
    y, x = np.mgrid[0:height, 0:width]
    board = ((x // 2 + y // 2) % 2) * 65535
    step = (x >= width // 2) * 65535
    diagonal = (x > y) * 65535
    alpha = (y % 2) * 65535
    return np.stack([board, step, diagonal, alpha], axis=2).astype(np.uint16)


def noise(height: int, width: int, seed: int = 5) -> Pixels:
    """Uniform noise over the full range in every channel, alpha included."""
    rng = np.random.default_rng(seed + 1000 * height + width)
    return rng.integers(0, 65536, size=(height, width, 4), dtype=np.uint16)


PATTERNS: dict[str, Callable[[int, int], Pixels]] = {"gradient": gradient, "edges": edges, "noise": noise}
