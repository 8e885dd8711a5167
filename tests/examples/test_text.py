"""examples/text/uppercase.c: the BPF build and the native gcc build print the same bytes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "text" / "uppercase.c"
INPUTS = [b"", b"hello World, bye\n", b"already UPPER then lower\n", b"no capitals at all\n\n",
          bytes(range(256)), b"x" * 10_000 + b"Y" + b"z" * 100]


@pytest.fixture(scope="module")
def bpf_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bpfvm.cc import compile_c

    return compile_c(SOURCE, output=tmp_path_factory.mktemp("text") / "uppercase.o")


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: no native reference")
    exe = tmp_path_factory.mktemp("native") / "uppercase"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(SOURCE)], check=True)
    return exe


@pytest.mark.parametrize("data", INPUTS, ids=range(len(INPUTS)))
def test_bpfvm_run_matches_native(bpf_object: Path, native: Path, data: bytes) -> None:
    expected = subprocess.run([str(native)], input=data, capture_output=True, check=True)
    got = subprocess.run([sys.executable, "-m", "bpfvm", "run", str(bpf_object)], input=data,
                         capture_output=True)
    assert got.stderr == b""
    assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout)


def test_python_driver() -> None:
    sys.path.insert(0, str(SOURCE.parent))
    try:
        from filter import uppercase  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    assert uppercase("hello World, bye") == "HELLO World, bye"
