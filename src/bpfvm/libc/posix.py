"""``<sys/stat.h>``'s ``mkdir``, ``stat`` and ``fstat``, ``<fcntl.h>``'s ``open`` and
``<stdlib.h>``'s ``system``: what a sandbox allows of the file system and processes.

``mkdir`` creates directories only inside ``vm.fs`` (see :mod:`bpfvm.libc.sandbox`); outside it
fails with ``ENOENT`` or ``EACCES``; so does ``stat``.  ``struct stat`` has glibc's x86-64
layout (144 bytes); ``fstat`` knows only descriptors 0–2 (character devices, everything else
zero); descriptors from ``open`` are :mod:`.fd`'s.  ``system`` never runs a
host command: ``system(NULL)`` is 0 (no command processor), anything else -1 with ``ENOSYS``.
"""

from __future__ import annotations

import errno as E
import os
import stat as S
import struct

from .sandbox import beneath
from .state import Machine, arg_int, export, set_errno

__all__ = ["STAT_SIZE", "fstat", "mkdir", "stat", "stat_bytes", "system"]

#: ``sizeof(struct stat)``
STAT_SIZE = 144
#: dev ino nlink mode uid gid pad rdev size blksize blocks, then atim mtim ctim, reserved[3]
_STAT = struct.Struct("<QQQIIIiQqqq6q3q")


@export()
def mkdir(vm: Machine, path: int, mode: int) -> int:
    """Create a directory inside the sandbox with permissions ``mode``; 0, or -1 with errno set."""
    try:
        with beneath(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc))) as (fd, name):
            os.mkdir(name, mode & 0o777, dir_fd=fd)
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return -1
    return 0


@export()
def system(vm: Machine, command: int) -> int:
    """No command processor: 0 for ``system(NULL)``, else -1 with errno ``ENOSYS``."""
    if command == 0:
        return 0
    set_errno(vm, E.ENOSYS)
    return -1


def stat_bytes(st: os.stat_result) -> bytes:
    """``st`` as a guest ``struct stat``."""
    times = [part for ns in (st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns) for part in divmod(ns, 10**9)]
    return _STAT.pack(st.st_dev, st.st_ino, st.st_nlink, st.st_mode, st.st_uid, st.st_gid, 0, st.st_rdev,
                      st.st_size, st.st_blksize, st.st_blocks, *times, 0, 0, 0)


@export()
def stat(vm: Machine, path: int, buf: int) -> int:
    """Fill ``*buf`` with the status of a file inside the sandbox; 0, or -1 with errno set."""
    try:
        with beneath(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc))) as (fd, name):
            data = stat_bytes(os.stat(name, dir_fd=fd, follow_symlinks=False))
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return -1
    vm.memory.write(buf, data, pc=vm.pc)
    return 0


@export()
def fstat(vm: Machine, fd: int, buf: int) -> int:
    """Descriptors 0–2 are character devices (all other fields 0), those from ``open`` their
    files; others fail with EBADF."""
    from .fd import host_fd

    host = host_fd(vm, arg_int(fd))
    if host is not None:
        try:
            data = stat_bytes(os.fstat(host))
        except OSError as exc:
            set_errno(vm, exc.errno or E.EIO)
            return -1
        vm.memory.write(buf, data, pc=vm.pc)
        return 0
    if arg_int(fd) not in (0, 1, 2):
        set_errno(vm, E.EBADF)
        return -1
    vm.memory.write(buf, _STAT.pack(0, 0, 1, S.S_IFCHR | 0o620, *[0] * 16), pc=vm.pc)
    return 0
