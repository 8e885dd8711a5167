"""Where helper implementations register themselves (by helper name) for :mod:`.table`.

An implementation is a function ``impl(env, arg1, …, argN) -> int`` taking the VM's
:class:`~bpfvm.kernel.helpers.env.KernelEnv` and exactly as many register arguments as the
helper's prototype has (r1..rN, unsigned 64-bit ints); it returns r0 (a negative errno is
returned as such and wraps to u64).  ``@implements("bpf_ktime_get_ns")`` registers one.
Kfuncs (called by name or BTF id, not by helper id) register with ``@kfunc(name, nargs)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["IMPLEMENTATIONS", "KFUNCS", "Impl", "implements", "kfunc"]

Impl = Callable[..., int]
F = TypeVar("F", bound=Callable[..., Any])

#: Helper name (``bpf_…``) → implementation.
IMPLEMENTATIONS: dict[str, Impl] = {}
#: Kfunc name → (number of register arguments, implementation).
KFUNCS: dict[str, tuple[int, Impl]] = {}


def implements(name: str, nargs: int | None = None) -> Callable[[F], F]:
    """Register the decorated function as the implementation of helper ``name``; ``nargs``
    overrides the prototype's argument count (bpf_trace_printk's varargs in r3..r5)."""
    def register(fn: F) -> F:
        if name in IMPLEMENTATIONS:
            raise ValueError(f"helper {name} is implemented twice")
        if nargs is not None:
            fn.bpf_nargs = nargs  # type: ignore[attr-defined]
        IMPLEMENTATIONS[name] = fn
        return fn
    return register


def kfunc(name: str, nargs: int) -> Callable[[F], F]:
    """Register the decorated function as the kfunc ``name`` taking ``nargs`` register arguments."""
    def register(fn: F) -> F:
        KFUNCS[name] = (nargs, fn)
        return fn
    return register
