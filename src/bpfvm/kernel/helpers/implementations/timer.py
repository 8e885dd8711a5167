"""BPF timers: ``bpf_timer_init``, ``_set_callback``, ``_start``, ``_cancel`` (kernel/bpf/helpers.c)
on the VM's clock.

A ``struct bpf_timer`` (16 bytes inside a map value) holds bpfvm's handle in its first 8 bytes.
A started timer fires when the clock reaches its deadline: with a
:class:`~..env.VirtualClock` (``vm.kernel.use_virtual_clock()``) on ``clock.advance(ns)``, with
the real clock on :func:`fire_due` (``vm.kernel`` → ``fire_due(env, now)``).  The callback runs
as the kernel calls it, ``callback(map, key, value)``; bpfvm passes the map pointer given to
``bpf_timer_init``, and for key and value the addresses the map reports for the element holding
the timer when the map can tell (else 0 and the timer's own address).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from ..env import KernelEnv
from ..registry import implements

__all__ = ["Timer", "fire_due"]

#: Clock ids bpf_timer_init accepts: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME; MAX_CLOCKS.
_CLOCKS, _MAX_CLOCKS = (0, 1, 7), 16
#: bpf_timer_start flags: BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN.
_ABS, _CPU_PIN = 1, 2


@dataclass
class Timer:
    """One initialised bpf_timer."""

    address: int
    map: int
    clock: int
    callback: int = 0
    deadline: int | None = None
    running: bool = False


def _timers(env: KernelEnv) -> dict[int, Timer]:
    table: dict[int, Timer] = env.state.setdefault("timers", {})
    return table


def _find(env: KernelEnv, address: int) -> Timer | None:
    handle = env.memory.load(address, 8)
    timer = _timers(env).get(handle)
    return timer if timer is not None and timer.address == address else None


@implements("bpf_timer_init")
def timer_init(env: KernelEnv, timer: int, map_ptr: int, flags: int) -> int:
    """Initialise the timer at ``timer``; 0, -EBUSY if it already is, -EINVAL for a bad clock."""
    if flags >= _MAX_CLOCKS or flags not in _CLOCKS:
        return -errno.EINVAL
    if _find(env, timer) is not None:
        return -errno.EBUSY
    table = _timers(env)
    handle = len(table) + 1
    while handle in table:
        handle += 1
    table[handle] = Timer(timer, map_ptr, flags)
    env.memory.store(timer, 8, handle)
    return 0


@implements("bpf_timer_set_callback")
def timer_set_callback(env: KernelEnv, timer: int, callback: int) -> int:
    """Set the callback; 0, or -EINVAL for an uninitialised timer."""
    found = _find(env, timer)
    if found is None:
        return -errno.EINVAL
    found.callback = callback
    return 0


@implements("bpf_timer_start")
def timer_start(env: KernelEnv, timer: int, nsecs: int, flags: int) -> int:
    """Arm the timer ``nsecs`` from now (or at ``nsecs`` with BPF_F_TIMER_ABS); 0 or -EINVAL."""
    found = _find(env, timer)
    if flags & ~(_ABS | _CPU_PIN) or found is None or not found.callback:
        return -errno.EINVAL
    found.deadline = nsecs if flags & _ABS else env.clock.monotonic_ns() + nsecs
    return 0


@implements("bpf_timer_cancel")
def timer_cancel(env: KernelEnv, timer: int) -> int:
    """Disarm the timer; 1 if it was armed, 0 if not, -EINVAL uninitialised, -EDEADLK from its
    own callback."""
    found = _find(env, timer)
    if found is None:
        return -errno.EINVAL
    if found.running:
        return -errno.EDEADLK
    armed = found.deadline is not None
    found.deadline = None
    return int(armed)


def _element(env: KernelEnv, timer: Timer) -> tuple[int, int]:
    """(key address, value address) of the map element holding ``timer`` (the key copied to the
    map space's scratch page), else (0, the timer's address)."""
    space = env.vm.map_space
    binding = space.binding(timer.map) or space.containing(timer.address)
    if binding is not None and binding.region is not None and timer.address in binding.region:
        m = binding.map
        for key, offset in m.prog_items(space.cpu):
            value = binding.address(offset)
            if value <= timer.address < value + m.value_size:
                scratch = space.scratch()
                env.memory.write(scratch, key)
                return scratch, value
    return 0, timer.address


def fire_due(env: KernelEnv, now: int) -> int:
    """Run the callbacks of the timers due at ``now`` (in deadline order); return how many ran.

    Raises whatever a callback raises (:class:`~bpfvm.errors.VmTrap`).
    """
    ran = 0
    while True:
        due = [t for t in _timers(env).values() if t.deadline is not None and t.deadline <= now]
        if not due:
            return ran
        timer = min(due, key=lambda t: t.deadline or 0)
        timer.deadline = None
        key, value = _element(env, timer)
        timer.running = True
        try:
            env.vm.invoke(timer.callback, timer.map, key, value)
        finally:
            timer.running = False
        ran += 1
