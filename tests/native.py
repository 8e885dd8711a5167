"""Running one C source natively (gcc -O2, glibc) and under bpfvm, for output comparisons."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = ["bpfvm_run", "native_build", "stdin_of"]


def stdin_of(source: Path) -> bytes:
    """The bytes a program gets on stdin: ``NAME.stdin`` beside ``NAME.c``, else nothing."""
    path = source.with_suffix(".stdin")
    return path.read_bytes() if path.exists() else b""


def native_build(source: Path | Sequence[Path], out: Path, *, name: str | None = None) -> Path:
    """Build ``source`` (one C file, or several linked together) with ``gcc -O2`` (and libm)
    into ``out``, as ``NAME.native`` (default: the first file's stem); skip the test without gcc."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    sources = [source] if isinstance(source, Path) else list(source)
    exe = out / f"{name or sources[0].stem}.native"
    subprocess.run(["gcc", "-O2", "-w", "-o", str(exe), *map(str, sources), "-lm"], check=True)
    return exe


def bpfvm_run(obj: Path, *, stdin: bytes = b"", engine: str = "interpreter",
              options: Sequence[str] = ()) -> subprocess.CompletedProcess[bytes]:
    """``python -m bpfvm run --engine ENGINE [options] OBJ`` with ``stdin``; output captured."""
    command = [sys.executable, "-m", "bpfvm", "run", "--engine", engine, *options, str(obj)]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=300)
