"""Running the filters: images go straight into a VM's guest memory and come straight out.

One :class:`Sandbox` (a :class:`~bpfvm.vm.VM` with every filter program compiled once) per
engine is kept per process.  For each call it maps three regions — input image, output image,
parameter block — and the filter program gets their guest addresses in r1..r5::

    long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)

The host fills the input through a NumPy view of guest memory (``vm.memory.view``): a Farbfeld
file is read into it with ``readinto``, an array is converted (×257, byte swap) as it is stored,
so no intermediate image is built; the output is read the same way.  The program's status
(``FF_ERR_*`` of ``c/farbfeld.h``) becomes a :class:`FarbfeldError` or :class:`ParamError`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from ...errors import ProgramError
from ...vm import ENGINES, VM
from .errors import FarbfeldError, ParamError
from .farbfeld import (
    HEADER_SIZE,
    MAGIC,
    from_rgba16,
    header,
    image_size,
    parse_header,
    pixels_view,
    to_rgba16,
)
from .filters import PROGRAMS, Settings, settings
from .programs import ENTRY, FRAME_SIZE, program

__all__ = ["Buffers", "Sandbox", "apply", "apply_file", "check_status", "run_settings", "sandbox"]

T = TypeVar("T")

_MIB = 1 << 20
_DEFAULT_MEMORY = 256 * _MIB
_HEAP = _MIB
#: Guest memory that is not for images: the read-only area (code), heap, stack, slack.
_OVERHEAD = 64 * _MIB + _HEAP + 2 * _MIB

_STATUS: dict[int, tuple[type[Exception], str]] = {
    -1: (FarbfeldError, "not a Farbfeld image: shorter than the 16-byte header"),
    -2: (FarbfeldError, f"not a Farbfeld image: the magic is not {MAGIC!r}"),
    -3: (FarbfeldError, "truncated Farbfeld image: fewer pixel bytes than width × height × 8"),
    -4: (ParamError, "parameters rejected (wrong size or out of range)"),
}


@dataclass(frozen=True, slots=True)
class Buffers:
    """One filter run's guest memory: views of the input and output images, and ``run(program)``
    running a filter program (``c/PROGRAM.c``) on them (raises the errors of :func:`check_status`)."""

    input: memoryview
    output: memoryview
    run: Callable[[str], None]


class Sandbox:
    """A VM for the image filters on one engine, with room for images of ``capacity`` bytes."""

    def __init__(self, engine: str, capacity: int = 0) -> None:
        self.engine = engine
        size = _DEFAULT_MEMORY
        while size - _OVERHEAD < 2 * capacity + 4 * _MIB:
            size *= 2
        self.capacity = (size - _OVERHEAD - 4 * _MIB) // 2
        self.vm = VM(engine, memory_size=size, heap_size=_HEAP, stack_size=FRAME_SIZE, max_call_depth=8)

    @contextlib.contextmanager
    def buffers(self, size: int, params: bytes) -> Iterator[Buffers]:
        """Map input and output regions of ``size`` bytes and the ``params`` block for one run;
        they are released afterwards."""
        memory = self.vm.memory
        mark = memory.mark()
        try:
            src = memory.map("image:in", size, writable=True)
            dst = memory.map("image:out", size, writable=True)
            block = memory.map("image:params", params or 1, writable=True)
            memory.buf[block.base:block.base + len(params)] = params

            def run(name: str) -> None:
                status = self.vm.run(program(name), src.base, size, dst.base, block.base, len(params),
                                     entry=ENTRY)
                check_status(status, name)

            yield Buffers(memory.view(src.base, size), memory.view(dst.base, size), run)
        finally:
            memory.release(mark)


def check_status(status: int, name: str) -> None:
    """Turn a filter program's status into an exception."""
    status = ((status & 0xFFFF_FFFF_FFFF_FFFF) ^ (1 << 63)) - (1 << 63)
    if status == 0:
        return
    error, message = _STATUS.get(status, (ProgramError, f"unexpected status {status}"))
    raise error(f"{name}.c: {message}")


_SANDBOXES: dict[str, Sandbox] = {}


def sandbox(engine: str, capacity: int = 0) -> Sandbox:
    """This process's sandbox for ``engine``, grown (a fresh VM) if images of ``capacity`` bytes
    do not fit.  Raises :class:`ParamError` for an unknown engine."""
    if engine not in ENGINES:
        raise ParamError(f"unknown engine {engine!r}; have {', '.join(ENGINES)}")
    box = _SANDBOXES.get(engine)
    if box is None or box.capacity < capacity:
        box = _SANDBOXES[engine] = Sandbox(engine, capacity)
    return box


def run_settings(name: str, config: Settings, size: int, fill: Callable[[memoryview], None],
                 drain: Callable[[memoryview], T], *, engine: str = "jit") -> T:
    """Run filter ``name`` with ``config`` on an image of ``size`` bytes that ``fill`` writes into
    guest memory; return what ``drain`` makes of the output image's bytes."""
    box = sandbox(engine, size)
    with box.buffers(size, config.pack()) as buffers:
        fill(buffers.input)
        buffers.run(PROGRAMS[name])
        return drain(buffers.output)


def apply(name: str, image: Any, *, engine: str = "jit", **params: Any) -> Any:
    """Filter ``image`` with filter ``name`` (see :data:`~.filters.FILTERS`) and ``params``;
    return the result as the same type.

    ``image`` may be a Pillow image (the result has its mode for L, LA, RGB, RGBA and I;16,
    else RGBA), a NumPy array (``(h, w)``, ``(h, w, 1..4)``, uint8 or uint16; same shape and
    dtype back) or the bytes of a Farbfeld image (bytes back, validated by the BPF program).

    Raises :class:`ParamError` for bad parameters, :class:`FarbfeldError` for a bad image.
    """
    config = settings(name, **params)
    if isinstance(image, bytes | bytearray | memoryview):
        return _apply_farbfeld(name, config, memoryview(image), engine)
    if isinstance(image, np.ndarray):
        return _apply_array(name, config, image, engine)
    from PIL import Image

    if isinstance(image, Image.Image):
        return _apply_pillow(name, config, image, engine)
    raise FarbfeldError(f"cannot filter a {type(image).__name__}: pass a Pillow image, a NumPy array "
                        "or Farbfeld bytes")


def _apply_farbfeld(name: str, config: Settings, data: memoryview, engine: str) -> bytes:
    def fill(view: memoryview) -> None:
        view[:] = data.cast("B")

    return run_settings(name, config, data.nbytes, fill, bytes, engine=engine)


def _apply_array(name: str, config: Settings, array: npt.NDArray[Any], engine: str) -> npt.NDArray[Any]:
    to_rgba16(array[:0, :0])  # check the shape and dtype before mapping memory
    height, width = int(array.shape[0]), int(array.shape[1])

    def fill(view: memoryview) -> None:
        view[:HEADER_SIZE] = header(width, height)
        to_rgba16(array, out=pixels_view(view, width, height))

    def drain(view: memoryview) -> npt.NDArray[Any]:
        return from_rgba16(pixels_view(view, width, height), array)

    return run_settings(name, config, image_size(width, height), fill, drain, engine=engine)


_PILLOW_MODES = {"L", "LA", "RGB", "RGBA", "I;16"}


def _apply_pillow(name: str, config: Settings, image: Any, engine: str) -> Any:
    from PIL import Image

    if image.mode not in _PILLOW_MODES:
        image = image.convert("RGBA")
    array = np.asarray(image)
    if image.mode == "I;16":
        array = array.astype(np.uint16)
    result = _apply_array(name, config, array, engine)
    return Image.fromarray(result)  # the mode follows from the shape and dtype


# ---------------------------------------------------------------- files

def _is_farbfeld(path: Path) -> bool:
    return path.suffix.lower() == ".ff"


def apply_file(name: str, source: Path, target: Path, *, engine: str = "jit", **params: Any) -> None:
    """Filter the image file ``source`` into ``target``: Farbfeld (``.ff``) directly in and out
    of guest memory, anything else through Pillow (its format from the suffix).

    Raises :class:`FarbfeldError` for a bad image, :class:`OSError` for unreadable files.
    """
    config = settings(name, **params)
    if _is_farbfeld(source):
        with open(source, "rb") as stream:
            size = stream.seek(0, 2)
            stream.seek(0)
            run_settings(name, config, size, _reader(stream, size),
                         lambda view: _write(target, view, source), engine=engine)
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as picture:
            picture.load()
            mode = picture.mode
            array = np.asarray(picture if mode in _PILLOW_MODES - {"I;16"} else picture.convert("RGBA"))
    except UnidentifiedImageError as error:
        raise FarbfeldError(f"{source}: not an image Pillow can read ({error})") from None
    height, width = int(array.shape[0]), int(array.shape[1])

    def fill(view: memoryview) -> None:
        view[:HEADER_SIZE] = header(width, height)
        to_rgba16(array, out=pixels_view(view, width, height))

    run_settings(name, config, image_size(width, height), fill,
                 lambda view: _write(target, view, source, like=array), engine=engine)


def _reader(stream: io.BufferedReader, size: int) -> Callable[[memoryview], None]:
    def fill(view: memoryview) -> None:
        if stream.readinto(view) != size:
            raise FarbfeldError(f"{stream.name}: changed while being read")
    return fill


def _write(target: Path, view: memoryview, source: Path, like: npt.NDArray[Any] | None = None) -> None:
    """Save the output image in ``view`` to ``target`` (Farbfeld as is, else via Pillow)."""
    if _is_farbfeld(target):
        width, height = parse_header(view)
        target.write_bytes(view[:image_size(width, height)])
        return
    from PIL import Image

    width, height = parse_header(view)
    pixels = pixels_view(view, width, height)
    array = from_rgba16(pixels, like if like is not None else np.empty((height, width, 4), np.uint8))
    picture = Image.fromarray(array)
    if target.suffix.lower() in (".jpg", ".jpeg") and picture.mode in ("RGBA", "LA"):
        picture = picture.convert(picture.mode[:-1])
    try:
        picture.save(target)
    except (KeyError, ValueError) as error:
        raise FarbfeldError(f"{target}: cannot save as {target.suffix or 'an image'} ({error}); "
                            f"read from {source}") from None
