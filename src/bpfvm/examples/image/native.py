"""The filters' C built natively (``gcc -O2``, a shared library called through ctypes).

Used to check that the BPF programs compute what the same C computes natively, and by
``bench/image.py`` to compare speed.  Needs ``gcc`` on ``PATH``.
"""

from __future__ import annotations

import ctypes
import subprocess
from collections.abc import Callable
from pathlib import Path

from .filters import PROGRAMS, Settings
from .programs import SOURCES
from .run import check_status

__all__ = ["NativeFilter", "build"]

#: ``filter(in, in_len, out, params, params_len)`` on host buffers; returns the status.
NativeFilter = Callable[[bytes | bytearray, bytearray, Settings], None]


def build(name: str, directory: Path, flags: tuple[str, ...] = ("-O2",)) -> NativeFilter:
    """Compile the C program of filter ``name`` into ``directory`` and return a function running it
    on a Farbfeld image into a buffer of the same size.  Raises ``subprocess.CalledProcessError``
    if gcc fails and the image errors of :func:`bpfvm.examples.image.apply`."""
    program = PROGRAMS[name]
    library = directory / f"lib{program}.so"
    if not library.exists():
        subprocess.run(["gcc", *flags, "-shared", "-fPIC", "-o", str(library), str(SOURCES / f"{program}.c")],
                       check=True)
    function = ctypes.CDLL(str(library)).filter
    function.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64]
    function.restype = ctypes.c_long

    def run(data: bytes | bytearray, out: bytearray, config: Settings) -> None:
        params = config.pack()
        source = (ctypes.c_char * len(data)).from_buffer_copy(data) if isinstance(data, bytes) else \
            (ctypes.c_char * len(data)).from_buffer(data)
        target = (ctypes.c_char * len(out)).from_buffer(out)
        block = ctypes.create_string_buffer(params, max(len(params), 1))
        check_status(function(source, len(data), target, block, len(params)), program)

    return run
