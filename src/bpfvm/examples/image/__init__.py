"""Image kernels in C, compiled to BPF and run by bpfvm as an extension library.

Seven filters (:data:`FILTERS`) — greyscale, contrast, yuv, blur, sharpen, sobel, unsharp —
each a C function in ``c/`` working on a Farbfeld image in guest memory with fixed-point
arithmetic only (see ``c/farbfeld.h``)::

    from bpfvm.examples import image
    edges = image.apply("sobel", Image.open("photo.png"))          # Pillow in, Pillow out
    soft = image.apply("blur", array, kind="box", radius=3)         # NumPy in, NumPy out

:mod:`.reference` is the same maths in NumPy; ``bpfvm image`` is the command line.
"""

from __future__ import annotations

from .errors import FarbfeldError, ImageError, ParamError
from .farbfeld import decode, encode
from .filters import FILTERS, settings
from .run import apply, apply_file

__all__ = ["FILTERS", "FarbfeldError", "ImageError", "ParamError", "apply", "apply_file", "decode",
           "encode", "settings"]
