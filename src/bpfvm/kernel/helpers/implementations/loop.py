"""``bpf_loop`` (kernel/bpf/bpf_iter.c): call a BPF callback ``nr_loops`` times.

The callback is a guest function address (``lddw`` of a ``.text`` symbol, or ``lddw src=4``);
it gets ``(index, callback_ctx)`` and returns 0 to go on, 1 to stop.
"""

from __future__ import annotations

import errno

from ..env import KernelEnv
from ..registry import implements

__all__ = ["BPF_MAX_LOOPS"]

#: The kernel's bound on bpf_loop iterations (and on open-coded iterator ranges).
BPF_MAX_LOOPS = 8 * 1024 * 1024


@implements("bpf_loop")
def bpf_loop(env: KernelEnv, nr_loops: int, callback: int, ctx: int, flags: int) -> int:
    """Run the callback; the number of calls made, -EINVAL for flags, -E2BIG past BPF_MAX_LOOPS."""
    nr_loops &= 0xFFFF_FFFF
    if flags:
        return -errno.EINVAL
    if nr_loops > BPF_MAX_LOOPS:
        return -errno.E2BIG
    call = env.vm.call
    for i in range(nr_loops):
        if call(callback, i, ctx):
            return i + 1
    return nr_loops
