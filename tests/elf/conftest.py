"""Shared fixtures of the ELF loader tests.

The C fixtures in ``fixtures/`` are compiled once per session with the bundled toolchain
(``python -m ziglang cc -target bpfel-freestanding -mcpu=v4 -O2 -g -fno-sanitize=all -fno-builtin``);
a fixture whose first comment contains ``cflags: …`` adds those flags.  The reference for line
tables is ``llvm-objdump-19 -d -l`` (Debian package llvm-19); tests that need it skip when it is
missing.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
OBJDUMP = "llvm-objdump-19"
CFLAGS = ["-target", "bpfel-freestanding", "-mcpu=v4", "-O2", "-g", "-fno-sanitize=all", "-fno-builtin"]


def compile_c(source: Path, output: Path, extra: Sequence[str] = ()) -> Path:
    """Compile a C fixture with the bundled clang, adding the flags its ``cflags:`` comment names
    and then ``extra``."""
    comment = re.search(r"cflags:(.*)", source.read_text())
    flags = [*(shlex.split(comment.group(1)) if comment else []), *extra]
    cmd = [sys.executable, "-m", "ziglang", "cc", *CFLAGS, *flags, "-c", str(source), "-o", str(output)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"compiling {source.name} failed:\n{result.stderr}")
    return output


@pytest.fixture(scope="session")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every C fixture compiled once: name (``relocs.c``) → object path."""
    out = tmp_path_factory.mktemp("elf-objects")
    return {src.name: compile_c(src, out / f"{src.stem}.o") for src in sorted(FIXTURES.glob("*.c"))}


@pytest.fixture(scope="session")
def objdump() -> Callable[..., str]:
    """Run llvm-objdump-19 with the given arguments and return its stdout (skip if not installed)."""
    if shutil.which(OBJDUMP) is None:
        pytest.skip(f"{OBJDUMP} not installed (Debian package llvm-19); it is the reference for line tables")

    def run(*args: str | Path) -> str:
        result = subprocess.run([OBJDUMP, *map(str, args)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run


@pytest.fixture(scope="session")
def bpf_cc() -> Callable[..., Path]:
    """The fixture compiler (:func:`compile_c`), for tests that build objects of their own."""
    return compile_c
