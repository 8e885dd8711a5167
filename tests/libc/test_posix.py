"""mkdir inside the sandbox only; open and system, which a sandbox does not offer."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cc import compile as compile_program
from bpfvm.libc import posix as P
from bpfvm.libc.state import get_errno

from .conftest import Guest


@pytest.fixture
def sandbox(vm: bpfvm.VM, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", root / "escape")
    vm.fs["/data"] = str(root)
    return root


def test_mkdir_inside_the_sandbox(vm: bpfvm.VM, guest: Guest, sandbox: Path) -> None:
    assert P.mkdir(vm, guest.str("/data/saves"), 0o755) == 0
    assert (sandbox / "saves").is_dir()
    assert P.mkdir(vm, guest.str("/data/saves/../saves/sub"), 0o700) == 0
    assert (sandbox / "saves" / "sub").is_dir()


@pytest.mark.parametrize(("path", "code"), [
    ("/data/saves", errno.EEXIST),        # made twice
    ("/etc/bpfvm-test", errno.ENOENT),    # outside every prefix
    ("/data/../tmp/x", errno.ENOENT),     # .. above the prefix
    ("/data/escape/x", errno.EACCES),     # through a symlink leading out
    ("/data/missing/x", errno.ENOENT),    # parent does not exist
    ("", errno.ENOENT),
])
def test_mkdir_failures(vm: bpfvm.VM, guest: Guest, sandbox: Path, path: str, code: int) -> None:
    (sandbox / "saves").mkdir()
    assert P.mkdir(vm, guest.str(path), 0o755) == -1
    assert get_errno(vm) == code
    assert not (sandbox.parent / "outside" / "x").exists()


def test_system_never_runs_a_command(vm: bpfvm.VM, guest: Guest, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    assert P.system(vm, 0) == 0
    assert P.system(vm, guest.str(f"touch {marker}")) == -1
    assert get_errno(vm) == errno.ENOSYS and not marker.exists()


def test_open_of_a_missing_file_fails_with_enoent(vm: bpfvm.VM, guest: Guest) -> None:
    from bpfvm.libc import fd

    assert fd.open_(vm, guest.str("/data/x"), 0, 0) == -1 and get_errno(vm) == errno.ENOENT


def test_c_program_uses_the_headers(tmp_path: Path) -> None:
    program = compile_program(r"""
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/stat.h>
        #include <sys/types.h>
        int main(void) {
            mode_t mode = S_IRWXU | S_IRGRP;
            printf("%d ", mkdir("/data/dir", mode));
            printf("%d %d ", mkdir("/data/dir", mode), errno == EEXIST);
            printf("%d %d ", mkdir("/nowhere", mode), errno == ENOENT);
            printf("%d %d ", open("/data/f", O_RDONLY | O_CREAT, 0644), open("/nowhere/f", O_RDONLY));
            printf("%d %d %d ", system(NULL), system("echo hi"), errno == ENOSYS);
            struct stat st;
            printf("%d %d %d\n", stat("/data/dir", &st), S_ISDIR(st.st_mode), (int)sizeof st);
            return 0;
        }
    """, name="posix")
    out = io.BytesIO()
    vm = bpfvm.VM(stdin=io.BytesIO(), stdout=out, stderr=io.BytesIO(), fs={"/data": str(tmp_path)})
    assert vm.run_main(program, ["posix"]) == 0
    assert out.getvalue() == b"0 -1 1 -1 1 3 -1 0 -1 1 0 1 144\n"
    assert (tmp_path / "dir").is_dir()


def test_stat_inside_the_sandbox(vm: bpfvm.VM, guest: Guest, sandbox: Path) -> None:
    (sandbox / "file.wad").write_bytes(b"IWAD" * 10)
    buf = guest.buffer(P.STAT_SIZE)
    assert P.stat(vm, guest.str("/data/file.wad"), buf) == 0
    assert vm.memory.load(buf + 48, 8) == 40  # st_size
    assert vm.memory.load(buf + 24, 4) & 0o170000 == 0o100000  # S_IFREG
    assert P.stat(vm, guest.str("/data/escape"), buf) == -1 and get_errno(vm) == errno.EACCES
    assert P.stat(vm, guest.str("/etc/passwd"), buf) == -1 and get_errno(vm) == errno.ENOENT


def test_fstat_knows_the_standard_descriptors(vm: bpfvm.VM, guest: Guest) -> None:
    buf = guest.buffer(P.STAT_SIZE)
    assert P.fstat(vm, 1, buf) == 0 and vm.memory.load(buf + 24, 4) & 0o170000 == 0o020000
    assert P.fstat(vm, 7, buf) == -1 and get_errno(vm) == errno.EBADF
