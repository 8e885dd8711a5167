"""Shared fixtures of the ELF loader tests.

The C fixtures in ``fixtures/`` are compiled once per session with the bundled toolchain
(``python -m ziglang cc -target bpfel-freestanding -mcpu=v4 -O2 -g -fno-sanitize=all -fno-builtin``);
a fixture whose first comment contains ``cflags: …`` adds those flags.  The reference for line
tables is ``llvm-objdump-19 -d -l`` (Debian package llvm-19); tests that need it skip when it is
missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from ..conftest import compile_fixture

FIXTURES = Path(__file__).parent / "fixtures"
CFLAGS = ["-fno-builtin"]


def compile_c(source: Path, output: Path, extra: Sequence[str] = ()) -> Path:
    """Compile a C fixture with the shared fixture compiler plus ``-fno-builtin`` and ``extra``."""
    return compile_fixture(source, output, [*CFLAGS, *extra])


@pytest.fixture(scope="session")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every C fixture compiled once: name (``relocs.c``) → object path."""
    out = tmp_path_factory.mktemp("elf-objects")
    return {src.name: compile_c(src, out / f"{src.stem}.o") for src in sorted(FIXTURES.glob("*.c"))}


@pytest.fixture(scope="session")
def bpf_cc() -> Callable[..., Path]:
    """The fixture compiler (:func:`compile_c`), for tests that build objects of their own."""
    return compile_c
