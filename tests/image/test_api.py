"""The Python API: image types in and out, errors from the host and from the BPF programs."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import pytest
from PIL import Image

from bpfvm.errors import BpfError
from bpfvm.examples import image
from bpfvm.examples.image import FarbfeldError, ParamError, decode, encode
from bpfvm.examples.image.farbfeld import from_rgba16, to_rgba16
from bpfvm.examples.image.filters import Kernel
from bpfvm.examples.image.reference import reference
from bpfvm.examples.image.run import run_settings, sandbox
from bpfvm.vm import ENGINES

from .images import gradient, noise

GOOD = encode(noise(3, 4))


def _context(name: str, block: bytes) -> contextlib.AbstractContextManager[None]:
    """Name the case in a failure (pytest.raises only says "DID NOT RAISE")."""
    @contextlib.contextmanager
    def context() -> Iterator[None]:
        try:
            yield
        except BaseException as error:
            error.add_note(f"filter {name}, parameter block {block[:16].hex()}… ({len(block)} bytes)")
            raise
    return context()


def test_farbfeld_round_trip() -> None:
    pixels = noise(5, 3)
    data = encode(pixels)
    assert data[:16] == b"farbfeld" + struct.pack(">II", 3, 5)
    assert len(data) == 16 + 5 * 3 * 8
    assert (decode(data) == pixels).all()


@pytest.mark.parametrize(("data", "message"), [
    (b"", "shorter than the 16-byte header"),
    (GOOD[:15], "shorter than the 16-byte header"),
    (b"farbfelx" + GOOD[8:], "magic b'farbfelx'"),
    (GOOD[:-1], "truncated Farbfeld image: 4×3 needs 112 bytes, got 111"),
    (b"farbfeld" + struct.pack(">II", 0xFFFF_FFFF, 0xFFFF_FFFF), "truncated"),
], ids=["empty", "short", "magic", "truncated", "huge"])
def test_host_rejects_bad_farbfeld(data: bytes, message: str) -> None:
    with pytest.raises(FarbfeldError, match=message.replace("(", r"\(")):
        decode(data)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("data", "message"), [
    (GOOD[:15], "not a Farbfeld image: shorter than the 16-byte header"),
    (b"farbfelx" + GOOD[8:], "not a Farbfeld image: the magic is not b'farbfeld'"),
    (GOOD[:-1], "truncated Farbfeld image"),
    (b"farbfeld" + struct.pack(">II", 0xFFFF_FFFF, 0xFFFF_FFFF) + bytes(64), "truncated Farbfeld image"),
    (b"farbfeld" + struct.pack(">II", 1 << 31, 2) + bytes(64), "truncated Farbfeld image"),
], ids=["short", "magic", "truncated", "huge", "overflow"])
def test_bpf_program_rejects_bad_farbfeld(engine: str, data: bytes, message: str) -> None:
    """Farbfeld bytes go to the BPF program unchecked; its status becomes the error."""
    for name in ("greyscale", "sobel"):
        with pytest.raises(FarbfeldError, match=message) as caught:
            image.apply(name, data, engine=engine)
        assert isinstance(caught.value, BpfError) and ".c: " in str(caught.value)


def _fill_good(view: memoryview) -> None:
    view[:] = GOOD


@pytest.mark.parametrize("engine", ENGINES)
def test_bpf_program_rejects_bad_parameters(engine: str) -> None:
    class Bad:
        def __init__(self, block: bytes) -> None:
            self.block = block

        def pack(self) -> bytes:
            return self.block

    kernel = Kernel(((1,),), 0).pack()
    even = struct.pack("<ii", 2, 0) + kernel[8:]
    for name, block in [("greyscale", b"\0" * 4), ("contrast", b"\0" * 4), ("blur", kernel + b"\0"),
                        ("blur", even), ("blur", struct.pack("<ii", 1, 31) + kernel[8:]),
                        ("sharpen", struct.pack("<iii", 1, 0, 1 << 24) + kernel[12:]),
                        ("unsharp", kernel + struct.pack("<ii", -1, 0)), ("yuv", bytes(52)),
                        ("yuv", bytes(48) + struct.pack("<ii", 31, 0))]:
        with pytest.raises(ParamError, match="parameters rejected"), _context(name, block):
            run_settings(name, cast(Any, Bad(block)), len(GOOD), _fill_good, bytes, engine=engine)


@pytest.mark.parametrize(("name", "params", "message"), [
    ("emboss", {}, "unknown filter 'emboss'"),
    ("contrast", {"gamma": 2}, r"unknown parameter gamma \(parameters: alpha=1.5, beta=-0.25\)"),
    ("greyscale", {"alpha": 2}, r"unknown parameter alpha \(parameters: none\)"),
    ("contrast", {"alpha": "x"}, "alpha: expected a number"),
    ("blur", {"radius": 8}, "radius must be 0..7"),
    ("blur", {"kind": "median"}, "unknown blur kind"),
    ("blur", {"kernel": [[1, 2], [3, 4]]}, "odd size"),
    ("blur", {"kernel": "1,2,3"}, "odd size"),
    ("yuv", {"space": "lab"}, "unknown colour space"),
    ("yuv", {"matrix": [[1, 2], [3, 4]]}, "3×3"),
    ("sobel", {"scale": 1e6}, "below 2"),
])
def test_bad_parameters(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamError, match=message):
        image.settings(name, **params)
    with pytest.raises(ParamError):
        image.apply(name, noise(2, 2), **params)


def test_unknown_engine_and_type() -> None:
    with pytest.raises(ParamError, match="unknown engine"):
        image.apply("greyscale", noise(2, 2), engine="gpu")
    with pytest.raises(FarbfeldError, match="cannot filter a list"):
        image.apply("greyscale", [[1, 2]])
    with pytest.raises(FarbfeldError, match="uint8 or uint16"):
        image.apply("greyscale", np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(FarbfeldError, match="shape"):
        image.apply("greyscale", np.zeros((2, 2, 5), dtype=np.uint8))


def test_bytes_in_bytes_out() -> None:
    config = image.settings("sharpen")
    assert image.apply("sharpen", GOOD, engine="interpreter") == encode(reference(config, decode(GOOD)))
    assert image.apply("sharpen", bytearray(GOOD), engine="jit") == encode(reference(config, decode(GOOD)))


@pytest.mark.parametrize("shape", [(5, 4), (5, 4, 1), (5, 4, 2), (5, 4, 3), (5, 4, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_arrays_keep_shape_and_dtype(shape: tuple[int, ...], dtype: type) -> None:
    rng = np.random.default_rng(len(shape) + shape[-1])
    array = rng.integers(0, np.iinfo(dtype).max + 1, size=shape, dtype=dtype)
    got = image.apply("unsharp", array, engine="jit", amount=3)
    expected = from_rgba16(reference(image.settings("unsharp", amount=3), to_rgba16(array)), array)
    assert got.shape == array.shape and got.dtype == array.dtype
    assert (got == expected).all()


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "I;16"])
def test_pillow_images(mode: str) -> None:
    rgb = Image.fromarray((gradient(6, 10) >> 8).astype(np.uint8)[..., :3])
    picture = rgb.convert(mode) if mode != "I;16" else Image.fromarray(gradient(6, 10)[..., 0])
    got = image.apply("greyscale", picture, engine="interpreter")
    assert isinstance(got, Image.Image) and got.size == picture.size
    assert got.mode == (mode if mode != "P" else "RGBA")
    source = np.asarray(picture if mode != "P" else picture.convert("RGBA"))
    expected = from_rgba16(reference(image.settings("greyscale"), to_rgba16(source)), source)
    assert (np.asarray(got) == expected).all()


def test_sandbox_grows_for_big_images() -> None:
    small = sandbox("interpreter")
    assert sandbox("interpreter") is small
    big = sandbox("interpreter", small.capacity + 1)
    assert big is not small and big.capacity > small.capacity
    assert big.vm.memory.size > small.vm.memory.size
