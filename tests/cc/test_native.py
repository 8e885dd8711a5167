"""Floating-point C programs run under bpfvm print exactly what their native gcc -O2 build prints.

Each ``programs/NAME.c`` is compiled natively (gcc, glibc, libm) and with ``bpfvm cc`` (whose IR
pipeline lowers float and double arithmetic to bpfvm's IEEE-754 intrinsics); stdout bytes and
the exit status must be identical.  The programs print doubles with ``%.17g`` or ``%a`` (every
bit), except results of transcendental functions, printed with fewer digits.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.c"))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cc-programs")


def _native(source: Path, out: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    exe = out / source.stem
    subprocess.run(["gcc", "-O2", "-w", "-o", str(exe), str(source), "-lm"], check=True)
    return exe


def test_programs_found() -> None:
    assert len(PROGRAMS) >= 8


@pytest.mark.parametrize("source", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_same_output_as_native(source: Path, build: Path) -> None:
    from bpfvm.toolchain import compile_c

    native = subprocess.run([str(_native(source, build))], capture_output=True, timeout=60)
    obj = compile_c(source, output=build / f"{source.stem}.o", flags=["-w"])
    ours = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(obj)], capture_output=True, timeout=300)
    assert ours.stderr.decode() == ""
    assert ours.stdout.decode() == native.stdout.decode()
    assert ours.returncode == native.returncode
