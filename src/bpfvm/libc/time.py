"""``<time.h>`` (C17 §7.27) and ``clock_gettime`` (POSIX) as intrinsics.

``time_t`` and ``clock_t`` are 64-bit; ``clock()`` counts the host process's CPU time since the
VM's C library state was created, in microseconds (``CLOCKS_PER_SEC`` is 1000000, as glibc).
"""

from __future__ import annotations

import errno as E
import struct
import time as host_time

from .state import Machine, arg_int, export, set_errno, state

__all__ = ["CLOCKS_PER_SEC", "clock", "clock_gettime", "time"]

CLOCKS_PER_SEC = 1_000_000
_CLOCKS = {0: host_time.time_ns, 1: host_time.monotonic_ns, 2: host_time.process_time_ns,
           3: host_time.thread_time_ns, 4: host_time.monotonic_ns}


@export()
def time(vm: Machine, tloc: int) -> int:
    """Seconds since the Unix epoch; also stored at ``tloc`` unless it is NULL."""
    now = int(host_time.time())
    if tloc:
        vm.memory.store(tloc, 8, now, pc=vm.pc)
    return now


@export()
def clock(vm: Machine) -> int:
    """CPU time used, in ``1/CLOCKS_PER_SEC`` seconds."""
    return (host_time.process_time_ns() - state(vm).clock_start) // 1000


@export()
def clock_gettime(vm: Machine, clock_id: int, ts: int) -> int:
    """Fill ``struct timespec *ts`` from clock ``clock_id`` (REALTIME, MONOTONIC, PROCESS_CPUTIME,
    THREAD_CPUTIME, MONOTONIC_RAW); 0, or -1 with EINVAL for other clocks."""
    source = _CLOCKS.get(arg_int(clock_id))
    if source is None:
        set_errno(vm, E.EINVAL)
        return -1
    seconds, nanos = divmod(source(), 1_000_000_000)
    vm.memory.write(ts, struct.pack("<qq", seconds, nanos), pc=vm.pc)
    return 0
