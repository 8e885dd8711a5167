"""C programs run under bpfvm print exactly what their native gcc -O2 build prints.

Each ``programs/NAME.c`` is compiled twice — natively with gcc and the system libc, and to BPF
with ``bpfvm cc`` (bpfvm's headers and libc) — then both run with ``programs/NAME.stdin`` (if
present) on standard input, under every engine; stdout bytes and the exit status must be identical.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bpfvm.vm import ENGINES

from ..native import bpfvm_run, native_build, stdin_of

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.c"))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("c-programs")


def _bpf(source: Path, out: Path) -> Path:
    from bpfvm.cc import compile_c

    obj = out / f"{source.stem}.o"
    return obj if obj.exists() else compile_c(source, output=obj)


def test_programs_found() -> None:
    assert len(PROGRAMS) >= 8


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("source", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_same_output_as_native(source: Path, build: Path, engine: str) -> None:
    data = stdin_of(source)
    native = subprocess.run([str(native_build(source, build))], input=data, capture_output=True, timeout=60)
    ours = bpfvm_run(_bpf(source, build), stdin=data, engine=engine)
    assert ours.stderr.decode() == ""
    assert ours.stdout.decode() == native.stdout.decode()
    assert ours.returncode == native.returncode


@pytest.mark.parametrize("engine", ENGINES)
def test_unbounded_loop_stopped_by_budget(build: Path, engine: str) -> None:
    source = build / "spin.c"
    source.write_text("int main(void) { volatile int x = 0; for (;;) x++; }\n")
    from bpfvm.cc import compile_c

    obj = compile_c(source, output=build / f"spin-{engine}.o")
    ours = bpfvm_run(obj, engine=engine, options=["--max-instructions", "100000"])
    assert ours.returncode == 70
    assert ours.stderr.decode().startswith("bpfvm: trap budget at pc ")
    assert "spin.c:1" in ours.stderr.decode()  # debug info names the source line
