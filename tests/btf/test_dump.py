"""``bpfvm btf dump``: byte for byte what ``bpftool btf dump file`` prints, on fixtures and vmlinux."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.btf import Btf
from bpfvm.btf.dump import dump_raw


def _ours(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "bpfvm", "btf", "dump", *args], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_raw_dump_of_every_fixture(objects: dict[str, Path], bpftool: Callable[..., str]) -> None:
    for name, obj in objects.items():
        assert dump_raw(Btf.from_elf(obj)) == bpftool("btf", "dump", "file", str(obj)), name


def test_cli_raw_dump(objects: dict[str, Path], bpftool: Callable[..., str]) -> None:
    obj = str(objects["kinds"])
    assert _ours(obj) == bpftool("btf", "dump", "file", obj)


def test_raw_dump_of_vmlinux(vmlinux: Path, bpftool: Callable[..., str]) -> None:
    assert dump_raw(Btf.from_file(vmlinux)) == bpftool("btf", "dump", "file", str(vmlinux))


def test_cli_reports_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.btf"
    bad.write_bytes(b"\x9f\xeb\x01\x00" + bytes(4))
    result = subprocess.run([sys.executable, "-m", "bpfvm", "btf", "dump", str(bad)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and result.stderr.startswith("bpfvm: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["nope.o"])
def test_cli_missing_file(tmp_path: Path, missing: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bpfvm", "btf", "dump", str(tmp_path / missing)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "cannot read" in result.stderr
