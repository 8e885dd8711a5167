"""cbpf.seccomp: filters made by libseccomp (PyPI pyseccomp), evaluated by bpfvm and enforced
by the kernel in forked children; precedence across several filters; the seccomp checker."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bpfvm.cbpf import CheckError, Filter, SockFilter
from bpfvm.cbpf.check import check_seccomp
from bpfvm.cbpf.seccomp import ARCHES, Action, SeccompData, evaluate, syscall_number

from .kernel import seccomp_outcome

seccomp = pytest.importorskip("pyseccomp", reason="pyseccomp (a dev dependency) makes the real filters")
pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64", reason="the child runs x86_64 syscalls"
)

GETPID, GETPPID, GETUID, GETGID, GETPRIORITY, UMASK, GETEUID = 39, 110, 102, 104, 140, 95, 107


def _export(flt: Any) -> bytes:
    buf = io.BytesIO()  # export_bpf wants a real file descriptor: a pipe
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as out:
        flt.export_bpf(out)
    with os.fdopen(read_end, "rb") as inp:
        buf.write(inp.read())
    return buf.getvalue()


def _first() -> Any:
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    f.add_rule(seccomp.ERRNO(5), "getppid")
    f.add_rule(seccomp.KILL_PROCESS, "getuid")
    f.add_rule(seccomp.TRAP, "getgid")
    f.add_rule(seccomp.LOG, "geteuid")
    f.add_rule(seccomp.TRACE(3), "umask")
    f.add_rule(seccomp.ERRNO(13), "getpriority", seccomp.Arg(0, seccomp.EQ, 7))
    f.add_rule(seccomp.ERRNO(14), "getpriority", seccomp.Arg(1, seccomp.GT, 100))
    return f


def _second() -> Any:
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    f.add_rule(seccomp.ERRNO(1), "getpid")
    f.add_rule(seccomp.ERRNO(2), "getppid")  # the first filter's ERRNO(5) ties: the newest wins
    f.add_rule(seccomp.KILL_THREAD, "getpriority", seccomp.Arg(1, seccomp.EQ, 500))
    return f


def _outcome(action: Action, unfiltered: str) -> str:
    """What a child sees of an action (the test harness cannot tell KILL from TRAP by signal);
    ALLOW and LOG run the syscall, which then does what it does without a filter."""
    if action.name in ("KILL_PROCESS", "KILL_THREAD", "TRAP"):
        return "signal SIGSYS"
    if action.name == "ERRNO":
        return f"errno {action.data}"
    if action.name == "TRACE":  # no tracer: the syscall fails with ENOSYS
        return "errno 38"
    return unfiltered


CALLS = [
    (GETPID, ()),
    (GETPPID, ()),
    (GETUID, ()),
    (GETGID, ()),
    (GETEUID, ()),
    (UMASK, (0o22,)),
    (GETPRIORITY, (7, 0)),
    (GETPRIORITY, (0, 101)),
    (GETPRIORITY, (0, 500)),
    (GETPRIORITY, (0, 0)),
]


@pytest.mark.parametrize("stack", ["first", "second", "both"])
def test_actions_match_the_kernel(stack: str) -> None:
    makers: list[Callable[[], Any]] = {"first": [_first], "second": [_second], "both": [_first, _second]}[
        stack
    ]
    filters = [_export(make()) for make in makers]

    def load() -> None:
        for make in makers:
            make().load()

    for nr, args in CALLS:
        data = SeccompData(nr, args=args + (0,) * (6 - len(args)))
        action = evaluate(filters, data)
        assert evaluate(filters, data, engine="interpreter") == action
        expected = _outcome(action, seccomp_outcome(lambda: None, nr, args))
        assert seccomp_outcome(load, nr, args) == expected, (stack, nr, args, action)


def test_actions_and_precedence() -> None:
    filters = [_export(_first()), _export(_second())]
    assert str(evaluate(filters, SeccompData(GETPPID))) == "ERRNO(2)"  # tie: the newest filter
    assert str(evaluate(filters[:1], SeccompData(UMASK))) == "TRACE(3)"
    assert str(evaluate(filters, SeccompData(GETUID))) == "KILL_PROCESS"
    assert str(evaluate(filters, SeccompData(GETPRIORITY, args=(0, 500)))) == "KILL_THREAD"
    assert str(evaluate(filters, SeccompData(GETEUID))) == "LOG"
    assert str(evaluate(filters, SeccompData(GETPID, arch=ARCHES["aarch64"]))) == "KILL_THREAD"
    assert str(evaluate(filters, SeccompData(GETPID), engine="jit")) == "ERRNO(1)"
    assert Action.from_value(0x7FC0_0000).name == "USER_NOTIF"
    assert Action.from_value(0x1234_0000).name == "KILL_PROCESS"  # unknown actions kill


def test_syscall_names() -> None:
    assert syscall_number("getpid") == GETPID
    assert syscall_number("39") == GETPID
    assert syscall_number("getpid", "aarch64") == 172


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ([(0x28, 0, 0, 0), (0x06, 0, 0, 0x7FFF0000)], "ldh"),
        ([(0x20, 0, 0, 2), (0x06, 0, 0, 0x7FFF0000)], "aligned"),
        ([(0x20, 0, 0, 64), (0x06, 0, 0, 0x7FFF0000)], "aligned"),
        ([(0x94, 0, 0, 3), (0x06, 0, 0, 0x7FFF0000)], "mod"),
        ([(0x40, 0, 0, 0), (0x06, 0, 0, 0x7FFF0000)], "ld"),
        ([(0xB1, 0, 0, 0), (0x06, 0, 0, 0x7FFF0000)], "ldxb"),
    ],
)
def test_seccomp_checker_rejects_what_the_kernel_rejects(
    rows: list[tuple[int, int, int, int]], rule: str
) -> None:
    filt = Filter.from_tuples(rows)
    with pytest.raises(CheckError, match=rule) as info:
        check_seccomp(filt.insns)
    assert (
        seccomp_outcome(lambda: _install(filt), GETPID)
        == f"load failed: [Errno {info.value.errno}] Invalid argument"
    )


def test_seccomp_checker_accepts_len_and_words() -> None:
    filt = Filter.from_tuples([(0x80, 0, 0, 0), (0x15, 0, 1, 64), (0x20, 0, 0, 60), (0x06, 0, 0, 0x7FFF0000)])
    check_seccomp(filt.insns)
    assert seccomp_outcome(lambda: _install(filt), GETPID) == "ok"
    assert str(evaluate([filt], SeccompData(GETPID))) == "ALLOW"


def _install(filt: Filter) -> None:
    """``prctl(PR_SET_NO_NEW_PRIVS)`` + ``seccomp(SECCOMP_SET_MODE_FILTER)`` with a raw filter."""
    import ctypes

    from .kernel import _fprog

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl")
    prog, keep = _fprog(filt.insns)
    arg = ctypes.create_string_buffer(prog, len(prog))
    if libc.syscall(317, 1, 0, arg) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    del keep


def test_bad_input() -> None:
    from bpfvm.cbpf import CbpfError

    with pytest.raises(CbpfError, match="no seccomp filter"):
        evaluate([], SeccompData(1))
    with pytest.raises(CbpfError, match="64 bytes"):
        evaluate([Filter.from_tuples([(6, 0, 0, 0)])], b"short")
    with pytest.raises(CbpfError, match="unknown syscall"):
        syscall_number("no_such_call")
    assert SockFilter(6).raw == (6, 0, 0, 0)
