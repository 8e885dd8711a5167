"""<stdio.h> and <unistd.h>: standard streams, the printf family, files inside the sandbox."""

from __future__ import annotations

import errno
import io
import os
import struct
from pathlib import Path

import pytest

import bpfvm
from bpfvm.libc import state
from bpfvm.libc import stdio as F
from bpfvm.libc import unistd as U
from bpfvm.libc.sandbox import resolve

from .conftest import Guest

STDIN, STDOUT, STDERR = F.STDIN, F.STDOUT, F.STDERR


def out(vm: bpfvm.VM) -> bytes:
    assert isinstance(vm.stdout, io.BytesIO)
    return vm.stdout.getvalue()


def packed(guest: Guest, *values: int) -> tuple[int, int]:
    return guest.bytes(struct.pack(f"<{len(values)}Q", *values)), len(values)


def test_vprintf_family_reads_a_va_list(vm: bpfvm.VM, guest: Guest) -> None:
    ap, _ = packed(guest, guest.str("va"), 2**64 - 5, 0x4004000000000000)  # "va", -5, 2.5
    fmt = guest.str("%s %d %.2f")
    assert F.vprintf(vm, fmt, ap) == 10 and out(vm) == b"va -5 2.50"
    buf = guest.buffer(16)
    assert F.vsnprintf(vm, buf, 4, fmt, ap) == 10 and guest.read_str(buf) == b"va "
    assert F.vsprintf(vm, buf, fmt, ap) == 10 and guest.read_str(buf) == b"va -5 2.50"
    assert F.vfprintf(vm, STDERR, fmt, ap) == 10
    assert vm.stderr.getvalue() == b"va -5 2.50"  # type: ignore[attr-defined]
    assert F.vdprintf(vm, 1, guest.str("%2$d"), ap) == 2 and out(vm).endswith(b"-5")  # positional
    assert F.vdprintf(vm, 7, fmt, ap) == -1


def test_printf_family(vm: bpfvm.VM, guest: Guest) -> None:
    fmt = guest.str("%s=%d %05.1x|%c%%\n")
    argv, n = packed(guest, guest.str("x"), 2**32 - 1, 10, ord("!"))
    assert F.bpfvm_printf(vm, fmt, argv, n) == 14
    assert out(vm) == b"x=-1     a|!%\n"  # 0 flag ignored with a precision
    buf = guest.buffer(16)
    assert F.bpfvm_snprintf(vm, buf, 5, fmt, argv, n) == 14 and guest.read_str(buf) == b"x=-1"
    assert F.bpfvm_snprintf(vm, buf, 0, fmt, argv, n) == 14 and guest.read_str(buf) == b"x=-1"
    assert F.bpfvm_sprintf(vm, buf, fmt, argv, n) == 14 and guest.read_str(buf) == b"x=-1     a|!%\n"
    assert F.bpfvm_fprintf(vm, STDERR, guest.str("e%d"), *packed(guest, 7)) == 2
    assert vm.stderr.getvalue() == b"e7"  # type: ignore[attr-defined]
    assert F.printf(vm, guest.str("%d %d %d %d\n"), 1, 2, 3, 4) == 8  # register-variadic form
    assert F.bpfvm_printf(vm, guest.str("bad %"), 0, 0) == -1 and state(vm).errno == errno.EINVAL
    many, count = packed(guest, *range(20))
    # every packed argument counts (bpfvm.varargs packs calls of any length)
    assert F.bpfvm_printf(vm, guest.str("%d " * 18), many, count) == 2 * 10 + 3 * 8
    assert F.bpfvm_dprintf(vm, 2, guest.str("%s"), *packed(guest, guest.str("fd"))) == 2
    assert F.bpfvm_dprintf(vm, 5, guest.str("x"), 0, 0) == -1


def test_characters_and_lines(vm: bpfvm.VM, guest: Guest) -> None:
    vm.stdin = io.BytesIO(b"ab\nsecond line\nlast")
    assert F.getchar(vm) == ord("a")
    assert F.ungetc(vm, ord("Z"), STDIN) == ord("Z") and F.fgetc(vm, STDIN) == ord("Z")
    buf = guest.buffer(64)
    assert F.fgets(vm, buf, 64, STDIN) == buf and guest.read_str(buf) == b"b\n"
    assert F.fgets(vm, buf, 4, STDIN) == buf and guest.read_str(buf) == b"sec"
    lineptr, size = guest.buffer(8), guest.buffer(8)
    assert F.getline(vm, lineptr, size, STDIN) == 9
    assert guest.read_str(vm.memory.load(lineptr, 8)) == b"ond line\n"
    assert F.fgets(vm, buf, 64, STDIN) == buf and guest.read_str(buf) == b"last"
    assert F.feof(vm, STDIN) and F.fgets(vm, buf, 64, STDIN) == 0 and F.getchar(vm) == F.EOF
    F.clearerr(vm, STDIN)
    assert not F.feof(vm, STDIN)
    assert F.putchar(vm, 0x141) == 0x41 and F.puts(vm, guest.str("hi")) == 3
    assert F.fputs(vm, guest.str("x"), STDOUT) == 1 and F.fputc(vm, ord("y"), STDOUT) == ord("y")
    assert out(vm) == b"Ahi\nxy"
    assert F.fputc(vm, ord("y"), STDIN) == F.EOF and F.ferror(vm, STDIN)


def test_unistd_read_write(vm: bpfvm.VM, guest: Guest) -> None:
    vm.stdin = io.BytesIO(b"abcdef")
    buf = guest.buffer(8)
    assert U.read(vm, 0, buf, 4) == 4 and U.read(vm, 0, buf + 4, 8) == 2 and U.read(vm, 0, buf, 8) == 0
    assert U.write(vm, 1, buf, 6) == 6 and out(vm) == b"abcdef"
    assert U.write(vm, 7, buf, 1) == -1 and state(vm).errno == errno.EBADF
    assert U.isatty(vm, 1) == 0


def test_closed_and_bogus_streams_fail_cleanly(vm: bpfvm.VM, guest: Guest) -> None:
    assert F.fclose(vm, STDOUT) == 0
    assert F.puts(vm, guest.str("lost")) == F.EOF and state(vm).errno == errno.EBADF
    assert F.fputc(vm, 1, 999) == F.EOF and F.fclose(vm, 999) == F.EOF and F.ftell(vm, 999) == -1


@pytest.fixture
def sandbox(tmp_path: Path, vm: bpfvm.VM) -> Path:
    root = tmp_path / "assets"
    root.mkdir()
    (root / "hello.txt").write_bytes(b"hello, file\n")
    (root / "sub").mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret")
    os.symlink(tmp_path / "secret.txt", root / "escape")
    os.symlink(root / "hello.txt", root / "inside")
    vm.fs["/data"] = str(root)
    return root


def test_files_read_write_seek(vm: bpfvm.VM, guest: Guest, sandbox: Path) -> None:
    f = F.fopen(vm, guest.str("/data/hello.txt"), guest.str("r"))
    assert f >= 4
    buf = guest.buffer(64)
    assert F.fread(vm, buf, 1, 5, f) == 5 and guest.read_str(buf) == b"hello"
    assert F.ftell(vm, f) == 5 and F.fseek(vm, f, 2**64 - 4, 2) == 0 and F.ftell(vm, f) == 8
    assert F.fgets(vm, buf, 64, f) == buf and guest.read_str(buf) == b"ile\n"
    assert F.fread(vm, buf, 4, 2, f) == 0 and F.feof(vm, f)
    F.rewind(vm, f)
    assert F.fgetc(vm, f) == ord("h") and not F.feof(vm, f)
    assert F.fputc(vm, ord("x"), f) == F.EOF  # opened for reading only
    assert F.fclose(vm, f) == 0 and F.fgetc(vm, f) == F.EOF  # handles are not reused

    w = F.fopen(vm, guest.str("data/sub/new.bin"), guest.str("wb+"))
    data = guest.bytes(bytes(range(10)))
    assert F.fwrite(vm, data, 2, 5, w) == 5 and F.fflush(vm, w) == 0
    assert (sandbox / "sub" / "new.bin").read_bytes() == bytes(range(10))
    F.fseek(vm, w, 0, 0)
    assert F.fread(vm, buf, 1, 3, w) == 3 and vm.memory.read(buf, 3) == b"\0\1\2"
    assert F.fclose(vm, w) == 0
    a = F.fopen(vm, guest.str("/data/sub/new.bin"), guest.str("a"))
    F.fputs(vm, guest.str("!"), a)
    F.fclose(vm, a)
    assert (sandbox / "sub" / "new.bin").read_bytes().endswith(b"!")
    assert F.fopen(vm, guest.str("/data/sub/new.bin"), guest.str("wx")) == 0
    assert state(vm).errno == errno.EEXIST
    assert F.fopen(vm, guest.str("/data/hello.txt"), guest.str("q")) == 0
    assert state(vm).errno == errno.EINVAL


def test_remove_rename(vm: bpfvm.VM, guest: Guest, sandbox: Path) -> None:
    assert F.rename(vm, guest.str("/data/hello.txt"), guest.str("/data/sub/moved")) == 0
    assert (sandbox / "sub" / "moved").exists() and not (sandbox / "hello.txt").exists()
    assert F.remove(vm, guest.str("/data/sub/moved")) == 0 and F.remove(vm, guest.str("/data/sub")) == 0
    assert F.remove(vm, guest.str("/data/nothing")) == -1 and state(vm).errno == errno.ENOENT
    assert F.rename(vm, guest.str("/data/inside"), guest.str("/data/../x")) == -1


@pytest.mark.parametrize("path, code", [
    ("/data/../secret.txt", errno.ENOENT),        # .. walks out of the mount: nothing there
    ("/data/../../etc/passwd", errno.ENOENT),
    ("/etc/passwd", errno.ENOENT),                # not granted
    ("/data/escape", errno.EACCES),               # symlink leading outside
    ("/data/sub/../escape", errno.EACCES),
    ("", errno.ENOENT),
    ("/data/missing.txt", errno.ENOENT),
    ("/data/sub", errno.EISDIR),
])
def test_sandbox_escapes_fail(vm: bpfvm.VM, guest: Guest, sandbox: Path, path: str, code: int) -> None:
    assert F.fopen(vm, guest.str(path), guest.str("r")) == 0
    assert state(vm).errno == code


def test_resolve(sandbox: Path) -> None:
    fs = {"/data": str(sandbox), "/data/more": str(sandbox / "sub"), "./rel": str(sandbox)}
    assert resolve(fs, "/data/inside") == str(sandbox / "hello.txt")  # symlinks inside are fine
    assert resolve(fs, "/data/more/x") == str(sandbox / "sub" / "x")  # longest prefix wins
    assert resolve(fs, "rel/hello.txt") == str(sandbox / "hello.txt")  # cwd is /
    assert resolve(fs, "/data//./sub/../hello.txt") == str(sandbox / "hello.txt")
    with pytest.raises(OSError):
        resolve(fs, "/database/x")  # a prefix matches whole path components only
