"""Wall-clock timeouts of guest runs (``VM(timeout=…)``), for both engines.

A run that exceeds its timeout ends with ``VmTrap(TrapKind.TIMEOUT, pc, …)``, ``pc`` being the
instruction the run stopped before (a real instruction of the program).

* The JIT hands native code its instruction budget in slices; between slices it is back in
  Python, checks the deadline and stops at the next block (:mod:`bpfvm.jit.engine`).  That
  is also where Ctrl-C's KeyboardInterrupt surfaces during a long native run.
* The interpreter is Python code: a sentinel thread (one per process, :func:`watch`) raises
  :class:`Cancelled` in the running thread (``PyThreadState_SetAsyncExc``) once the deadline
  passes, at a moment that thread executes generated guest code, so it surfaces at a back
  edge or call of the guest.  KeyboardInterrupt needs nothing special.

A run stuck in a host function (an intrinsic that never returns) gets :class:`Cancelled`
raised there after :data:`GRACE` more seconds, on either engine.  Runs without a timeout are
not watched and cost nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

from ..errors import TrapKind, VmTrap

__all__ = ["GRACE", "Cancelled", "async_raise", "is_guest_frame", "timeout_trap", "watch"]

#: Seconds a cancelled run may stay inside a host function before it is interrupted there.
GRACE = 1.0
#: Seconds between looks at an interpreter thread whose deadline passed (until it runs guest code).
_POLL = 0.002
#: ``co_filename`` prefix of the interpreter's generated code (see interpreter.engine).
_GUEST_PREFIX = "<bpf "


class Cancelled(BaseException):  # noqa: N818 - a signal, like KeyboardInterrupt
    """Raised asynchronously into a thread running a guest whose deadline passed."""


def timeout_trap(pc: int, seconds: float | None) -> VmTrap:
    """The trap of a run stopped by its wall-clock timeout before instruction ``pc``."""
    limit = f" of {seconds:g} s" if seconds is not None else ""
    return VmTrap(TrapKind.TIMEOUT, pc, f"wall-clock timeout{limit} exceeded")


def is_guest_frame(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs the interpreter's generated code."""
    return frame is not None and frame.f_code.co_filename.startswith(_GUEST_PREFIX)


def async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    """Make ``exc`` pending in thread ``thread_id`` (None: withdraw a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else None)


@dataclass(eq=False)
class _Run:
    thread: int
    deadline: float
    #: Raise Cancelled only while the thread runs interpreter guest code (until GRACE passes).
    guest_only: bool
    fired: float | None = None
    injected: bool = False


class _Sentinel:
    """The watching thread: raises Cancelled into runs whose deadline passed."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.runs: list[_Run] = []
        threading.Thread(target=self.loop, name="bpfvm-sentinel", daemon=True).start()

    def loop(self) -> None:
        with self.lock:
            while True:
                self.changed.wait(self.expire(time.monotonic()))

    def expire(self, now: float) -> float | None:
        """Act on passed deadlines; return the seconds until the next thing to do."""
        waits = [w for w in (self.step(run, now) for run in self.runs) if w is not None]
        return min(waits, default=None)

    def step(self, run: _Run, now: float) -> float | None:
        if run.injected:
            return None
        if run.fired is None:
            if now < run.deadline:
                return run.deadline - now
            run.fired = now
        frame = sys._current_frames().get(run.thread)  # noqa: SLF001 - the documented way
        if now >= run.fired + GRACE or (run.guest_only and is_guest_frame(frame)):
            run.injected = True
            async_raise(run.thread, Cancelled)
            return None
        return _POLL if run.guest_only else run.fired + GRACE - now

    def add(self, run: _Run) -> None:
        with self.lock:
            self.runs.append(run)
            self.changed.notify()

    def remove(self, run: _Run) -> None:
        with self.lock:
            self.runs.remove(run)
            if run.injected:  # withdraw it if not delivered yet
                async_raise(run.thread, None)


_sentinel: _Sentinel | None = None
_sentinel_lock = threading.Lock()


def _the_sentinel() -> _Sentinel:
    global _sentinel
    with _sentinel_lock:
        if _sentinel is None or _sentinel.pid != os.getpid():
            _sentinel = _Sentinel()
        return _sentinel


@contextlib.contextmanager
def watch(timeout: float, *, guest_only: bool = True) -> Iterator[None]:
    """Raise :class:`Cancelled` in this thread if the block runs longer than ``timeout`` s.

    With ``guest_only`` (the interpreter) it is raised while the thread runs generated guest
    code; otherwise, and after :data:`GRACE` more seconds in any case, wherever the thread is.
    :class:`Cancelled` may surface while leaving the block, never after it.
    """
    run = _Run(threading.get_ident(), time.monotonic() + timeout, guest_only)
    sentinel = _the_sentinel()
    sentinel.add(run)
    try:
        yield
    finally:
        sentinel.remove(run)
