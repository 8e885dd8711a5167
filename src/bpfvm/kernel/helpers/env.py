"""What kernel helpers see of "the kernel" in bpfvm: one :class:`KernelEnv` per VM (``vm.kernel``).

The kernel's helpers read clocks, the current task, the CPU, a random state, and write to the
trace buffer; in bpfvm these are explicit, configurable objects so that runs can be
deterministic:

* :attr:`KernelEnv.clock` — :class:`RealClock` (CLOCK_MONOTONIC / BOOTTIME / MONOTONIC_COARSE /
  TAI of the host, the default) or :class:`VirtualClock` (time moves only by ``advance``, which
  also fires due BPF timers).  ``jiffies64`` counts at :attr:`KernelEnv.hz` from the kernel's
  INITIAL_JIFFIES (``2**32 - 300 * HZ``, include/linux/jiffies.h).
* :attr:`KernelEnv.task` — the simulated current task (:class:`Task`: pid, tgid, uid, gid, comm).
* :attr:`KernelEnv.cpu`, :attr:`KernelEnv.numa_node`; :meth:`KernelEnv.seed` for
  ``bpf_get_prandom_u32``.
* :attr:`KernelEnv.trace` — the trace log (:class:`TraceLog`), in trace_pipe's line format.
* :meth:`KernelEnv.map_user` / :meth:`KernelEnv.map_kernel` — host buffers at addresses
  outside guest memory that ``bpf_probe_read_user``/``_kernel`` and ``bpf_copy_from_user`` read.
* :attr:`KernelEnv.signals` — what ``bpf_send_signal(_thread)`` sent (recorded, not delivered).
* :attr:`KernelEnv.kernel_stack` / :attr:`KernelEnv.user_stack` — what ``bpf_get_stack`` reports.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import BpfError, VmTrap

if TYPE_CHECKING:
    from ...vm import VM

__all__ = ["Clock", "HostBuffer", "KernelEnv", "RealClock", "Signal", "Task", "TraceLog", "VirtualClock"]

_NS = 1_000_000_000


class Clock(Protocol):
    """The clocks ``bpf_ktime_get_*_ns`` read, in nanoseconds."""

    def monotonic_ns(self) -> int: ...
    def boot_ns(self) -> int: ...
    def coarse_ns(self) -> int: ...
    def tai_ns(self) -> int: ...


class RealClock:
    """The host's clocks (``clock_gettime``): MONOTONIC, BOOTTIME, MONOTONIC_COARSE, TAI."""

    def monotonic_ns(self) -> int:
        """CLOCK_MONOTONIC, as ``bpf_ktime_get_ns``."""
        return time.clock_gettime_ns(time.CLOCK_MONOTONIC)

    def boot_ns(self) -> int:
        """CLOCK_BOOTTIME (counts suspend), as ``bpf_ktime_get_boot_ns``."""
        return time.clock_gettime_ns(getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC))

    def coarse_ns(self) -> int:
        """CLOCK_MONOTONIC_COARSE (tick resolution), as ``bpf_ktime_get_coarse_ns``."""
        return time.clock_gettime_ns(getattr(time, "CLOCK_MONOTONIC_COARSE", time.CLOCK_MONOTONIC))

    def tai_ns(self) -> int:
        """CLOCK_TAI, as ``bpf_ktime_get_tai_ns``."""
        return time.clock_gettime_ns(getattr(time, "CLOCK_TAI", time.CLOCK_REALTIME))


@dataclass
class VirtualClock:
    """A clock that moves only when told: ``now`` ns since boot; BOOTTIME equals MONOTONIC, TAI is
    ``tai_offset`` ahead, COARSE is ``now`` rounded down to ``coarse_step`` (a 250 Hz tick)."""

    now: int = 0
    tai_offset: int = 1_700_000_000 * _NS
    coarse_step: int = 4_000_000
    #: Called with the new time after each :meth:`advance` (the VM fires due timers here).
    on_advance: Callable[[int], None] | None = field(default=None, repr=False)

    def monotonic_ns(self) -> int:
        """The virtual time."""
        return self.now

    def boot_ns(self) -> int:
        """The virtual time (nothing suspends)."""
        return self.now

    def coarse_ns(self) -> int:
        """The virtual time at the last tick."""
        return self.now - self.now % self.coarse_step

    def tai_ns(self) -> int:
        """The virtual time plus the TAI offset."""
        return self.now + self.tai_offset

    def advance(self, ns: int) -> None:
        """Move time forward by ``ns`` (>= 0) and fire the BPF timers now due.  Raises ``ValueError``."""
        if ns < 0:
            raise ValueError("a clock does not go backwards")
        self.now += ns
        if self.on_advance is not None:
            self.on_advance(self.now)


@dataclass
class Task:
    """The simulated current task (``current`` in the kernel): ids and ``comm`` (TASK_COMM_LEN 16).

    ``pid`` is the thread id, ``tgid`` the process id, as the kernel names them.
    """

    pid: int = field(default_factory=os.getpid)
    tgid: int = field(default_factory=os.getpid)
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)
    comm: bytes = b"bpfvm"


@dataclass(frozen=True)
class Signal:
    """A signal ``bpf_send_signal`` (``thread=False``) or ``bpf_send_signal_thread`` sent."""

    sig: int
    pid: int
    thread: bool


@dataclass(frozen=True)
class HostBuffer:
    """Host memory the embedder made readable at ``address`` (outside guest memory)."""

    address: int
    data: bytes | bytearray | memoryview

    @property
    def end(self) -> int:
        """First address past the buffer."""
        return self.address + len(self.data)


class TraceLog:
    """The trace buffer ``bpf_trace_printk`` and ``bpf_trace_vprintk`` write to.

    :attr:`messages` keeps each message as the helper formatted it; :meth:`lines` renders them as
    ``/sys/kernel/tracing/trace_pipe`` shows them (``comm-pid [cpu] flags secs.usecs:
    bpf_trace_printk: message``).  ``sink`` (a callable) receives each rendered line as it is
    written (e.g. ``sys.stderr.write``).
    """

    def __init__(self) -> None:
        self.records: list[tuple[str, int, int, int, str]] = []
        self.sink: Callable[[str], Any] | None = None

    @property
    def messages(self) -> list[str]:
        """Every message, without its trailing newline."""
        return [r[4] for r in self.records]

    def write(self, comm: str, pid: int, cpu: int, ns: int, message: str) -> None:
        """Record one message from task ``comm``/``pid`` on ``cpu`` at ``ns``."""
        record = (comm, pid, cpu, ns, message.removesuffix("\n"))
        self.records.append(record)
        if self.sink is not None:
            self.sink(_render(record))

    def lines(self) -> list[str]:
        """The trace_pipe lines (each ends with a newline)."""
        return [_render(r) for r in self.records]

    def clear(self) -> None:
        """Forget every message."""
        self.records.clear()


def _render(record: tuple[str, int, int, int, str]) -> str:
    comm, pid, cpu, ns, message = record
    secs, usecs = divmod(ns // 1000, 1_000_000)
    return f"{comm:>16}-{pid:<7} [{cpu:03d}] ..... {secs:5d}.{usecs:06d}: bpf_trace_printk: {message}\n"


class KernelEnv:
    """The kernel a VM's helpers run in (see the module docstring); ``vm.kernel``."""

    def __init__(self, vm: VM) -> None:
        self.vm = vm
        self.memory = vm.memory
        self.clock: Clock = RealClock()
        self.hz = 250
        self.task = Task()
        self.cpu = 0
        self.numa_node = 0
        self.trace = TraceLog()
        self.signals: list[Signal] = []
        self.kernel_stack: list[int] = []
        self.user_stack: list[int] = []
        self.random = random.Random()
        self._user: list[HostBuffer] = []
        self._kernel: list[HostBuffer] = []
        #: Per-VM state of helper families (timers, locks, iterators …), by family name.
        self.state: dict[str, Any] = {}

    def seed(self, value: int) -> None:
        """Make ``bpf_get_prandom_u32`` repeat the sequence of ``value``."""
        self.random.seed(value)

    def use_virtual_clock(self, now: int = 0) -> VirtualClock:
        """Switch to a :class:`VirtualClock` at ``now`` ns (its ``advance`` fires BPF timers); return it."""
        from .implementations.timer import fire_due

        clock = VirtualClock(now)
        clock.on_advance = lambda t: None if fire_due(self, t) else None
        self.clock = clock
        return clock

    def jiffies(self) -> int:
        """jiffies_64 now: INITIAL_JIFFIES plus boot time in ticks of :attr:`hz`."""
        return ((1 << 32) - 300 * self.hz + self.clock.boot_ns() * self.hz // _NS) & ((1 << 64) - 1)

    # -- host memory outside the guest ---------------------------------------------------------
    def map_user(self, address: int, data: bytes | bytearray | memoryview) -> HostBuffer:
        """Make ``data`` readable as user memory at ``address`` (``bpf_probe_read_user``,
        ``bpf_copy_from_user``).  Raises :class:`BpfError` if it overlaps guest memory or
        another user buffer."""
        return self._add(self._user, address, data, "user")

    def map_kernel(self, address: int, data: bytes | bytearray | memoryview) -> HostBuffer:
        """Make ``data`` readable as kernel memory at ``address`` (``bpf_probe_read_kernel``).
        Raises :class:`BpfError` on overlap."""
        return self._add(self._kernel, address, data, "kernel")

    def _add(self, table: list[HostBuffer], address: int, data: bytes | bytearray | memoryview,
             kind: str) -> HostBuffer:
        buf = HostBuffer(address, data)
        if address < self.memory.size or any(b.address < buf.end and address < b.end for b in table):
            raise BpfError(f"{kind} buffer at {address:#x}+{len(data)} overlaps guest memory or "
                           f"another {kind} buffer")
        table.append(buf)
        return buf

    def read_user(self, address: int, size: int) -> bytes | None:
        """``size`` bytes of registered user memory at ``address``, or None (a fault)."""
        return _read(self._user, address, size)

    def read_kernel(self, address: int, size: int) -> bytes | None:
        """``size`` bytes of kernel memory (guest memory, then registered kernel buffers), or None."""
        if self.readable(address, size):
            return bytes(self.memory.buf[address:address + size])
        return _read(self._kernel, address, size)

    def readable(self, address: int, size: int) -> bool:
        """True if the guest may read ``[address, address + size)`` (the engines' rule)."""
        try:
            self.memory.check(address, size, write=False)
        except VmTrap:
            return False
        return True

    def writable(self, address: int, size: int) -> bool:
        """True if the guest may write ``[address, address + size)``."""
        try:
            self.memory.check(address, size, write=True)
        except VmTrap:
            return False
        return True


def _read(table: list[HostBuffer], address: int, size: int) -> bytes | None:
    for buf in table:
        if buf.address <= address and address + size <= buf.end:
            start = address - buf.address
            return bytes(buf.data[start:start + size])
    return None
