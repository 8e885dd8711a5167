"""Fixtures of the debugger tests: the C programs of this directory compiled with -g (-O2 and -O0)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile_c

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def objects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``objects(name, opt)``: tests/debug/NAME.c compiled with ``-g`` and ``opt`` (cached)."""
    out = tmp_path_factory.mktemp("debug")
    cache: dict[tuple[str, str], Path] = {}

    def build(name: str, opt: str = "-O2") -> Path:
        key = (name, opt)
        if key not in cache:
            cache[key] = compile_c(HERE / f"{name}.c", output=out / f"{name}{opt}.o", flags=[opt])
        return cache[key]

    return build


def line_of(name: str, marker: str) -> int:
    """The 1-based line of tests/debug/NAME.c that contains ``marker`` (exactly one must)."""
    lines = [i for i, text in enumerate((HERE / f"{name}.c").read_text().splitlines(), 1) if marker in text]
    assert len(lines) == 1, (marker, lines)
    return lines[0]


@pytest.fixture
def debugger(objects: Callable[[str, str], Path]) -> Iterator[Callable[..., bpfvm.Debugger]]:
    """``debugger(name, opt="-O2", argv=None)``: a Debugger on a fresh VM whose stdout is a BytesIO."""
    made: list[bpfvm.Debugger] = []

    def make(name: str, opt: str = "-O2", argv: list[str] | None = None, **kwargs: object) -> bpfvm.Debugger:
        program = bpfvm.load(objects(name, opt))
        vm = bpfvm.VM(stdout=io.BytesIO())
        dbg = bpfvm.Debugger(vm, program, argv=argv, **kwargs)  # type: ignore[arg-type]
        made.append(dbg)
        return dbg

    yield make
    for dbg in made:
        dbg.close()
