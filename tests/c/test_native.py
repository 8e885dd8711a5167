"""C programs run under bpfvm print exactly what their native gcc -O2 build prints.

Each ``programs/NAME.c`` is compiled twice — natively with gcc and the system libc, and to BPF
with ``bpfvm cc`` (bpfvm's headers and libc) — then both run with ``programs/NAME.stdin`` (if
present) on standard input; stdout bytes and the exit status must be identical.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.c"))


def _stdin(source: Path) -> bytes:
    path = source.with_suffix(".stdin")
    return path.read_bytes() if path.exists() else b""


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("c-programs")


def _native(source: Path, out: Path) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    exe = out / source.stem
    subprocess.run(["gcc", "-O2", "-w", "-o", str(exe), str(source)], check=True)
    return exe


def _bpf(source: Path, out: Path) -> Path:
    from bpfvm.toolchain import compile_c

    return compile_c(source, output=out / f"{source.stem}.o")


def test_programs_found() -> None:
    assert len(PROGRAMS) >= 8


@pytest.mark.parametrize("source", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_same_output_as_native(source: Path, build: Path) -> None:
    data = _stdin(source)
    native = subprocess.run([str(_native(source, build))], input=data, capture_output=True, timeout=60)
    obj = _bpf(source, build)
    ours = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(obj)], input=data,
                          capture_output=True, timeout=300)
    assert ours.stderr.decode() == ""
    assert ours.stdout.decode() == native.stdout.decode()
    assert ours.returncode == native.returncode


def test_unbounded_loop_stopped_by_budget(build: Path) -> None:
    source = build / "spin.c"
    source.write_text("int main(void) { volatile int x = 0; for (;;) x++; }\n")
    from bpfvm.toolchain import compile_c

    obj = compile_c(source, output=build / "spin.o")
    ours = subprocess.run([sys.executable, "-m", "bpfvm", "run", "--max-instructions", "100000", str(obj)],
                          capture_output=True, timeout=60)
    assert ours.returncode == 70
    assert ours.stderr.decode().startswith("bpfvm: trap budget at pc ")
    assert "spin.c:1" in ours.stderr.decode()  # debug info names the source line
