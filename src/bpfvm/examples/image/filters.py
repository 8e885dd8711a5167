"""The seven filters and their parameters, resolved to the fixed-point values the C programs use.

:func:`settings` turns a filter name and user-level parameters (floats, names, matrices; from
Python or as ``NAME=VALUE`` strings from the command line) into one of the frozen settings
classes below.  A settings value is exact: the BPF program gets it as a little-endian struct
(:meth:`pack`, laid out as in ``c/farbfeld.h`` and the filter's source) and the NumPy reference
(:mod:`.reference`) computes with the same integers, so both must agree pixel for pixel.

Fixed point: colour weights and kernels are Q16 (65536 = 1.0, rounded half up); kernels that
should sum to 1 are made to sum to exactly 65536 by giving the rounding residue to the centre
weight, so flat areas stay flat; offsets are in sample units (65535 = full scale).
"""

from __future__ import annotations

import inspect
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ParamError

__all__ = ["FILTERS", "PROGRAMS", "ColourMatrix", "Contrast", "Convolution", "Greyscale", "Kernel",
           "Settings", "Sobel", "Unsharp", "fixed", "settings"]

#: Q16: the fractional bits of every fixed-point weight.
Q = 16
KERNEL_MAX = 15
WEIGHT_LIMIT = 1 << 24
SAMPLE_MAX = 0xFFFF


def fixed(value: float, bits: int = Q) -> int:
    """``value`` in fixed point with ``bits`` fractional bits, rounded half up."""
    return math.floor(value * (1 << bits) + 0.5)


def _sample(value: float) -> int:
    """A fraction of full scale in sample units (1.0 = 65535), rounded half up."""
    return math.floor(value * SAMPLE_MAX + 0.5)


@dataclass(frozen=True, slots=True)
class Kernel:
    """A square, odd-sized convolution kernel: integer ``weights`` (rows) in Q``shift``."""

    weights: tuple[tuple[int, ...], ...]
    shift: int = Q

    def __post_init__(self) -> None:
        size = len(self.weights)
        if size % 2 == 0 or size > KERNEL_MAX or any(len(row) != size for row in self.weights):
            raise ParamError(f"a kernel must be square with an odd size up to {KERNEL_MAX}, "
                             f"not {size}×{len(self.weights[0]) if self.weights else 0}")
        if not 0 <= self.shift <= 30:
            raise ParamError(f"kernel shift {self.shift} out of range 0..30")
        if any(not -WEIGHT_LIMIT < w < WEIGHT_LIMIT for row in self.weights for w in row):
            raise ParamError(f"kernel weights must be below 2^24 in magnitude ({self.weights})")

    @classmethod
    def quantize(cls, matrix: Any, *, normalise: bool = True) -> Kernel:
        """The Q16 kernel nearest to ``matrix`` (floats); with ``normalise`` its weights sum to
        exactly the fixed-point value of the matrix's sum (the residue goes to the centre)."""
        values = np.asarray(matrix, dtype=np.float64)
        if values.ndim != 2:
            raise ParamError(f"a kernel must be a matrix, not shape {values.shape}")
        weights = np.floor(values * (1 << Q) + 0.5).astype(np.int64)
        if normalise and weights.size and weights.shape[0] == weights.shape[1] and weights.shape[0] % 2:
            centre = weights.shape[0] // 2
            weights[centre, centre] += fixed(float(values.sum())) - int(weights.sum())
        return cls(tuple(tuple(int(w) for w in row) for row in weights), Q)

    @property
    def array(self) -> npt.NDArray[np.int64]:
        """The weights as an int64 matrix."""
        return np.array(self.weights, dtype=np.int64)

    def pack(self) -> bytes:
        """``struct ff_kernel``: size, shift, then KERNEL_MAX² int32 weights (row-major, compact)."""
        flat = [w for row in self.weights for w in row]
        flat += [0] * (KERNEL_MAX * KERNEL_MAX - len(flat))
        return struct.pack(f"<ii{KERNEL_MAX * KERNEL_MAX}i", len(self.weights), self.shift, *flat)


@dataclass(frozen=True, slots=True)
class Greyscale:
    """BT.601 luma into R, G and B (no parameters)."""

    def pack(self) -> bytes:
        return b""


@dataclass(frozen=True, slots=True)
class Contrast:
    """``out = alpha·in/65536 + beta``: ``alpha`` Q16, ``beta`` in sample units."""

    alpha: int
    beta: int

    def pack(self) -> bytes:
        return struct.pack("<ii", self.alpha, self.beta)


@dataclass(frozen=True, slots=True)
class ColourMatrix:
    """``out[c] = (matrix[c] · rgb) / 2^shift + offset[c]``: a 3×3 row-major matrix in Q``shift``."""

    matrix: tuple[int, ...]
    offset: tuple[int, int, int]
    shift: int = Q

    def pack(self) -> bytes:
        return struct.pack("<9i3iii", *self.matrix, *self.offset, self.shift, 0)


@dataclass(frozen=True, slots=True)
class Convolution:
    """R, G, B convolved with ``kernel`` (blur, sharpen)."""

    kernel: Kernel

    def pack(self) -> bytes:
        return self.kernel.pack()


@dataclass(frozen=True, slots=True)
class Sobel:
    """Gradient magnitude of the luma under the kernels ``gx`` and ``gy``."""

    gx: Kernel
    gy: Kernel

    def pack(self) -> bytes:
        return self.gx.pack() + self.gy.pack()


@dataclass(frozen=True, slots=True)
class Unsharp:
    """``in + amount·(in - blur(in))`` (``amount`` Q16) where ``|in - blur(in)| >= threshold``."""

    blur: Kernel
    amount: int
    threshold: int

    def pack(self) -> bytes:
        return self.blur.pack() + struct.pack("<ii", self.amount, self.threshold)


Settings = Greyscale | Contrast | ColourMatrix | Convolution | Sobel | Unsharp

# ---------------------------------------------------------------- user-level parameters

#: Colour spaces for the ``yuv`` filter: RGB → (matrix rows, offsets as fractions of full scale).
SPACES: dict[str, tuple[tuple[tuple[float, float, float], ...], tuple[float, float, float]]] = {
    "yuv": (((0.299, 0.587, 0.114), (-0.14713, -0.28886, 0.436), (0.615, -0.51499, -0.10001)),
            (0.0, 0.5, 0.5)),
    "ycbcr": (((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312)),
              (0.0, 0.5, 0.5)),
    "yiq": (((0.299, 0.587, 0.114), (0.595716, -0.274453, -0.321263), (0.211456, -0.522591, 0.311135)),
            (0.0, 0.5, 0.5)),
}

SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParamError(f"parameter {name}: expected a number, got {value!r}") from None


def _integer(value: Any, name: str) -> int:
    number = _number(value, name)
    if not number.is_integer():
        raise ParamError(f"parameter {name}: expected an integer, got {value!r}")
    return int(number)


def _matrix(value: Any, name: str) -> npt.NDArray[np.float64]:
    """A matrix from nested sequences, an array or text (``"1,2,1;2,4,2;1,2,1"``)."""
    if isinstance(value, str):
        value = [[_number(v, name) for v in row.split(",")] for row in value.split(";")]
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParamError(f"parameter {name}: not a matrix of numbers: {value!r}") from None
    if matrix.ndim != 2:
        raise ParamError(f"parameter {name}: expected a matrix, got shape {matrix.shape}")
    return matrix


def _vector(value: Any, name: str) -> npt.NDArray[np.float64]:
    """A vector from a sequence, an array or text (``"0,0.5,0.5"``)."""
    if isinstance(value, str):
        value = value.split(",")
    return _matrix([value], name).ravel()


def gaussian(radius: int, sigma: float) -> npt.NDArray[np.float64]:
    """A normalised (2·radius+1)² Gaussian kernel."""
    if sigma <= 0:
        raise ParamError(f"sigma must be positive, not {sigma}")
    axis = np.arange(-radius, radius + 1, dtype=np.float64)
    line = np.exp(-(axis**2) / (2 * sigma * sigma))
    kernel = np.outer(line, line)
    return kernel / kernel.sum()


def _radius(value: Any) -> int:
    radius = _integer(value, "radius")
    if not 0 <= radius <= KERNEL_MAX // 2:
        raise ParamError(f"radius must be 0..{KERNEL_MAX // 2}, not {radius}")
    return radius


def _greyscale() -> Greyscale:
    return Greyscale()


def _contrast(alpha: Any = 1.5, beta: Any = -0.25) -> Contrast:
    """``alpha``: gain; ``beta``: offset as a fraction of full scale (1.5, -0.25: more contrast
    around mid-grey)."""
    a, b = _number(alpha, "alpha"), _number(beta, "beta")
    if not 0 <= a < 256 or not -1 <= b <= 1:
        raise ParamError(f"contrast needs 0 <= alpha < 256 and -1 <= beta <= 1, got {a}, {b}")
    return Contrast(fixed(a), _sample(b))


def _yuv(space: str = "yuv", matrix: Any = None, offset: Any = None) -> ColourMatrix:
    """``space``: yuv (BT.601), ycbcr (JPEG) or yiq; or an explicit 3×3 ``matrix`` (floats) and
    ``offset`` (three fractions of full scale, default 0, 0.5, 0.5)."""
    if space not in SPACES:
        raise ParamError(f"unknown colour space {space!r}; have {', '.join(SPACES)}")
    rows, shift = SPACES[space]
    m = _matrix(rows if matrix is None else matrix, "matrix")
    o = np.asarray(shift) if offset is None else _vector(offset, "offset")
    if m.shape != (3, 3) or o.shape != (3,) or np.abs(m).max() >= 256:
        raise ParamError("a colour matrix is 3×3 with entries below 256, with 3 offsets")
    return ColourMatrix(tuple(fixed(float(v)) for v in m.ravel()),
                        (_sample(float(o[0])), _sample(float(o[1])), _sample(float(o[2]))))


def _blur(kind: str = "gaussian", radius: Any = 2, sigma: Any = None, kernel: Any = None) -> Convolution:
    """``kind``: gaussian (``sigma`` default radius/2) or box, ``radius`` 0..7; or any ``kernel``."""
    if kernel is not None:
        return Convolution(Kernel.quantize(_matrix(kernel, "kernel")))
    r = _radius(radius)
    if kind == "box":
        return Convolution(Kernel.quantize(np.full((2 * r + 1, 2 * r + 1), 1 / (2 * r + 1) ** 2)))
    if kind != "gaussian":
        raise ParamError(f"unknown blur kind {kind!r}; have gaussian, box")
    s = max(r / 2, 0.5) if sigma is None else _number(sigma, "sigma")
    return Convolution(Kernel.quantize(gaussian(r, s)))


def _sharpen(amount: Any = 1.0, kernel: Any = None) -> Convolution:
    """The Laplacian sharpen ``[0 -a 0; -a 1+4a -a; 0 -a 0]`` with ``a = amount``, or any ``kernel``."""
    if kernel is not None:
        return Convolution(Kernel.quantize(_matrix(kernel, "kernel")))
    a = _number(amount, "amount")
    if not 0 <= a <= 16:
        raise ParamError(f"sharpen amount must be 0..16, not {a}")
    return Convolution(Kernel.quantize([[0, -a, 0], [-a, 1 + 4 * a, -a], [0, -a, 0]]))


def _sobel(scale: Any = 0.25, gx: Any = None, gy: Any = None) -> Sobel:
    """The Sobel operator (or kernels ``gx``/``gy``) times ``scale`` (0.25: a full-range step
    gives a full-range component)."""
    s = _number(scale, "scale")
    x = np.asarray(SOBEL_X, dtype=np.float64) if gx is None else _matrix(gx, "gx")
    y = x.T if gy is None else _matrix(gy, "gy")
    return Sobel(Kernel.quantize(x * s, normalise=False), Kernel.quantize(y * s, normalise=False))


def _unsharp(radius: Any = 2, sigma: Any = None, amount: Any = 1.0, threshold: Any = 0.0) -> Unsharp:
    """Gaussian blur of ``radius``/``sigma`` (see blur); ``amount`` of the detail added back where
    it is at least ``threshold`` (a fraction of full scale)."""
    blur = _blur("gaussian", radius, sigma).kernel
    a, t = _number(amount, "amount"), _number(threshold, "threshold")
    if not 0 <= a < 256 or not 0 <= t <= 1:
        raise ParamError(f"unsharp needs 0 <= amount < 256 and 0 <= threshold <= 1, got {a}, {t}")
    return Unsharp(blur, fixed(a), _sample(t))


_BUILDERS: dict[str, Callable[..., Settings]] = {
    "greyscale": _greyscale, "contrast": _contrast, "yuv": _yuv, "blur": _blur,
    "sharpen": _sharpen, "sobel": _sobel, "unsharp": _unsharp,
}

#: The filters, in the order of the issue.
FILTERS: tuple[str, ...] = tuple(_BUILDERS)

#: Filter → the C program (``c/NAME.c``) that implements it.
PROGRAMS: dict[str, str] = {"greyscale": "greyscale", "contrast": "contrast", "yuv": "colour",
                            "blur": "convolve", "sharpen": "convolve", "sobel": "sobel",
                            "unsharp": "unsharp"}


def settings(name: str, **params: Any) -> Settings:
    """The fixed-point settings of filter ``name`` with ``params``; raises :class:`ParamError` for an
    unknown filter or parameter or a value out of range."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise ParamError(f"unknown filter {name!r}; have {', '.join(FILTERS)}")
    unknown = sorted(set(params) - set(inspect.signature(builder).parameters))
    if unknown:
        raise ParamError(f"{name}: unknown parameter {', '.join(unknown)} "
                         f"(parameters: {parameter_help(name)})")
    return builder(**params)


def parameter_help(name: str) -> str:
    """The parameters of filter ``name`` with their defaults, e.g. ``alpha=1.5, beta=-0.25``."""
    signature = inspect.signature(_BUILDERS[name])
    return ", ".join(f"{p.name}={p.default}" for p in signature.parameters.values()) or "none"


def describe(name: str) -> str:
    """One line on filter ``name``'s parameters (its builder's docstring)."""
    doc = _BUILDERS[name].__doc__
    return " ".join(doc.split()) if doc else ""

