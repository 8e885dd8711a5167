"""``bpfvm image``: run one of the image filters over image files (see :mod:`bpfvm.examples.image`).

    bpfvm image FILTER IN OUT [--engine E] [--param NAME=VALUE ...]
    bpfvm image FILTER IN1 IN2 ... OUTDIR        # or a directory IN: a batch, with a progress bar

IN and OUT are Farbfeld (``.ff``) or anything Pillow reads and writes (by suffix).  In a batch
each output keeps its input's name (``--format`` changes the suffix).  Importing this module
only registers the command; NumPy, Pillow and the filters load when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import BpfError
from .base import command

__all__ = ["image_jobs", "parse_params"]

_FILTERS = ("greyscale", "contrast", "yuv", "blur", "sharpen", "sobel", "unsharp")
_SUFFIXES = {".ff", ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
             ".pnm", ".tga", ".qoi"}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("filter", choices=_FILTERS, help="the filter to apply")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="input image(s) or a directory")
    parser.add_argument("output", type=Path, metavar="OUT",
                        help="output image (one input) or directory (several inputs, a directory)")
    parser.add_argument("--engine", default="jit", help="execution engine (default: jit)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="filter parameter, e.g. alpha=1.2, kind=box, kernel='0,-1,0;-1,5,-1;0,-1,0'")
    parser.add_argument("--format", metavar="EXT", help="suffix of batch outputs (default: the input's)")


def parse_params(specs: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` → ``{"a": "1", "b": "x"}``; raises :class:`BpfError` for a spec without ``=``."""
    params: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise BpfError(f"--param {spec!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def image_jobs(inputs: list[Path], out: Path, fmt: str | None = None) -> list[tuple[Path, Path]]:
    """(input, output) pairs for ``IN ... OUT``; raises :class:`BpfError` for a bad combination."""
    batch = len(inputs) > 1 or inputs[0].is_dir()
    if not batch:
        return [(inputs[0], out)]
    if out.exists() and not out.is_dir():
        raise BpfError(f"{out}: with several inputs or a directory, the output must be a directory")
    sources: list[Path] = []
    for path in inputs:
        if path.is_dir():
            sources += sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES and p.is_file())
        else:
            sources.append(path)
    if not sources:
        raise BpfError(f"no images in {', '.join(map(str, inputs))}")
    suffix = None if fmt is None else "." + fmt.lstrip(".")
    return [(src, out / (src.name if suffix is None else src.stem + suffix)) for src in sources]


@command("image", "apply an image filter (C compiled to BPF) to PNG/JPEG/Farbfeld images", _arguments)
def _cmd_image(args: argparse.Namespace) -> int:
    from ..examples.image import apply_file, settings

    params: dict[str, Any] = parse_params(args.param)
    settings(args.filter, **params)  # bad parameters fail before any file is touched
    jobs = image_jobs(args.inputs, args.output, args.format)
    if len(args.inputs) == 1 and not args.inputs[0].is_dir():
        apply_file(args.filter, *jobs[0], engine=args.engine, **params)
        return 0
    from rich.progress import track

    args.output.mkdir(parents=True, exist_ok=True)
    for source, target in track(jobs, description=f"{args.filter} ({args.engine})", transient=False):
        apply_file(args.filter, source, target, engine=args.engine, **params)
    return 0
