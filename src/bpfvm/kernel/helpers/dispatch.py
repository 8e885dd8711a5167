"""How a VM's engines reach the helper table: the mapping they look helper ids up in, the load-time
checks (unimplemented helpers, the GPL rule), and kfunc binding by name.

Both engines call ``helpers.get(id)(r1, …, r5)`` (:func:`bpfvm.runtime.calls.runtime_namespace`);
a VM hands them a :class:`VmHelpers`: the embedder's ``vm.helpers`` first (they override by id),
then :data:`~.table.HELPERS` implementations bound to the VM's :class:`~.env.KernelEnv`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ...errors import BtfError, ProgramError
from ...program import Program
from .registry import KFUNCS, Impl
from .table import HELPERS

if TYPE_CHECKING:
    from .env import KernelEnv

__all__ = ["GPL_COMPATIBLE", "VmHelpers", "bind", "check_license", "kfunc_for", "license_of", "program_btf",
           "resolve_kfuncs", "vmlinux_btf"]

#: The licenses the kernel counts as GPL-compatible (include/linux/license.h).
GPL_COMPATIBLE = frozenset({"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                            "Dual MIT/GPL", "Dual MPL/GPL"})

HostFn = Callable[..., Any]


def bind(impl: Impl, env: KernelEnv, nargs: int) -> HostFn:
    """``impl(env, r1..r_nargs)`` as the engines call helpers: ``fn(r1, …, r5)``."""
    if nargs == 0:
        return lambda a, b, c, d, e: impl(env)
    if nargs == 1:
        return lambda a, b, c, d, e: impl(env, a)
    if nargs == 2:
        return lambda a, b, c, d, e: impl(env, a, b)
    if nargs == 3:
        return lambda a, b, c, d, e: impl(env, a, b, c)
    if nargs == 4:
        return lambda a, b, c, d, e: impl(env, a, b, c, d)
    return lambda a, b, c, d, e: impl(env, a, b, c, d, e)


class VmHelpers(Mapping[int, HostFn]):
    """The helpers a VM's programs may call by id: ``overrides`` (the live ``vm.helpers``
    dict) first, then the implemented kernel helpers bound to ``env``."""

    def __init__(self, overrides: Mapping[int, HostFn], env: KernelEnv) -> None:
        self.overrides = overrides
        self.kernel: dict[int, HostFn] = {
            h.id: bind(h.impl, env, getattr(h.impl, "bpf_nargs", len(h.proto.args)))
            for h in HELPERS.values() if h.impl is not None}

    def __getitem__(self, hid: int) -> HostFn:
        found = self.overrides.get(hid)
        return found if found is not None else self.kernel[hid]

    def get(self, hid: int, default: Any = None) -> Any:  # hot: one lookup per helper call
        found = self.overrides.get(hid)
        if found is None:
            return self.kernel.get(hid, default)
        return found

    def __contains__(self, hid: object) -> bool:
        return hid in self.overrides or hid in self.kernel

    def __iter__(self) -> Iterator[int]:
        yield from self.overrides
        yield from (h for h in self.kernel if h not in self.overrides)

    def __len__(self) -> int:
        return len(set(self.overrides) | set(self.kernel))


def license_of(program: Program) -> str | None:
    """The ``license`` section's string (up to its NUL), or None when the program has none."""
    for seg in program.segments:
        if seg.name == "license":
            return bytes(seg.data).split(b"\0", 1)[0].decode(errors="replace")
    return None


def check_license(program: Program, overrides: Mapping[int, HostFn]) -> None:
    """Refuse a non-GPL program's call to a GPL-only kernel helper, as the kernel's verifier does.

    Programs without a ``license`` section (bytecode, assembly) are not checked; helpers the
    embedder overrides in ``vm.helpers`` are the embedder's and not checked either.  Raises
    :class:`ProgramError` with the kernel's message and the instruction index.
    """
    licence = license_of(program)
    if licence is None or licence in GPL_COMPATIBLE:
        return
    for insn in program.insns:
        if insn.spec.op != "call" or insn.pc in program.externs or insn.imm in overrides:
            continue
        known = HELPERS.get(insn.imm)
        if known is not None and known.gpl_only:
            raise ProgramError(f"{known.name}#{known.id}: cannot call GPL-restricted function from "
                               f"non-GPL compatible program (license {licence!r})", insn.pc)


def kfunc_for(name: str, env: KernelEnv) -> HostFn | None:
    """The kfunc ``name`` bound to ``env`` as an intrinsic (``fn(r1..r5)``), or None."""
    found = KFUNCS.get(name)
    if found is None:
        return None
    nargs, impl = found
    return bind(impl, env, nargs)


_VMLINUX = "/sys/kernel/btf/vmlinux"


def program_btf(program: Program) -> Any:
    """The ``.BTF`` of the ELF object ``program`` was loaded from (a :class:`bpfvm.btf.Btf`), or
    None (bytecode, no file, no BTF).  Cached on the program."""
    cached = _BTF_CACHE.get(id(program))
    if cached is not None and cached[0] is program:
        return cached[1]
    btf = None
    if os.path.isfile(program.name):
        from ...btf import Btf
        from ...errors import BpfError

        try:
            btf = Btf.from_elf(program.name)
        except BpfError:
            btf = None
    _BTF_CACHE[id(program)] = (program, btf)
    return btf


_BTF_CACHE: dict[int, tuple[Program, Any]] = {}


@functools.cache
def vmlinux_btf() -> Any:
    """The running kernel's BTF (``/sys/kernel/btf/vmlinux``, read once), or None without it."""
    from ...btf import Btf

    return Btf.from_file(_VMLINUX) if os.path.exists(_VMLINUX) else None


def _kfunc_name(program: Program, btf_id: int) -> str | None:
    from ...btf import Func

    for btf in (program_btf(program), vmlinux_btf()):
        if btf is None:
            continue
        try:
            found = btf[btf_id]
        except (BtfError, KeyError, IndexError, ValueError):
            continue
        if isinstance(found, Func) and found.name in KFUNCS:
            return str(found.name)
    return None


def resolve_kfuncs(program: Program) -> Program:
    """``program`` with each ``call`` src=2 (kfunc by BTF id) turned into an extern call by name,
    the id looked up in the program's BTF, then the running kernel's vmlinux BTF.

    Raises :class:`ProgramError` naming the BTF id and instruction for an id that names no kfunc
    bpfvm implements (or a module kfunc, ``off`` != 0).
    """
    kfunc_calls = [i for i in program.insns if i.spec.op == "call_kfunc" and i.pc not in program.externs]
    if not kfunc_calls:
        return program
    externs = dict(program.externs)
    for insn in kfunc_calls:
        name = None if insn.off else _kfunc_name(program, insn.imm)
        if name is None:
            where = f" in module BTF {insn.off}" if insn.off else ""
            raise ProgramError(f"kfunc call of BTF id {insn.imm}{where}: no kfunc bpfvm implements has that "
                               "id", insn.pc)
        externs[insn.pc] = name
    return dataclasses.replace(program, externs=externs)
