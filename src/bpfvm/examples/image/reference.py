"""The filters in NumPy, written from the maths with the same fixed-point choices as the C.

Each function takes ``(height, width, 4)`` uint16 RGBA pixels and the filter's settings
(:mod:`.filters`) and returns new pixels; tests require the BPF programs to match it exactly.
Arithmetic is int64; ``>>`` is NumPy's arithmetic (flooring) shift, as in the C; edges are
clamped (``np.pad(mode="edge")``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .filters import (
    SAMPLE_MAX,
    ColourMatrix,
    Contrast,
    Convolution,
    Greyscale,
    Kernel,
    Q,
    Settings,
    Sobel,
    Unsharp,
    fixed,
)

__all__ = ["GRADIENT_LIMIT", "LUMA", "reference"]

I64 = npt.NDArray[np.int64]

#: BT.601 luma weights 0.299, 0.587, 0.114 in Q16 (they sum to 65536).
LUMA = (fixed(0.299), fixed(0.587), fixed(0.114))

#: Sobel gradient components are clamped to ±2^17: beyond it the magnitude saturates anyway.
GRADIENT_LIMIT = 1 << 17


def reference(config: Settings, pixels: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint16]:
    """``pixels`` filtered as the C program for ``config`` filters them."""
    rgba = pixels.astype(np.int64)
    out = rgba.copy()
    out[..., :3] = _FILTERS[type(config)](config, rgba)
    return np.clip(out, 0, SAMPLE_MAX).astype(np.uint16)


def round_shift(values: I64, shift: int) -> I64:
    """``values / 2^shift`` rounded half up (floor of ``values / 2^shift + 1/2``)."""
    return (values + (1 << (shift - 1))) >> shift if shift else values


def luma(rgba: I64) -> I64:
    """BT.601 luma of each pixel, ``(h, w)``."""
    r, g, b = LUMA
    return (r * rgba[..., 0] + g * rgba[..., 1] + b * rgba[..., 2] + (1 << (Q - 1))) >> Q


def convolve(plane: I64, kernel: Kernel) -> I64:
    """``plane`` (h, w) convolved (correlation, as in the C) with ``kernel``, edges clamped,
    rounded and shifted back, not clamped to the sample range."""
    weights = kernel.array
    r = weights.shape[0] // 2
    height, width = plane.shape
    padded = np.pad(plane, r, mode="edge")
    total = np.zeros_like(plane)
    for j, row in enumerate(weights):
        for i, w in enumerate(row):
            if w:
                total += w * padded[j:j + height, i:i + width]
    return round_shift(total, kernel.shift)


def _greyscale(config: Greyscale, rgba: I64) -> I64:
    return np.repeat(luma(rgba)[..., None], 3, axis=2)


def _contrast(config: Contrast, rgba: I64) -> I64:
    return round_shift(config.alpha * rgba[..., :3], Q) + config.beta


def _colour(config: ColourMatrix, rgba: I64) -> I64:
    matrix = np.array(config.matrix, dtype=np.int64).reshape(3, 3)
    return round_shift(rgba[..., :3] @ matrix.T, config.shift) + np.array(config.offset, dtype=np.int64)


def _convolution(config: Convolution, rgba: I64) -> I64:
    return np.stack([convolve(rgba[..., c], config.kernel) for c in range(3)], axis=2)


def isqrt(values: I64) -> I64:
    """Exact floor(sqrt(v)) of non-negative int64 values (a float estimate, then corrected)."""
    root = np.floor(np.sqrt(values.astype(np.float64))).astype(np.int64)
    root -= (root * root > values).astype(np.int64)
    root += ((root + 1) * (root + 1) <= values).astype(np.int64)
    return root


def _sobel(config: Sobel, rgba: I64) -> I64:
    plane = luma(rgba)
    gx = np.clip(convolve(plane, config.gx), -GRADIENT_LIMIT, GRADIENT_LIMIT)
    gy = np.clip(convolve(plane, config.gy), -GRADIENT_LIMIT, GRADIENT_LIMIT)
    return np.repeat(isqrt(gx * gx + gy * gy)[..., None], 3, axis=2)


def _unsharp(config: Unsharp, rgba: I64) -> I64:
    planes = rgba[..., :3]
    detail = planes - np.clip(_convolution(Convolution(config.blur), rgba), 0, SAMPLE_MAX)
    sharpened = planes + round_shift(config.amount * detail, Q)
    return np.where(np.abs(detail) < config.threshold, planes, sharpened)


_FILTERS: dict[type, Any] = {Greyscale: _greyscale, Contrast: _contrast, ColourMatrix: _colour,
                             Convolution: _convolution, Sobel: _sobel, Unsharp: _unsharp}
