"""``bpfvm image``: files in and out (PNG, JPEG, Farbfeld), batches, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bpfvm.cli import image as cli_image
from bpfvm.cli import main
from bpfvm.examples import image
from bpfvm.examples.image import decode, encode
from bpfvm.examples.image.farbfeld import from_rgba16, to_rgba16
from bpfvm.examples.image.reference import reference

from .images import edges, gradient, noise


def test_filter_names_agree() -> None:
    assert cli_image._FILTERS == image.FILTERS


def test_farbfeld_to_farbfeld(tmp_path: Path) -> None:
    pixels = noise(7, 5)
    (tmp_path / "in.ff").write_bytes(encode(pixels))
    status = main(["image", "blur", str(tmp_path / "in.ff"), str(tmp_path / "out.ff"), "--engine",
                   "interpreter", "--param", "kind=box", "--param", "radius=1"])
    assert status == 0
    expected = reference(image.settings("blur", kind="box", radius=1), pixels)
    assert (decode((tmp_path / "out.ff").read_bytes()) == expected).all()


def test_png_to_png_and_jpeg(tmp_path: Path) -> None:
    rgb = (gradient(9, 12) >> 8).astype(np.uint8)[..., :3]
    Image.fromarray(rgb).save(tmp_path / "in.png")
    assert main(["image", "contrast", str(tmp_path / "in.png"), str(tmp_path / "out.png"),
                 "--param", "alpha=2", "--param", "beta=-0.5"]) == 0
    got = np.asarray(Image.open(tmp_path / "out.png"))
    expected = from_rgba16(reference(image.settings("contrast", alpha=2, beta=-0.5), to_rgba16(rgb)), rgb)
    assert got.shape == rgb.shape and (got == expected).all()
    assert main(["image", "sobel", str(tmp_path / "in.png"), str(tmp_path / "out.jpg")]) == 0
    assert Image.open(tmp_path / "out.jpg").size == (12, 9)


def test_png_to_farbfeld(tmp_path: Path) -> None:
    rgba = (edges(4, 6) >> 8).astype(np.uint8)
    Image.fromarray(rgba).save(tmp_path / "in.png")
    assert main(["image", "yuv", str(tmp_path / "in.png"), str(tmp_path / "out.ff")]) == 0
    expected = reference(image.settings("yuv"), to_rgba16(rgba))
    assert (decode((tmp_path / "out.ff").read_bytes()) == expected).all()


def test_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        Image.fromarray((noise(4, 5, seed=i) >> 8).astype(np.uint8)).save(folder / f"p{i}.png")
    (folder / "p3.ff").write_bytes(encode(noise(3, 3)))
    (folder / "notes.txt").write_text("not an image")
    assert main(["image", "greyscale", str(folder), str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p1.png", "p2.png", "p3.ff"]
    assert "greyscale" in capsys.readouterr().out
    assert main(["image", "sharpen", str(folder / "p0.png"), str(folder / "p3.ff"), str(tmp_path / "two"),
                 "--format", "png"]) == 0
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["p0.png", "p3.png"]


@pytest.mark.parametrize(("setup", "args", "message"), [
    ({"bad.ff": b"farbfelx" + bytes(8)}, ["greyscale", "bad.ff", "out.ff"], "the magic is not b'farbfeld'"),
    ({"short.ff": b"farb"}, ["greyscale", "short.ff", "out.ff"], "shorter than the 16-byte header"),
    ({"cut.ff": encode(noise(2, 2))[:-3]}, ["sobel", "cut.ff", "out.png"], "truncated Farbfeld image"),
    ({"text.png": b"hello"}, ["blur", "text.png", "out.png"], "not an image Pillow can read"),
    ({}, ["blur", "missing.png", "out.png"], "missing.png: No such file"),
    ({"a.ff": encode(noise(2, 2))}, ["blur", "a.ff", "out.ff", "--param", "radius"], "expected NAME=VALUE"),
    ({"a.ff": encode(noise(2, 2))}, ["blur", "a.ff", "out.ff", "--param", "radius=9"], "radius must be"),
    ({"a.ff": encode(noise(2, 2))}, ["blur", "a.ff", "out.xyz"], "cannot save as .xyz"),
    ({"a.ff": encode(noise(2, 2)), "f": b""}, ["blur", "a.ff", "a.ff", "f"], "must be a directory"),
    ({"empty/x.txt": b""}, ["blur", "empty", "out"], "no images in empty"),
])
def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                setup: dict[str, bytes], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name, data in setup.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert main(["image", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bpfvm: ") and message in err and "Traceback" not in err
