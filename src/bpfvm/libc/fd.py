"""File descriptors (POSIX ``<fcntl.h>``, ``<unistd.h>``) for files inside the sandbox.

``open`` resolves the path inside ``vm.fs`` (:mod:`.sandbox`) and opens the host file with the
same ``O_*`` flags (Linux's values, which ``<fcntl.h>`` defines); the guest gets the lowest free
descriptor from 3 up, mapped per VM to the host descriptor.  ``read``, ``write``, ``pread``,
``pwrite``, ``lseek``, ``fsync``, ``fdatasync``, ``ftruncate``, ``fstat`` and ``close`` work on
it; ``unlink`` and ``access`` take sandboxed paths.  ``fcntl`` knows ``F_GETFD``/``F_SETFD``,
``F_GETFL``/``F_SETFL`` and the record locks ``F_GETLK``/``F_SETLK``/``F_SETLKW``: one guest is
one process, so its locks never conflict — ``F_SETLK`` succeeds and ``F_GETLK`` answers
``F_UNLCK`` (what SQLite's unix VFS needs).  Descriptors are not the numbers ``fileno`` gives
for ``FILE`` streams (those are separate handles).  Open descriptors are closed when the VM's C
library state goes.
"""

from __future__ import annotations

import errno as E
import os
import struct

from .sandbox import resolve
from .state import Machine, arg_int, arg_long, export, set_errno

__all__ = ["access", "close", "fcntl", "fd_read", "fd_write", "fdatasync", "fsync", "ftruncate", "host_fd",
           "lseek", "open_", "pread", "pwrite", "unlink"]

_O_CREAT, _O_TMPFILE = 0o100, 0o20200000
#: The flags a guest may pass on to the host (access mode, creation, status flags).
_ALLOWED = (0o3 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000 | 0o200000 | 0o400000 | 0o2000000
            | 0o4010000)
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW = range(8)
F_UNLCK = 2
#: ``struct flock``: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid.
_FLOCK = struct.Struct("<hh4xqqi4x")


def _table(vm: Machine) -> dict[int, int]:
    """Guest descriptor → host descriptor."""
    found: dict[int, int] | None = vm.libc_state.get("fds")
    if found is None:
        found = vm.libc_state["fds"] = {}
    return found


def host_fd(vm: Machine, fd: int) -> int | None:
    """The host descriptor behind guest descriptor ``fd``, or None."""
    return _table(vm).get(fd)


def _lookup(vm: Machine, fd: int) -> int | None:
    host = _table(vm).get(arg_int(fd))
    if host is None:
        set_errno(vm, E.EBADF)
    return host


def _fail(vm: Machine, exc: OSError) -> int:
    set_errno(vm, exc.errno or E.EIO)
    return -1


@export("open", "open64")
def open_(vm: Machine, path: int, flags: int, varargs: int) -> int:
    """Open a file inside the sandbox; its descriptor, or -1 with errno set.  With ``O_CREAT``
    the mode is the first variadic argument."""
    oflags = arg_int(flags)
    mode = vm.memory.load(varargs, 8) & 0o7777 if oflags & _O_CREAT and varargs else 0o666
    try:
        name = os.fsdecode(vm.memory.cstring(path, pc=vm.pc))
        host = os.open(resolve(vm.fs, name), oflags & _ALLOWED, mode)
    except OSError as exc:
        return _fail(vm, exc)
    table = _table(vm)
    fd = next(n for n in range(3, len(table) + 4) if n not in table)
    table[fd] = host
    return fd


@export()
def close(vm: Machine, fd: int) -> int:
    """Close a descriptor from ``open``; 0, or -1 (EBADF).  Closing 0–2 is allowed and does nothing."""
    if arg_int(fd) in (0, 1, 2):
        return 0
    host = _table(vm).pop(arg_int(fd), None)
    if host is None:
        set_errno(vm, E.EBADF)
        return -1
    try:
        os.close(host)
    except OSError as exc:
        return _fail(vm, exc)
    return 0


def fd_read(vm: Machine, fd: int, buf: int, count: int, offset: int | None = None) -> int:
    """``read``/``pread`` on a descriptor from ``open``."""
    host = _lookup(vm, fd)
    if host is None:
        return -1
    vm.memory.check(buf, count, write=True, pc=vm.pc) if count else None
    try:
        data = os.pread(host, count, offset) if offset is not None else os.read(host, count)
    except OSError as exc:
        return _fail(vm, exc)
    vm.memory.write(buf, data, pc=vm.pc)
    return len(data)


def fd_write(vm: Machine, fd: int, buf: int, count: int, offset: int | None = None) -> int:
    """``write``/``pwrite`` on a descriptor from ``open``."""
    host = _lookup(vm, fd)
    if host is None:
        return -1
    data = vm.memory.read(buf, count, pc=vm.pc) if count else b""
    try:
        return os.pwrite(host, data, offset) if offset is not None else os.write(host, data)
    except OSError as exc:
        return _fail(vm, exc)


@export("pread", "pread64")
def pread(vm: Machine, fd: int, buf: int, count: int, offset: int) -> int:
    """Read at ``offset`` without moving the file position."""
    return fd_read(vm, arg_int(fd), buf, count, arg_long(offset))


@export("pwrite", "pwrite64")
def pwrite(vm: Machine, fd: int, buf: int, count: int, offset: int) -> int:
    """Write at ``offset`` without moving the file position."""
    return fd_write(vm, arg_int(fd), buf, count, arg_long(offset))


@export("lseek", "lseek64")
def lseek(vm: Machine, fd: int, offset: int, whence: int) -> int:
    """Move the file position; the new offset, or -1 with errno set."""
    host = _lookup(vm, fd)
    if host is None:
        return -1
    try:
        return os.lseek(host, arg_long(offset), arg_int(whence))
    except OSError as exc:
        return _fail(vm, exc)


def _call(vm: Machine, fd: int, op: object) -> int:
    host = _lookup(vm, fd)
    if host is None:
        return -1
    try:
        op(host)  # type: ignore[operator]
    except OSError as exc:
        return _fail(vm, exc)
    return 0


@export()
def fsync(vm: Machine, fd: int) -> int:
    """Flush the file to the host's storage; 0, or -1 with errno set."""
    return _call(vm, fd, os.fsync)


@export()
def fdatasync(vm: Machine, fd: int) -> int:
    """Flush the file's data to the host's storage; 0, or -1 with errno set."""
    return _call(vm, fd, os.fdatasync)


@export("ftruncate", "ftruncate64")
def ftruncate(vm: Machine, fd: int, length: int) -> int:
    """Set the file's size; 0, or -1 with errno set."""
    return _call(vm, fd, lambda host: os.ftruncate(host, arg_long(length)))


@export()
def fcntl(vm: Machine, fd: int, cmd: int, varargs: int) -> int:
    """Descriptor flags, status flags and record locks (never conflicting: one process)."""
    host = _lookup(vm, fd)
    if host is None:
        return -1
    command, arg = arg_int(cmd), vm.memory.load(varargs, 8) if varargs else 0
    try:
        if command == F_GETFD:
            return 1 if not os.get_inheritable(host) else 0
        if command == F_SETFD:
            os.set_inheritable(host, not arg & 1)
            return 0
        if command in (F_GETFL, F_SETFL):
            import fcntl as host_fcntl

            return host_fcntl.fcntl(host, command, arg & ~_O_TMPFILE)
    except OSError as exc:
        return _fail(vm, exc)
    if command in (F_SETLK, F_SETLKW):
        return 0
    if command == F_GETLK:
        _, whence, start, length, _ = _FLOCK.unpack(vm.memory.read(arg, _FLOCK.size, pc=vm.pc))
        vm.memory.write(arg, _FLOCK.pack(F_UNLCK, whence, start, length, 0), pc=vm.pc)
        return 0
    set_errno(vm, E.EINVAL)
    return -1


@export()
def unlink(vm: Machine, path: int) -> int:
    """Remove a file inside the sandbox; 0, or -1 with errno set."""
    try:
        os.unlink(resolve(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc))))
    except OSError as exc:
        return _fail(vm, exc)
    return 0


@export()
def access(vm: Machine, path: int, mode: int) -> int:
    """Whether a file inside the sandbox exists (``F_OK``) or allows ``mode``; 0, or -1."""
    try:
        host = resolve(vm.fs, os.fsdecode(vm.memory.cstring(path, pc=vm.pc)))
    except OSError as exc:
        return _fail(vm, exc)
    if os.access(host, arg_int(mode) & 7):
        return 0
    set_errno(vm, E.ENOENT if not os.path.exists(host) else E.EACCES)
    return -1
