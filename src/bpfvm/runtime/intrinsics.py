"""Intrinsics: host functions that BPF code calls by symbol name.

A call to an undefined symbol (``call -1`` + ``R_BPF_64_32``, which the ELF loader records as
an *extern*) is bound, when a VM first runs the program, to the intrinsic of that name: one the
user registered in :attr:`VM.intrinsics <bpfvm.VM.intrinsics>`, else bpfvm's libc.

How an intrinsic is called follows its signature, inspected once:

* positional parameters receive r1, r2, … (ints, at most five);
* a parameter named ``vm`` receives the VM (``vm.memory``, ``vm.pc``, ``vm.regs`` …);
* a parameter named ``regs`` (or ``reg``) receives the registers as a list, r0..r10
  (r1–r5 and r10 are the live values at the call; the seed's ``lambda reg: reg[1] + reg[2]``);
* ``*args`` receives all of r1..r5.

The return value becomes r0 (``None`` → 0, ints masked to 64 bits).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Intrinsic", "IntrinsicTable", "intrinsic"]

_CONTEXT = ("vm", "regs", "reg")


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A host function and how to call it (see the module docstring)."""

    name: str
    fn: Callable[..., Any]
    nargs: int  #: register arguments taken, r1..r{nargs}
    context: tuple[str, ...]  #: context parameters by name: "vm", "regs"/"reg"

    @classmethod
    def of(cls, name: str, fn: Callable[..., Any]) -> Intrinsic:
        """Describe ``fn`` as intrinsic ``name`` by inspecting its signature."""
        if isinstance(fn, Intrinsic):
            return fn
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):  # builtins without signatures: pass all registers
            return cls(name, fn, 5, ())
        context = tuple(p.name for p in params if p.name in _CONTEXT)
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            return cls(name, fn, 5, context)
        positional = [p for p in params if p.name not in _CONTEXT
                      and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(positional) > 5:
            raise TypeError(f"intrinsic {name!r} takes {len(positional)} arguments; BPF passes at most 5")
        return cls(name, fn, len(positional), context)

    def bind(self, vm: Any, regs: list[int]) -> Callable[..., Any]:
        """A callable taking r1..r5 that calls the intrinsic with its context filled in.

        ``regs`` is the list the VM keeps current at each call (given to ``regs`` parameters).
        """
        fn, nargs = self.fn, self.nargs
        kwargs: dict[str, Any] = {}
        for name in self.context:
            kwargs[name] = vm if name == "vm" else regs
        lead = tuple(kwargs.pop(name) for name in _leading_context(fn))
        if lead:  # ``def strlen(vm, s)``: context before the registers goes by position
            return lambda *r: fn(*lead, *r[:nargs], **kwargs)
        if not kwargs:
            return lambda *r: fn(*r[:nargs])
        return lambda *r: fn(*r[:nargs], **kwargs)


def _leading_context(fn: Callable[..., Any]) -> tuple[str, ...]:
    """Names of the context parameters that come, positionally, before every register one."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ()
    names: list[str] = []
    for p in params:
        if p.name not in _CONTEXT or p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    return tuple(names)


def intrinsic(name: str | None = None) -> Callable[[Callable[..., Any]], Intrinsic]:
    """Decorator: describe a function as an intrinsic (named after it unless ``name`` is given)."""
    def wrap(fn: Callable[..., Any]) -> Intrinsic:
        return Intrinsic.of(name or fn.__name__, fn)
    return wrap


class IntrinsicTable(MutableMapping[str, Any]):
    """Name → intrinsic; assign by item or attribute (``vm.intrinsics.get = fn``)."""

    _table: dict[str, Intrinsic]

    def __init__(self) -> None:
        object.__setattr__(self, "_table", {})

    def __getitem__(self, name: str) -> Intrinsic:
        return self._table[name]

    def __setitem__(self, name: str, fn: Any) -> None:
        self._table[name] = Intrinsic.of(name, fn)

    def __delitem__(self, name: str) -> None:
        del self._table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __getattr__(self, name: str) -> Intrinsic:
        try:
            return self._table[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, fn: Callable[..., Any]) -> None:
        self[name] = fn

    def __delattr__(self, name: str) -> None:
        del self[name]
