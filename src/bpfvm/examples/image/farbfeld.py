"""Farbfeld on the host: parse and build images, and convert to and from NumPy and Pillow.

Farbfeld (https://tools.suckless.org/farbfeld/) is the magic ``farbfeld``, width and height as
u32 big-endian, then RGBA pixels, 16 bits per channel, big-endian, row-major.  Here an image's
pixels are an ``(height, width, 4)`` array of ``uint16``; :func:`pixels_view` is the same array
laid over Farbfeld bytes in place (dtype ``>u2``), which is how pixels go into guest memory
without an intermediate copy.  8-bit samples widen by ×257 and narrow by rounding ÷257, like
farbfeld's own png2ff/ff2png.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import FarbfeldError

__all__ = ["HEADER_SIZE", "MAGIC", "RGBA16", "decode", "encode", "header", "parse_header", "pixels_view",
           "to_rgba16", "from_rgba16", "image_size"]

MAGIC = b"farbfeld"
HEADER_SIZE = 16
_HEADER = struct.Struct(">8sII")

#: An image's pixels: ``(height, width, 4)`` RGBA, ``uint16``.
RGBA16 = npt.NDArray[np.uint16]


def image_size(width: int, height: int) -> int:
    """Bytes of a ``width`` × ``height`` Farbfeld image."""
    return HEADER_SIZE + 8 * width * height


def header(width: int, height: int) -> bytes:
    """The 16-byte header of a ``width`` × ``height`` image."""
    return _HEADER.pack(MAGIC, width, height)


def parse_header(data: bytes | bytearray | memoryview) -> tuple[int, int]:
    """``(width, height)`` of a Farbfeld image; raises :class:`FarbfeldError` if ``data`` is not
    one, or is shorter than its header says."""
    if len(data) < HEADER_SIZE:
        raise FarbfeldError(f"not a Farbfeld image: {len(data)} bytes, shorter than the 16-byte header")
    magic, width, height = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise FarbfeldError(f"not a Farbfeld image: magic {bytes(magic)!r}, expected {MAGIC!r}")
    if len(data) < image_size(width, height):
        raise FarbfeldError(f"truncated Farbfeld image: {width}×{height} needs {image_size(width, height)} "
                            f"bytes, got {len(data)}")
    return width, height


def pixels_view(buffer: Any, width: int, height: int) -> npt.NDArray[Any]:
    """The pixels of the Farbfeld image in ``buffer`` (writable buffers give a writable view),
    as a ``(height, width, 4)`` big-endian ``>u2`` array sharing its memory."""
    return np.frombuffer(buffer, dtype=">u2", count=4 * width * height,
                         offset=HEADER_SIZE).reshape(height, width, 4)


def decode(data: bytes | bytearray | memoryview) -> RGBA16:
    """The pixels of a Farbfeld image; raises :class:`FarbfeldError`."""
    width, height = parse_header(data)
    return pixels_view(data, width, height).astype(np.uint16)


def encode(pixels: RGBA16) -> bytes:
    """A Farbfeld image of ``(height, width, 4)`` pixels."""
    height, width = _check_rgba(pixels)
    return header(width, height) + pixels.astype(">u2").tobytes()


def _check_rgba(pixels: npt.NDArray[Any]) -> tuple[int, int]:
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        raise FarbfeldError(f"pixels must be (height, width, 4) RGBA, not shape {pixels.shape}")
    return int(pixels.shape[0]), int(pixels.shape[1])


# ---------------------------------------------------------------- arrays of other shapes

def to_rgba16(array: npt.NDArray[Any], out: npt.NDArray[Any] | None = None) -> npt.NDArray[Any]:
    """RGBA16 pixels of an image array: ``(h, w)`` grey, ``(h, w, 2)`` grey+alpha, ``(h, w, 3)``
    RGB or ``(h, w, 4)`` RGBA, ``uint8`` or ``uint16``.  Written into ``out`` when given (which
    may be a big-endian view of guest memory); raises :class:`FarbfeldError` for other arrays."""
    channels = _channels(array)
    if out is None:
        out = np.empty((*array.shape[:2], 4), dtype=np.uint16)
    samples = array.reshape(*array.shape[:2], channels)
    colour = samples[..., :1] if channels <= 2 else samples[..., :3]
    scale = np.uint16(257 if array.dtype == np.uint8 else 1)
    np.multiply(colour, scale, out=out[..., :3], casting="unsafe")
    if channels in (2, 4):
        np.multiply(samples[..., -1], scale, out=out[..., 3], casting="unsafe")
    else:
        out[..., 3] = 0xFFFF
    return out


def from_rgba16(pixels: npt.NDArray[Any], like: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """RGBA16 ``pixels`` as an array of the shape and dtype of ``like`` (see :func:`to_rgba16`):
    grey takes R, grey+alpha takes R and A, RGB drops A."""
    channels = _channels(like)
    picked = {1: [0], 2: [0, 3], 3: [0, 1, 2], 4: [0, 1, 2, 3]}[channels]
    samples = pixels[..., picked].astype(np.uint32)
    if like.dtype == np.uint8:
        samples = (samples * 255 + 32767) // 65535
    return samples.astype(like.dtype).reshape(like.shape)


def _channels(array: npt.NDArray[Any]) -> int:
    if array.dtype not in (np.uint8, np.uint16):
        raise FarbfeldError(f"image arrays must be uint8 or uint16, not {array.dtype}")
    if array.ndim == 2:
        return 1
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        return int(array.shape[2])
    raise FarbfeldError(f"image arrays must be (h, w) or (h, w, 1|2|3|4), not shape {array.shape}")
