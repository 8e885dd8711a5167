"""The map helpers of :mod:`bpfvm.kernel.maps.helpers` (map lookup/update/delete, queue/stack,
for_each, per-CPU lookup, ringbuf, perf events, arena kfuncs), registered in the helper table.

Those take ``(vm, r1, …, r5)``; this module adapts them to the table's ``(env, r1, …, r5)``.
"""

from __future__ import annotations

from collections.abc import Callable

from ...maps.helpers import MAP_HELPERS
from ..env import KernelEnv
from ..registry import implements, kfunc

__all__: list[str] = []

#: Map helper names that are kfuncs, not helper ids.
_KFUNCS = frozenset({"bpf_arena_alloc_pages", "bpf_arena_free_pages"})


def _adapt(fn: Callable[..., int]) -> Callable[..., int]:
    def helper(env: KernelEnv, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        return fn(env.vm, r1, r2, r3, r4, r5)
    helper.__doc__ = fn.__doc__
    helper.__name__ = fn.__name__
    return helper


for _name, _fn in MAP_HELPERS.items():
    if _name in _KFUNCS:
        kfunc(_name, 5)(_adapt(_fn))
    else:
        implements(_name, nargs=5)(_adapt(_fn))
