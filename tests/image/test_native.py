"""The filters' C built natively with gcc -O2 computes the same bytes as its BPF build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bpfvm.examples import image
from bpfvm.examples.image import decode, encode
from bpfvm.examples.image.filters import Settings
from bpfvm.examples.image.native import build
from bpfvm.examples.image.reference import reference

from .images import edges, noise
from .test_filters import EXTREMES


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    return tmp_path_factory.mktemp("native")


@pytest.mark.parametrize("name", image.FILTERS)
def test_native_build_agrees_with_bpf(libraries: Path, name: str) -> None:
    native = build(name, libraries)
    for pixels in (noise(17, 33), edges(5, 4), noise(1, 1)):
        data = encode(pixels)
        out = bytearray(len(data))
        native(data, out, image.settings(name))
        assert image.apply(name, data, engine="jit") == bytes(out)


def test_native_build_rejects_bad_magic(libraries: Path) -> None:
    native = build("greyscale", libraries)
    with pytest.raises(image.FarbfeldError, match="magic"):
        native(b"farbfelt" + bytes(8), bytearray(16), image.settings("greyscale"))


@pytest.mark.parametrize(("name", "config"), EXTREMES, ids=[f"{n}{i}" for i, (n, _) in enumerate(EXTREMES)])
def test_native_build_agrees_at_the_limits(libraries: Path, name: str, config: Settings) -> None:
    data = encode(noise(6, 5))
    out = bytearray(len(data))
    build(name, libraries)(data, out, config)
    assert (decode(out) == reference(config, decode(data))).all()
