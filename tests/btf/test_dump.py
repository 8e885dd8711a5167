"""``bpfvm btf dump``: byte for byte what ``bpftool btf dump file`` prints, on fixtures and vmlinux."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfvm.btf import Btf
from bpfvm.btf.cdump import dump_c
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


def test_c_dump_of_every_fixture(objects: dict[str, Path], bpftool: Callable[..., str]) -> None:
    for name, obj in objects.items():
        assert dump_c(Btf.from_elf(obj)) == bpftool("btf", "dump", "file", str(obj), "format", "c"), name


def test_cli_c_dump(objects: dict[str, Path], bpftool: Callable[..., str]) -> None:
    obj = str(objects["kinds"])
    assert _ours(obj, "--format", "c") == bpftool("btf", "dump", "file", obj, "format", "c")


def test_c_dump_of_vmlinux(vmlinux: Path, bpftool: Callable[..., str]) -> None:
    assert dump_c(Btf.from_file(vmlinux)) == bpftool("btf", "dump", "file", str(vmlinux), "format", "c")


def test_c_dump_compiles(objects: dict[str, Path], tmp_path: Path) -> None:
    """The C dump is a header clang accepts, and the struct layouts it declares are the BTF's."""
    from bpfvm.cc import compile_c

    btf = Btf.from_elf(objects["kinds"])
    header = tmp_path / "kinds.h"
    header.write_text(dump_c(btf))
    source = tmp_path / "check.c"
    source.write_text('#include "kinds.h"\n'
                      "_Static_assert(sizeof(struct config) == 88, \"config\");\n"
                      "_Static_assert(sizeof(struct packed_one) == 7, \"packed\");\n"
                      "_Static_assert(sizeof(struct flags) == 8, \"flags\");\n"
                      "_Static_assert(__builtin_offsetof(struct config, range) == 12, \"range\");\n"
                      "int use(struct config *c) { return c->threshold; }\n")
    compile_c(source, output=tmp_path / "check.o", kernel=True, flags=[f"-I{tmp_path}"])
