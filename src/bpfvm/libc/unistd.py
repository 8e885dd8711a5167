"""``<unistd.h>`` (POSIX), the little of it a sandbox offers: ``read`` and ``write`` on the
standard descriptors 0, 1 and 2, which are the VM's ``stdin``, ``stdout`` and ``stderr``.

They bypass the stdio buffers as on a real system, but share the host files with the stdio
streams, so output keeps program order.  ``read`` returns what is available (at most one host
read), 0 at end of input.
"""

from __future__ import annotations

import errno as E

from .state import Machine, arg_int, export, set_errno
from .stream import charge_output

__all__ = ["isatty", "read", "write"]


@export()
def read(vm: Machine, fd: int, buf: int, count: int) -> int:
    """Read at most ``count`` bytes from descriptor 0 (or one from ``open``) into ``buf``; bytes
    read, or -1 (EBADF)."""
    from .fd import fd_read

    if arg_int(fd) > 2:
        return fd_read(vm, arg_int(fd), buf, count)
    if arg_int(fd) != 0:
        set_errno(vm, E.EBADF)
        return -1
    if count:
        vm.memory.check(buf, count, write=True, pc=vm.pc)
    source = vm.stdin
    try:
        data = getattr(source, "read1", source.read)(count) if count else b""
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return -1
    if data:
        vm.memory.write(buf, data, pc=vm.pc)
    return len(data)


@export()
def write(vm: Machine, fd: int, buf: int, count: int) -> int:
    """Write ``count`` bytes from ``buf`` to descriptor 1 or 2 (or one from ``open``); bytes
    written, or -1 (EBADF)."""
    from .fd import fd_write

    if arg_int(fd) > 2:
        return fd_write(vm, arg_int(fd), buf, count)
    target = {1: vm.stdout, 2: vm.stderr}.get(arg_int(fd))
    if target is None:
        set_errno(vm, E.EBADF)
        return -1
    data = vm.memory.read(buf, count, pc=vm.pc) if count else b""
    allowed = charge_output(vm, len(data))
    try:
        target.write(data[:allowed])
        target.flush()
        if allowed < len(data):
            charge_output(vm, len(data) - allowed)  # raises: the limit is reached
    except OSError as exc:
        set_errno(vm, exc.errno or E.EIO)
        return -1
    return len(data)


@export()
def isatty(vm: Machine, fd: int) -> int:
    """1 if descriptor 0, 1 or 2 is a terminal, else 0 (errno ENOTTY or EBADF)."""
    stream = {0: vm.stdin, 1: vm.stdout, 2: vm.stderr}.get(arg_int(fd))
    try:
        if stream is not None and stream.isatty():
            return 1
    except (OSError, ValueError):
        pass
    set_errno(vm, E.ENOTTY if stream is not None else E.EBADF)
    return 0
