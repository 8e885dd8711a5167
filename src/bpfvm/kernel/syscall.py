"""The Linux kernel's BPF, through the ``bpf(2)`` syscall: the reference bpfvm is checked against.

A small ctypes wrapper, not a loader library: it builds the ``union bpf_attr`` layouts of
``include/uapi/linux/bpf.h`` for the commands used here and nothing more —

* ``BPF_PROG_LOAD`` (5): ``prog_type, insn_cnt, insns, license, log_level, log_size, log_buf,
  kern_version, prog_flags, prog_name[16], prog_ifindex, expected_attach_type`` … ``log_true_size``;
  the verifier's verdict and log come back as a :class:`LoadResult`.
* ``BPF_PROG_TEST_RUN`` (10): ``prog_fd, retval, data_size_in/out, data_in/out, repeat, duration,
  ctx_size_in/out, ctx_in/out, flags, cpu, batch_size`` (kernel ``net/bpf/test_run.c``).
* ``BPF_MAP_CREATE`` (0, up to ``map_extra``), ``BPF_MAP_LOOKUP_ELEM`` (1),
  ``BPF_MAP_UPDATE_ELEM`` (2), ``BPF_MAP_DELETE_ELEM`` (3), ``BPF_MAP_GET_NEXT_KEY`` (4),
  ``BPF_MAP_LOOKUP_AND_DELETE_ELEM`` (21), ``BPF_OBJ_GET_INFO_BY_FD`` (15, ``struct
  bpf_map_info``); a key of None is a NULL pointer (queues, stacks, bloom filters).

Kernel failures raise :class:`KernelError` (a :class:`~bpfvm.errors.BpfError`) carrying the errno
and, for loads, the verifier log.  The verifier of some kernels oopses on some inputs, which kills
the loading process: :func:`in_child` runs a callable in a forked child and reports the child's
death as a :class:`KernelCrash` value instead of taking the caller down with it.
"""

from __future__ import annotations

import ctypes
import enum
import errno as _errno
import faulthandler
import os
import pickle
import platform
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import BpfError

__all__ = [
    "BPF_F_SLEEPABLE",
    "KernelCrash",
    "KernelError",
    "LoadResult",
    "MapType",
    "ProgType",
    "TestRunResult",
    "available",
    "close",
    "in_child",
    "map_create",
    "map_delete",
    "map_get_next_key",
    "map_lookup",
    "map_lookup_and_delete",
    "map_update",
    "prog_load",
    "test_run",
]

T = TypeVar("T")

#: ``__NR_bpf`` per machine (``platform.machine()``).
_SYSCALL_NUMBERS = {"x86_64": 321, "amd64": 321, "aarch64": 280, "arm64": 280}

_MAP_CREATE, _MAP_LOOKUP_ELEM, _MAP_UPDATE_ELEM, _PROG_LOAD, _PROG_TEST_RUN, _OBJ_GET_INFO_BY_FD = (
    0, 1, 2, 5, 10, 15)
_MAP_DELETE_ELEM, _MAP_GET_NEXT_KEY, _MAP_LOOKUP_AND_DELETE_ELEM = 3, 4, 21

#: First verifier log buffer; a larger one is used when the kernel says the log did not fit.
_LOG_SIZE = 1 << 20
_LOG_SIZE_MAX = 1 << 30
_INSN_SIZE = 8

#: ``BPF_F_SLEEPABLE`` load flag (required for syscall programs).
BPF_F_SLEEPABLE = 1 << 4


class ProgType(enum.IntEnum):
    """``enum bpf_prog_type`` members bpfvm loads."""

    #: Socket filter: ``__sk_buff`` context, legacy packet loads; test runs take ``data_in``.
    SOCKET_FILTER = 1
    #: XDP: ``xdp_md`` context; test runs take a packet in ``data_in``.
    XDP = 6
    #: Syscall program: the context is a user buffer (``ctx_in``) the program may read and write.
    SYSCALL = 31


class MapType(enum.IntEnum):
    """``enum bpf_map_type`` members bpfvm creates."""

    HASH = 1
    ARRAY = 2


class KernelError(BpfError):
    """A ``bpf()`` command failed: ``errno`` is the error number, ``log`` the verifier log (loads)."""

    def __init__(self, command: str, errno: int, log: str = "") -> None:
        text = f"{command}: {os.strerror(errno)} (errno {errno})"
        reason = verifier_error(log)
        super().__init__(f"{text}: {reason}" if reason else text)
        self.command = command
        self.errno = errno
        self.log = log

    def __reduce__(self) -> tuple[Any, ...]:  # survive the pickle round trip out of in_child
        return (type(self), (self.command, self.errno, self.log))


@dataclass(frozen=True)
class LoadResult:
    """The verifier's verdict on one program: an ``fd`` (>= 0) or an ``errno``, and the log text."""

    fd: int
    errno: int
    log: str

    @property
    def ok(self) -> bool:
        """True if the program was loaded."""
        return self.fd >= 0

    @property
    def error(self) -> str:
        """The verifier's error message (empty when loaded): the log's last meaningful line."""
        return "" if self.ok else verifier_error(self.log) or os.strerror(self.errno)

    def fd_or_raise(self) -> int:
        """Return the program fd. Raises :class:`KernelError` if the load failed."""
        if not self.ok:
            raise KernelError("BPF_PROG_LOAD", self.errno, self.log)
        return self.fd


@dataclass(frozen=True)
class TestRunResult:
    """What ``BPF_PROG_TEST_RUN`` reports: r0 truncated to 32 bits, the mean run time, outputs."""

    __test__ = False  # not a pytest test class despite the name

    retval: int
    duration_ns: int
    data_out: bytes
    ctx_out: bytes
    #: The kernel's error when ``test_run(check=False)`` (0: none; ``ENOSPC`` still ran).
    errno: int = 0
    #: The full sizes of the outputs, as the kernel reports them (beyond a small buffer).
    data_size_out: int = 0
    ctx_size_out: int = 0


@dataclass(frozen=True)
class KernelCrash:
    """A forked child ended without a result: killed by a signal (e.g. a verifier oops), a
    non-zero exit, or ``timed_out``. ``reason`` says which."""

    reason: str
    timed_out: bool = False


def verifier_error(log: str) -> str:
    """The error line of a verifier log: the last line that is not a statistics line."""
    for line in reversed(log.splitlines()):
        line = line.strip()
        if line and not line.startswith(("processed ", "verification time", "stack depth")):
            return line
    return ""


# -- the syscall ------------------------------------------------------------------------------
class _ProgLoadAttr(ctypes.Structure):
    _fields_ = [
        ("prog_type", ctypes.c_uint32), ("insn_cnt", ctypes.c_uint32),
        ("insns", ctypes.c_uint64), ("license", ctypes.c_uint64),
        ("log_level", ctypes.c_uint32), ("log_size", ctypes.c_uint32), ("log_buf", ctypes.c_uint64),
        ("kern_version", ctypes.c_uint32), ("prog_flags", ctypes.c_uint32),
        ("prog_name", ctypes.c_char * 16),
        ("prog_ifindex", ctypes.c_uint32), ("expected_attach_type", ctypes.c_uint32),
        ("prog_btf_fd", ctypes.c_uint32), ("func_info_rec_size", ctypes.c_uint32),
        ("func_info", ctypes.c_uint64), ("func_info_cnt", ctypes.c_uint32),
        ("line_info_rec_size", ctypes.c_uint32), ("line_info", ctypes.c_uint64),
        ("line_info_cnt", ctypes.c_uint32), ("attach_btf_id", ctypes.c_uint32),
        ("attach_prog_fd", ctypes.c_uint32), ("core_relo_cnt", ctypes.c_uint32),
        ("fd_array", ctypes.c_uint64), ("core_relos", ctypes.c_uint64),
        ("core_relo_rec_size", ctypes.c_uint32), ("log_true_size", ctypes.c_uint32),
    ]


class _TestRunAttr(ctypes.Structure):
    _fields_ = [
        ("prog_fd", ctypes.c_uint32), ("retval", ctypes.c_uint32),
        ("data_size_in", ctypes.c_uint32), ("data_size_out", ctypes.c_uint32),
        ("data_in", ctypes.c_uint64), ("data_out", ctypes.c_uint64),
        ("repeat", ctypes.c_uint32), ("duration", ctypes.c_uint32),
        ("ctx_size_in", ctypes.c_uint32), ("ctx_size_out", ctypes.c_uint32),
        ("ctx_in", ctypes.c_uint64), ("ctx_out", ctypes.c_uint64),
        ("flags", ctypes.c_uint32), ("cpu", ctypes.c_uint32), ("batch_size", ctypes.c_uint32),
    ]


class _MapCreateAttr(ctypes.Structure):
    _fields_ = [
        ("map_type", ctypes.c_uint32), ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32), ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32), ("inner_map_fd", ctypes.c_uint32),
        ("numa_node", ctypes.c_uint32), ("map_name", ctypes.c_char * 16),
        ("map_ifindex", ctypes.c_uint32), ("btf_fd", ctypes.c_uint32),
        ("btf_key_type_id", ctypes.c_uint32), ("btf_value_type_id", ctypes.c_uint32),
        ("btf_vmlinux_value_type_id", ctypes.c_uint32), ("map_extra", ctypes.c_uint64),
    ]


class _MapElemAttr(ctypes.Structure):
    _fields_ = [
        ("map_fd", ctypes.c_uint32), ("key", ctypes.c_uint64),
        ("value", ctypes.c_uint64), ("flags", ctypes.c_uint64),
    ]


class _InfoAttr(ctypes.Structure):
    _fields_ = [("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32), ("info", ctypes.c_uint64)]


class _MapInfo(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_uint32), ("id", ctypes.c_uint32), ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32), ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32), ("name", ctypes.c_char * 16),
    ]


_libc: ctypes.CDLL | None = None


def _syscall_number() -> int | None:
    return _SYSCALL_NUMBERS.get(platform.machine().lower()) if sys.platform == "linux" else None


def _bpf(cmd: int, attr: ctypes.Structure) -> tuple[int, int]:
    """Issue ``bpf(cmd, &attr, sizeof attr)``; return ``(result, errno)`` (errno 0 on success)."""
    global _libc
    number = _syscall_number()
    if number is None:
        return -1, _errno.ENOSYS
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    ctypes.set_errno(0)
    result = _libc.syscall(ctypes.c_long(number), ctypes.c_long(cmd), ctypes.byref(attr),
                           ctypes.c_long(ctypes.sizeof(attr)))
    return (int(result), 0) if result >= 0 else (-1, ctypes.get_errno())


def _addr(buf: ctypes.Array[ctypes.c_char] | None) -> int:
    return ctypes.addressof(buf) if buf is not None else 0


# -- programs ---------------------------------------------------------------------------------
def prog_load(insns: bytes, prog_type: int, *, license: str = "GPL", log_level: int = 1,
              expected_attach_type: int = 0, flags: int = 0, name: str = "") -> LoadResult:
    """Load bytecode into the kernel; return the verifier's verdict (never raises for a rejection).

    ``flags`` are ``BPF_F_*`` load flags; syscall programs always get ``BPF_F_SLEEPABLE``, the
    only way the kernel takes them.  ``log_level`` 0 asks for no log; a log that does not fit
    the first buffer is fetched again with the size the kernel reports.  Raises ``ValueError``
    if ``insns`` is not whole slots.
    """
    if len(insns) % _INSN_SIZE:
        raise ValueError(f"bytecode length {len(insns)} is not a multiple of {_INSN_SIZE}")
    code = ctypes.create_string_buffer(bytes(insns), max(len(insns), 1))
    licence = ctypes.create_string_buffer(license.encode())
    size = _LOG_SIZE if log_level else 0
    if prog_type == ProgType.SYSCALL:
        flags |= BPF_F_SLEEPABLE
    while True:
        log = ctypes.create_string_buffer(size) if size else None
        attr = _ProgLoadAttr(prog_type=prog_type, insn_cnt=len(insns) // _INSN_SIZE,
                             insns=_addr(code), license=_addr(licence), log_level=log_level,
                             log_size=size, log_buf=_addr(log), prog_flags=flags,
                             prog_name=name.encode()[:15], expected_attach_type=expected_attach_type)
        fd, err = _bpf(_PROG_LOAD, attr)
        text = log.value.decode(errors="replace") if log is not None else ""
        if err == _errno.ENOSPC and size < attr.log_true_size <= _LOG_SIZE_MAX:
            size = attr.log_true_size
            continue
        return LoadResult(fd, err, text)


def test_run(fd: int, *, data_in: bytes = b"", ctx_in: bytes | None = None, repeat: int = 1,
             data_size_out: int | None = None, ctx_size_out: int = 0, flags: int = 0,
             check: bool = True) -> TestRunResult:
    """Run a loaded program once (or ``repeat`` times) with ``BPF_PROG_TEST_RUN``.

    ``data_out`` gets ``data_size_out`` bytes of room (default: the input plus 4 KiB, none
    without input).  With ``ctx_size_out`` 0 the returned ``ctx_out`` is the ``ctx_in`` buffer as
    the kernel left it (syscall programs write their context back there).  ``repeat`` 1 is sent
    as 0, which every program type reads as "once" and syscall programs require.
    Raises :class:`KernelError`, unless ``check`` is false: then the result carries the errno.
    """
    if data_size_out is None:
        data_size_out = len(data_in) + 4096 if data_in else 0
    data = ctypes.create_string_buffer(data_in, len(data_in)) if data_in else None
    out = ctypes.create_string_buffer(data_size_out) if data_size_out else None
    ctx = ctypes.create_string_buffer(ctx_in, len(ctx_in)) if ctx_in else None
    ctx_out = ctypes.create_string_buffer(ctx_size_out) if ctx_size_out else None
    attr = _TestRunAttr(prog_fd=fd, data_size_in=len(data_in), data_size_out=data_size_out,
                        data_in=_addr(data), data_out=_addr(out), repeat=repeat if repeat > 1 else 0,
                        ctx_size_in=len(ctx_in or b""), ctx_size_out=ctx_size_out, ctx_in=_addr(ctx),
                        ctx_out=_addr(ctx_out), flags=flags)
    _, err = _bpf(_PROG_TEST_RUN, attr)
    if err and check:
        raise KernelError("BPF_PROG_TEST_RUN", err)
    data_bytes = out.raw[:min(attr.data_size_out, data_size_out)] if out is not None else b""
    if ctx_out is not None:
        ctx_bytes = ctx_out.raw[:min(attr.ctx_size_out, ctx_size_out)]
    else:
        ctx_bytes = ctx.raw if ctx is not None else b""
    return TestRunResult(attr.retval, attr.duration, data_bytes, ctx_bytes, err, attr.data_size_out,
                         attr.ctx_size_out)


def close(fd: int) -> None:
    """Close a program or map fd (closing an already closed fd is not an error)."""
    try:
        os.close(fd)
    except OSError:
        pass


def available() -> tuple[bool, str]:
    """Whether ``bpf()`` can load and run programs here, and why not if it cannot.

    Loads ``r0 = 0; exit`` as a socket filter and test-runs it.
    """
    if _syscall_number() is None:
        return False, f"no bpf() syscall number for {sys.platform}/{platform.machine()}"
    trivial = bytes.fromhex("b700000000000000" "9500000000000000")
    result = prog_load(trivial, ProgType.SOCKET_FILTER, log_level=0)
    if not result.ok:
        return False, f"bpf(BPF_PROG_LOAD) failed: {os.strerror(result.errno)} (errno {result.errno})"
    try:
        test_run(result.fd, data_in=bytes(64))
    except KernelError as exc:
        return False, f"bpf(BPF_PROG_TEST_RUN) failed: {exc}"
    finally:
        close(result.fd)
    return True, "bpf() loads and test-runs programs"


# -- maps ---------------------------------------------------------------------------------------
def map_create(map_type: int, key_size: int, value_size: int, max_entries: int, *,
               flags: int = 0, name: str = "", inner_map_fd: int = 0, map_extra: int = 0) -> int:
    """Create a map; return its fd. Raises :class:`KernelError`."""
    attr = _MapCreateAttr(map_type=map_type, key_size=key_size, value_size=value_size,
                          max_entries=max_entries, map_flags=flags, map_name=name.encode()[:15],
                          inner_map_fd=inner_map_fd, map_extra=map_extra)
    fd, err = _bpf(_MAP_CREATE, attr)
    if err:
        raise KernelError("BPF_MAP_CREATE", err)
    return fd


def _buffer(data: bytes | None) -> ctypes.Array[ctypes.c_char] | None:
    return None if data is None else ctypes.create_string_buffer(data, max(len(data), 1))


def _elem(command: int, name: str, fd: int, key: bytes | None, value: ctypes.Array[ctypes.c_char] | None,
          flags: int = 0) -> None:
    k = _buffer(key)
    _, err = _bpf(command, _MapElemAttr(map_fd=fd, key=_addr(k), value=_addr(value), flags=flags))
    if err:
        raise KernelError(name, err)


def map_update(fd: int, key: bytes | None, value: bytes, *, flags: int = 0) -> None:
    """Set ``map[key] = value`` (``flags``: 0 any, 1 only new, 2 only existing). Raises
    :class:`KernelError`."""
    _elem(_MAP_UPDATE_ELEM, "BPF_MAP_UPDATE_ELEM", fd, key, _buffer(value), flags)


def map_lookup(fd: int, key: bytes | None, value_size: int | None = None, *, flags: int = 0) -> bytes:
    """Return ``map[key]``; ``value_size`` (per-CPU maps: all CPUs' bytes) is asked of the kernel
    if not given. Raises :class:`KernelError` (errno ENOENT for a missing key)."""
    if value_size is None:
        value_size = _map_info(fd).value_size
    v = ctypes.create_string_buffer(max(value_size, 1))
    _elem(_MAP_LOOKUP_ELEM, "BPF_MAP_LOOKUP_ELEM", fd, key, v, flags)
    return v.raw[:value_size]


def map_lookup_and_delete(fd: int, key: bytes | None, value_size: int, *, flags: int = 0) -> bytes:
    """``BPF_MAP_LOOKUP_AND_DELETE_ELEM`` (pop for queues and stacks). Raises :class:`KernelError`."""
    v = ctypes.create_string_buffer(max(value_size, 1))
    _elem(_MAP_LOOKUP_AND_DELETE_ELEM, "BPF_MAP_LOOKUP_AND_DELETE_ELEM", fd, key, v, flags)
    return v.raw[:value_size]


def map_delete(fd: int, key: bytes | None) -> None:
    """``BPF_MAP_DELETE_ELEM``. Raises :class:`KernelError`."""
    _elem(_MAP_DELETE_ELEM, "BPF_MAP_DELETE_ELEM", fd, key, None)


def map_get_next_key(fd: int, key: bytes | None, key_size: int) -> bytes:
    """``BPF_MAP_GET_NEXT_KEY``: the key after ``key`` (None: the first). Raises
    :class:`KernelError` (ENOENT after the last)."""
    nxt = ctypes.create_string_buffer(max(key_size, 1))
    _elem(_MAP_GET_NEXT_KEY, "BPF_MAP_GET_NEXT_KEY", fd, key, nxt)
    return nxt.raw[:key_size]


def _map_info(fd: int) -> _MapInfo:
    info = _MapInfo()
    attr = _InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    _, err = _bpf(_OBJ_GET_INFO_BY_FD, attr)
    if err:
        raise KernelError("BPF_OBJ_GET_INFO_BY_FD", err)
    return info


# -- crash isolation ----------------------------------------------------------------------------
def in_child(fn: Callable[..., T], *args: Any, timeout: float = 60.0) -> T | KernelCrash:
    """Run ``fn(*args)`` in a forked child and return its (pickled) result.

    An exception ``fn`` raises is re-raised here.  If the child dies without a result — killed
    by a kernel oops, ``os._exit``, ``abort()`` — or outlives ``timeout`` seconds (it is then
    killed), a :class:`KernelCrash` is returned instead.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        try:
            os.close(read_end)
            _child_main(write_end, fn, args)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        payload, timed_out = _read_all(read_end, time.monotonic() + timeout)
    finally:
        os.close(read_end)
    status = _reap(pid, kill=timed_out)
    if timed_out:
        return KernelCrash(f"child timed out after {timeout:g} s", timed_out=True)
    try:
        ok, value = pickle.loads(payload)
    except Exception:
        return KernelCrash(f"child died without a result ({status})")
    if not ok:
        raise value
    return value


def _child_main(fd: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    faulthandler.disable()  # a crash here is the parent's to report, not a traceback dump
    try:
        payload: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # noqa: B036 - everything goes back to the parent
        payload = (False, exc)
    try:
        data = pickle.dumps(payload)
    except Exception as exc:
        data = pickle.dumps((False, RuntimeError(f"in_child: unpicklable result: {exc!r}")))
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def _read_all(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Read ``fd`` to EOF; return ``(data, timed_out)``."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _reap(pid: int, *, kill: bool) -> str:
    """Wait for the child (killing it first if asked); describe how it ended."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline, pause = time.monotonic() + 5.0, 0.0005
    while time.monotonic() < deadline:  # a child stuck in the kernel may never die: give up
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return _describe(status)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return "child did not exit"


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"
