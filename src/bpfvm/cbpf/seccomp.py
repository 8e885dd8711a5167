"""seccomp filters: classic programs over ``struct seccomp_data``, and the action they select.

A filter (as libseccomp's ``seccomp_export_bpf`` writes it: a raw ``struct sock_filter``
array) is checked like ``seccomp(SECCOMP_SET_MODE_FILTER)`` checks it (``bpf_check_classic``
then ``seccomp_check_filter``) and run over the 64-byte ``struct seccomp_data``
``{int nr; u32 arch; u64 instruction_pointer; u64 args[6]}`` (little endian).  With several
filters attached, the kernel (``seccomp_run_filters``) runs all of them, newest first, and
takes the return value whose action (``ret & 0xffff0000``, compared as a signed 32-bit value)
is lowest — KILL_PROCESS < KILL_THREAD < TRAP < ERRNO < USER_NOTIF < TRACE < LOG < ALLOW — the
newest winning ties.  An action value the kernel does not know kills the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import CbpfError
from .filter import Filter

__all__ = ["ACTIONS", "ARCHES", "Action", "SeccompData", "evaluate", "syscall_number"]

#: Actions by name → ``SECCOMP_RET_*`` value (``include/uapi/linux/seccomp.h``).
ACTIONS: dict[str, int] = {
    "KILL_PROCESS": 0x8000_0000,
    "KILL_THREAD": 0x0000_0000,
    "TRAP": 0x0003_0000,
    "ERRNO": 0x0005_0000,
    "USER_NOTIF": 0x7FC0_0000,
    "TRACE": 0x7FF0_0000,
    "LOG": 0x7FFC_0000,
    "ALLOW": 0x7FFF_0000,
}
_BY_VALUE = {v: k for k, v in ACTIONS.items()}
#: ``AUDIT_ARCH_*`` values by the names libseccomp and ``--arch`` use.
ARCHES: dict[str, int] = {
    "x86_64": 0xC000_003E,
    "x32": 0xC000_003E,
    "i386": 0x4000_0003,
    "x86": 0x4000_0003,
    "aarch64": 0xC000_00B7,
    "arm": 0x4000_0028,
    "riscv64": 0xC000_00F3,
    "ppc64le": 0xC000_0015,
    "ppc64": 0x8000_0015,
    "s390x": 0x8000_0016,
    "mips": 0x0000_0008,
    "mipsel": 0x4000_0008,
}
_DATA = struct.Struct("<iIQ6Q")


@dataclass(frozen=True, slots=True)
class SeccompData:
    """``struct seccomp_data``: the syscall a filter decides on."""

    nr: int
    arch: int = ARCHES["x86_64"]
    instruction_pointer: int = 0
    args: tuple[int, ...] = (0, 0, 0, 0, 0, 0)

    def pack(self) -> bytes:
        """The 64 bytes the filter's ``ld [k]`` reads."""
        args = tuple(a & 0xFFFF_FFFF_FFFF_FFFF for a in self.args) + (0,) * (6 - len(self.args))
        if len(args) != 6:
            raise CbpfError(f"a syscall has at most 6 arguments, not {len(self.args)}")
        return _DATA.pack(self.nr, self.arch, self.instruction_pointer, *args)


@dataclass(frozen=True, slots=True)
class Action:
    """A filter's verdict: ``name`` (``ERRNO`` …) and its 16-bit ``data``; ``raw`` is the
    32-bit return value."""

    name: str
    data: int
    raw: int

    @classmethod
    def from_value(cls, value: int) -> Action:
        """The action of a filter's return value (unknown actions: KILL_PROCESS)."""
        value &= 0xFFFF_FFFF
        return cls(_BY_VALUE.get(value & 0xFFFF_0000, "KILL_PROCESS"), value & 0xFFFF, value)

    def __str__(self) -> str:
        if self.name in ("ERRNO", "TRACE"):
            return f"{self.name}({self.data})"
        return self.name


def _rank(value: int) -> int:
    action = value & 0xFFFF_0000
    return action - (1 << 32) if action >> 31 else action


def evaluate(
    filters: Sequence[Filter | bytes], data: SeccompData | bytes, *, engine: str | None = None
) -> Action:
    """The action the kernel takes for ``data`` with ``filters`` attached (oldest first).

    Each filter is checked first (:func:`~bpfvm.cbpf.check.check_seccomp`, raising
    :class:`~bpfvm.cbpf.errors.CheckError`); ``engine`` (``interpreter``/``jit``) runs the
    converted eBPF instead of the classic interpreter.  Raises :class:`CbpfError` without filters.
    """
    if not filters:
        raise CbpfError("no seccomp filter given")
    raw = data.pack() if isinstance(data, SeccompData) else bytes(data)
    if len(raw) != 64:
        raise CbpfError(f"struct seccomp_data is 64 bytes, not {len(raw)}")
    best: int | None = None
    for item in reversed(filters):
        filt = item if isinstance(item, Filter) else Filter.from_bytes(item)
        filt.check("seccomp")
        value = filt.engine(engine, "seccomp").run(raw) if engine else filt.run(raw, flavour="seccomp")
        if best is None or _rank(value) < _rank(best):
            best = value
    assert best is not None
    return Action.from_value(best)


@functools.cache
def _libseccomp() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    return lib


def syscall_number(name: str, arch: str = "x86_64") -> int:
    """A syscall's number: a decimal string as is, a name through libseccomp's table for
    ``arch``; raises :class:`CbpfError` for an unknown name or without libseccomp."""
    if name.lstrip("-").isdigit():
        return int(name)
    lib = _libseccomp()
    if lib is None:
        raise CbpfError(f"syscall name {name!r} needs libseccomp (libseccomp2); pass a number instead")
    nr = lib.seccomp_syscall_resolve_name_arch(ARCHES[arch], name.encode())
    if nr < 0:
        raise CbpfError(f"unknown syscall {name!r} on {arch}")
    return int(nr) | (0x4000_0000 if arch == "x32" else 0)
