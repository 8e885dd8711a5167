"""Before and after: the seven image filters run as BPF programs on one picture, from Python.

    .venv/bin/python examples/image/before_after.py [IMAGE] [--out docs/images] [--engine jit]

Writes ``original.png``, one ``FILTER.png`` per filter and ``before_after.png`` (the picture
beside its Sobel edges) into ``--out``.  Without IMAGE it draws a small procedural landscape,
which is how ``docs/images/*.png`` were made.  Every filter is
``bpfvm.examples.image.apply(name, picture)``: a Pillow image in, a Pillow image out, the C
filter (``src/bpfvm/examples/image/c/``) running in a bpfvm sandbox in between.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bpfvm.examples import image

#: Parameters for the pictures, where the defaults are not the most telling.
PARAMS: dict[str, dict[str, object]] = {"blur": {"radius": 3, "sigma": 2.0}, "sobel": {"scale": 1.0},
                                        "unsharp": {"amount": 2.0}}


def landscape(width: int = 400, height: int = 250) -> Image.Image:
    """A procedural scene with smooth gradients, hard edges and text."""
    y, x = np.mgrid[0:height, 0:width]
    sky = np.stack([90 + 100 * y / height, 150 + 80 * y / height, 255 - 30 * y / height], axis=2)
    picture = Image.fromarray(sky.astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((280, 30, 340, 90), fill=(255, 214, 90))
    draw.polygon([(0, 180), (70, 95), (150, 170), (230, 80), (330, 175), (400, 120), (400, 250), (0, 250)],
                 fill=(70, 105, 80))
    draw.polygon([(210, 100), (230, 80), (252, 102), (240, 96), (230, 104), (220, 96)], fill=(240, 245, 250))
    draw.rectangle((0, 200, 400, 250), fill=(40, 90, 150))
    draw.rectangle((60, 150, 120, 200), fill=(180, 50, 40))
    draw.polygon([(52, 152), (90, 118), (128, 152)], fill=(110, 40, 30))
    draw.rectangle((72, 165, 88, 181), fill=(250, 230, 140))
    draw.rectangle((96, 175, 110, 200), fill=(60, 35, 20))
    draw.text((150, 210), "bpfvm", fill=(255, 255, 255), font=ImageFont.load_default(size=30))
    return picture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", nargs="?", type=Path, help="picture to filter (default: a drawn landscape)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"), help="output directory")
    parser.add_argument("--engine", default="jit", help="bpfvm engine (default: jit)")
    args = parser.parse_args()
    picture = Image.open(args.image).convert("RGB") if args.image else landscape()
    args.out.mkdir(parents=True, exist_ok=True)
    picture.save(args.out / "original.png", optimize=True)
    for name in image.FILTERS:
        start = time.perf_counter()
        result = image.apply(name, picture, engine=args.engine, **PARAMS.get(name, {}))
        result.save(args.out / f"{name}.png", optimize=True)
        print(f"{name:10} {time.perf_counter() - start:6.3f} s  -> {args.out / (name + '.png')}")
    edges = Image.open(args.out / "sobel.png")
    pair = Image.new("RGB", (picture.width * 2 + 8, picture.height), (255, 255, 255))
    pair.paste(picture, (0, 0))
    pair.paste(edges, (picture.width + 8, 0))
    pair.save(args.out / "before_after.png", optimize=True)


if __name__ == "__main__":
    main()
