"""bpfvm.kernel.syscall: the bpf() syscall wrapper and crash-isolated children."""

from __future__ import annotations

import errno
import os
import pickle
import signal
import struct
import time
from collections.abc import Callable

import pytest

from bpfvm import BpfError
from bpfvm.isa import encode, make
from bpfvm.kernel import syscall as kernel

AVAILABLE, WHY = kernel.available()


def _code(*insns: tuple[str, dict[str, int]]) -> bytes:
    return encode(make(name, **fields) for name, fields in insns)


RETURN_42 = _code(("mov64_imm", {"dst": 0, "imm": 42}), ("exit", {}))
#: ``*(u32 *)(r1 + 4) = 0x11223344; r0 = *(u32 *)(r1 + 0); exit`` — reads and writes its context.
CTX_RW = _code(("stw", {"dst": 1, "off": 4, "imm": 0x11223344}),
               ("ldxw", {"dst": 0, "src": 1, "off": 0}), ("exit", {}))
#: ``exit`` with r0 never set: every verifier rejects it.
UNSET_R0 = _code(("exit", {}))


def test_verifier_error_line() -> None:
    log = "0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000)\n"
    assert kernel.verifier_error(log) == "R0 !read_ok"
    assert kernel.verifier_error("") == ""


def test_kernel_error_is_a_bpf_error_and_pickles() -> None:
    exc = kernel.KernelError("BPF_PROG_LOAD", errno.EACCES, "R0 !read_ok\n")
    assert isinstance(exc, BpfError)
    assert "R0 !read_ok" in str(exc) and "errno 13" in str(exc)
    back = pickle.loads(pickle.dumps(exc))
    assert (back.command, back.errno, back.log, str(back)) == (exc.command, exc.errno, exc.log, str(exc))


def test_partial_slot_is_rejected_before_the_syscall() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        kernel.prog_load(b"\x95\x00\x00", kernel.ProgType.SOCKET_FILTER)


# -- in_child --------------------------------------------------------------------------------
def _raise_kernel_error() -> None:
    raise kernel.KernelError("BPF_MAP_CREATE", errno.EPERM)


def test_in_child_returns_the_result() -> None:
    assert kernel.in_child(pow, 3, 4) == 81
    assert kernel.in_child(os.getpid) != os.getpid()


def test_in_child_reraises_exceptions() -> None:
    with pytest.raises(kernel.KernelError) as info:
        kernel.in_child(_raise_kernel_error)
    assert info.value.errno == errno.EPERM


def _kill_self() -> None:
    """Die the way a task whose syscall oopsed in the kernel dies."""
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(("fn", "reason"), [
    (lambda: os._exit(1), "exit status 1"),
    (os.abort, "SIGABRT"),
    (_kill_self, "SIGKILL"),
], ids=["exit", "abort", "kill"])
def test_in_child_survives_the_child_dying(fn: Callable[[], None], reason: str) -> None:
    result = kernel.in_child(fn)
    assert isinstance(result, kernel.KernelCrash) and not result.timed_out
    assert reason in result.reason
    assert kernel.in_child(int, "7") == 7  # and the parent carries on


def test_in_child_times_out() -> None:
    start = time.monotonic()
    result = kernel.in_child(time.sleep, 30, timeout=0.3)
    assert isinstance(result, kernel.KernelCrash) and result.timed_out
    assert time.monotonic() - start < 10


# -- the real kernel -------------------------------------------------------------------------
needs_kernel = pytest.mark.skipif(not AVAILABLE, reason=f"bpf() unavailable: {WHY}")


@pytest.mark.kernel
@needs_kernel
def test_socket_filter_loads_and_runs() -> None:
    result = kernel.prog_load(RETURN_42, kernel.ProgType.SOCKET_FILTER)
    assert result.ok and result.errno == 0 and result.error == ""
    assert "processed 2 insns" in result.log
    try:
        run = kernel.test_run(result.fd_or_raise(), data_in=bytes(64), repeat=100)
        assert run.retval == 42 and run.duration_ns >= 0
    finally:
        kernel.close(result.fd)


@pytest.mark.kernel
@needs_kernel
def test_syscall_program_reads_and_writes_its_context() -> None:
    result = kernel.prog_load(CTX_RW, kernel.ProgType.SYSCALL)
    fd = result.fd_or_raise()
    try:
        run = kernel.test_run(fd, ctx_in=struct.pack("<II", 0xCAFE, 0))
        assert run.retval == 0xCAFE
        assert run.ctx_out == struct.pack("<II", 0xCAFE, 0x11223344)
        with pytest.raises(kernel.KernelError) as info:  # syscall programs take no repeat
            kernel.test_run(fd, ctx_in=bytes(8), repeat=2)
        assert info.value.errno == errno.EINVAL
    finally:
        kernel.close(fd)


@pytest.mark.kernel
@needs_kernel
def test_xdp_program_returns_the_packet() -> None:
    xdp_pass = _code(("mov64_imm", {"dst": 0, "imm": 2}), ("exit", {}))
    fd = kernel.prog_load(xdp_pass, kernel.ProgType.XDP).fd_or_raise()
    try:
        packet = bytes(range(64))
        run = kernel.test_run(fd, data_in=packet)
        assert (run.retval, run.data_out) == (2, packet)
    finally:
        kernel.close(fd)


@pytest.mark.kernel
@needs_kernel
def test_verifier_rejection_carries_the_log() -> None:
    result = kernel.prog_load(UNSET_R0, kernel.ProgType.SYSCALL)
    assert not result.ok and result.errno == errno.EACCES
    assert result.error == "R0 !read_ok" and "R0 !read_ok" in result.log
    with pytest.raises(kernel.KernelError, match="R0 !read_ok") as info:
        result.fd_or_raise()
    assert info.value.errno == errno.EACCES and info.value.log == result.log


@pytest.mark.kernel
@needs_kernel
def test_load_without_log() -> None:
    result = kernel.prog_load(UNSET_R0, kernel.ProgType.SOCKET_FILTER, log_level=0)
    assert not result.ok and result.log == "" and result.error == os.strerror(result.errno)


@pytest.mark.kernel
@needs_kernel
def test_test_run_of_a_bad_fd_raises() -> None:
    with pytest.raises(kernel.KernelError) as info:
        kernel.test_run(999_999, data_in=bytes(64))
    assert info.value.errno == errno.EBADF


@pytest.mark.kernel
@needs_kernel
def test_load_in_a_child() -> None:
    result = kernel.in_child(kernel.prog_load, UNSET_R0, kernel.ProgType.SYSCALL)
    assert isinstance(result, kernel.LoadResult) and result.error == "R0 !read_ok"


@pytest.mark.kernel
@needs_kernel
def test_array_map_round_trip() -> None:
    fd = kernel.map_create(kernel.MapType.ARRAY, 4, 8, 4)
    try:
        key = struct.pack("<I", 3)
        assert kernel.map_lookup(fd, key) == bytes(8)
        kernel.map_update(fd, key, b"12345678")
        assert kernel.map_lookup(fd, key) == b"12345678"
        assert kernel.map_lookup(fd, key, 8) == b"12345678"
        with pytest.raises(kernel.KernelError) as info:
            kernel.map_lookup(fd, struct.pack("<I", 4))
        assert info.value.errno == errno.ENOENT
    finally:
        kernel.close(fd)


@pytest.mark.kernel
@needs_kernel
def test_map_create_failure_raises() -> None:
    with pytest.raises(kernel.KernelError) as info:
        kernel.map_create(kernel.MapType.ARRAY, 4, 0, 4)
    assert info.value.errno == errno.EINVAL
