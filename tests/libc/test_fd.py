"""Descriptor I/O inside the file grants prints what glibc prints (gcc build, same calls)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile as compile_program
from bpfvm.vm import ENGINES
from tests.native import native_build

PROGRAMS = Path(__file__).with_name("fs_programs")


@pytest.mark.parametrize("engine", ENGINES)
def test_descriptors_match_glibc(engine: str, tmp_path: Path) -> None:
    source = PROGRAMS / "fd.c"
    work = tmp_path / "files"
    work.mkdir()
    target = str(work / "data.bin")
    native = subprocess.run([str(native_build(source, tmp_path)), target], capture_output=True, check=True)
    out = io.BytesIO()
    vm = bpfvm.VM(engine, stdout=out, fs={str(work): str(work)})
    assert vm.run_main(compile_program(source), ["fd", target]) == 0
    assert out.getvalue() == native.stdout


def test_open_outside_the_grants_fails(tmp_path: Path) -> None:
    program = compile_program('#include <fcntl.h>\n#include <errno.h>\n'
                              'int main(void) { return open("/etc/passwd", O_RDONLY) < 0 ? errno : 0; }\n')
    assert bpfvm.VM(fs={str(tmp_path): str(tmp_path)}).run_main(program, ["x"]) in (1, 2, 13)
