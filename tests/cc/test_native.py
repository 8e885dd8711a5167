"""Floating-point C programs run under bpfvm print exactly what their native gcc -O2 build prints.

Each ``programs/NAME.c`` is compiled natively (gcc, glibc, libm) and with ``bpfvm cc`` (whose IR
pipeline lowers float and double arithmetic to bpfvm's IEEE-754 intrinsics); stdout bytes and
the exit status must be identical, under every engine.  The programs print doubles with
``%.17g`` or ``%a`` (every bit), except results of transcendental functions, printed with fewer
digits.  A program that needs frames over the default 16 KiB says ``bpfvm-stack-size: N``; it is
compiled with that limit and run with the frame size its object records; ``bpfvm-flags: …``
adds clang flags.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bpfvm.vm import ENGINES

from ..native import bpfvm_run, native_build

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.c"))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cc-programs")


def test_programs_found() -> None:
    assert len(PROGRAMS) >= 8


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("source", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_same_output_as_native(source: Path, build: Path, engine: str) -> None:
    from bpfvm.cc import STACK_SIZE, compile_c, stack_size_of

    native = subprocess.run([str(native_build(source, build))], capture_output=True, timeout=60)
    wanted = re.search(r"bpfvm-stack-size: (\d+)", source.read_text())
    extra = re.search(r"bpfvm-flags: (.*?) \*/", source.read_text())
    obj = compile_c(source, output=build / f"{source.stem}-{engine}.o",
                    flags=["-w", *(extra.group(1).split() if extra else [])],
                    stack_size=int(wanted.group(1)) if wanted else None)
    frame = stack_size_of(obj)
    assert frame == (int(wanted.group(1)) if wanted else STACK_SIZE)
    ours = bpfvm_run(obj, engine=engine)
    assert ours.stderr.decode() == ""
    assert ours.stdout.decode() == native.stdout.decode()
    assert ours.returncode == native.returncode
