"""The kernel as an oracle for classic BPF: socket filters and seccomp filters.

``deliver`` attaches a filter with ``SO_ATTACH_FILTER`` to one end of an ``AF_UNIX``
datagram socket pair, sends a packet from the other end and returns how many bytes arrive
(0: dropped; the kernel trims to the filter's return value).  ``attach_verdict`` returns the
errno ``SO_ATTACH_FILTER`` fails with (0: accepted).  ``seccomp_outcome`` runs a syscall in a
forked child under seccomp filters and reports what happened.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import struct
from collections.abc import Callable, Sequence

from bpfvm.cbpf import SockFilter, encode

SO_ATTACH_FILTER = 26


def _fprog(insns: Sequence[SockFilter]) -> tuple[bytes, ctypes.Array[ctypes.c_char]]:
    code = encode(insns)
    buf = ctypes.create_string_buffer(code, max(len(code), 1))
    return struct.pack("HxxxxxxQ", len(insns), ctypes.addressof(buf)), buf


def attach(sock: socket.socket, insns: Sequence[SockFilter]) -> None:
    """Attach a classic filter to ``sock``; raises OSError with the kernel's errno."""
    prog, keep = _fprog(insns)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)
    del keep


def attach_verdict(insns: Sequence[SockFilter]) -> int:
    """0 if the kernel accepts the filter, else the errno of ``SO_ATTACH_FILTER``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            attach(sock, insns)
        except OSError as exc:
            return exc.errno or -1
    return 0


def deliver(insns: Sequence[SockFilter], packets: Sequence[bytes]) -> list[int]:
    """Bytes received for each packet sent through a socket with the filter attached."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    out = []
    with a, b:
        attach(b, insns)
        for packet in packets:
            a.send(packet)
            try:
                out.append(len(b.recv(1 << 17, socket.MSG_DONTWAIT)))
            except BlockingIOError:
                out.append(0)
    return out


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def seccomp_outcome(load: Callable[[], None], nr: int, args: Sequence[int] = ()) -> str:
    """Fork; in the child call ``load()`` (installs filters), then ``syscall(nr, *args)``.

    Returns ``"signal SIGSYS"`` (KILL_*/TRAP), ``"errno N"`` (ERRNO(N), or ENOSYS for TRACE
    without a tracer) or ``"ok"`` (ALLOW/LOG).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        status = 0
        try:
            load()
            ctypes.set_errno(0)
            result = _libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(a) for a in args))
            message = f"errno {ctypes.get_errno()}" if result == -1 else "ok"
        except BaseException as exc:  # noqa: BLE001  (report, do not unwind into pytest)
            message, status = f"load failed: {exc}", 1
        os.write(write_end, message.encode())
        os._exit(status)
    os.close(write_end)
    message = b""
    while chunk := os.read(read_end, 256):
        message += chunk
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return message.decode()


def errno_name(number: int) -> str:
    """``EINVAL`` for 22."""
    return errno.errorcode.get(number, str(number))
