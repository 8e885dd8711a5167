"""Helper prototypes as the kernel's ``struct bpf_func_proto`` states them (include/linux/bpf.h).

A :class:`Proto` is the return type and up to five argument types, each a base type
(:class:`ArgType` / :class:`RetType`, the kernel's ``enum bpf_arg_type`` / ``enum
bpf_return_type`` without their ``ARG_``/``RET_`` prefix) plus the kernel's modifier bits
(:class:`TypeFlag`: ``MEM_RDONLY``, ``PTR_MAYBE_NULL``, ``MEM_UNINIT``, ``MEM_WRITE`` …).  The
kernel's composite names are spelled as they are in its headers: ``ARG_PTR_TO_UNINIT_MEM`` is
``PTR_TO_MEM | MEM_UNINIT | MEM_WRITE``, ``ARG_PTR_TO_MAP_VALUE_OR_NULL`` is ``PTR_TO_MAP_VALUE |
PTR_MAYBE_NULL``, ``RET_PTR_TO_RINGBUF_MEM_OR_NULL`` is ``PTR_TO_MEM | MEM_RINGBUF |
PTR_MAYBE_NULL``; :func:`parse_arg` and :func:`parse_ret` read those names.

Values are immutable; nothing here depends on the engines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Arg", "ArgType", "Proto", "Ret", "RetType", "TypeFlag", "parse_arg", "parse_ret"]


class ArgType(enum.Enum):
    """``enum bpf_arg_type``: what the verifier demands of one argument register."""

    DONTCARE = "ARG_DONTCARE"  #: unused argument
    CONST_MAP_PTR = "ARG_CONST_MAP_PTR"  #: a map (lddw of a map fd)
    PTR_TO_MAP_KEY = "ARG_PTR_TO_MAP_KEY"  #: memory of the map's key_size, read
    PTR_TO_MAP_VALUE = "ARG_PTR_TO_MAP_VALUE"  #: memory of the map's value_size
    PTR_TO_MEM = "ARG_PTR_TO_MEM"  #: memory sized by the next ARG_CONST_SIZE* argument
    PTR_TO_ARENA = "ARG_PTR_TO_ARENA"  #: an arena pointer
    CONST_SIZE = "ARG_CONST_SIZE"  #: size > 0 of the preceding memory argument
    CONST_SIZE_OR_ZERO = "ARG_CONST_SIZE_OR_ZERO"  #: size >= 0 of the preceding memory argument
    PTR_TO_CTX = "ARG_PTR_TO_CTX"  #: the program's context pointer
    ANYTHING = "ARG_ANYTHING"  #: any initialised value
    PTR_TO_SPIN_LOCK = "ARG_PTR_TO_SPIN_LOCK"  #: a struct bpf_spin_lock inside a map value
    PTR_TO_SOCK_COMMON = "ARG_PTR_TO_SOCK_COMMON"  #: sock_common
    PTR_TO_SOCKET = "ARG_PTR_TO_SOCKET"  #: a full socket
    PTR_TO_BTF_ID = "ARG_PTR_TO_BTF_ID"  #: a kernel object of the BTF type in ``btf``
    PTR_TO_RINGBUF_MEM = "ARG_PTR_TO_RINGBUF_MEM"  #: a ringbuf record from bpf_ringbuf_reserve
    CONST_ALLOC_SIZE_OR_ZERO = "ARG_CONST_ALLOC_SIZE_OR_ZERO"  #: a constant allocation size
    PTR_TO_BTF_ID_SOCK_COMMON = "ARG_PTR_TO_BTF_ID_SOCK_COMMON"  #: sock_common or a BTF socket
    PTR_TO_PERCPU_BTF_ID = "ARG_PTR_TO_PERCPU_BTF_ID"  #: a per-CPU kernel variable
    PTR_TO_FUNC = "ARG_PTR_TO_FUNC"  #: a BPF function (callback), lddw src=4
    PTR_TO_STACK = "ARG_PTR_TO_STACK"  #: a stack pointer (callback context)
    PTR_TO_CONST_STR = "ARG_PTR_TO_CONST_STR"  #: a NUL-terminated string in a read-only map
    PTR_TO_TIMER = "ARG_PTR_TO_TIMER"  #: a struct bpf_timer inside a map value
    KPTR_XCHG_DEST = "ARG_KPTR_XCHG_DEST"  #: a kptr field of a map value (kptr_xchg)
    PTR_TO_DYNPTR = "ARG_PTR_TO_DYNPTR"  #: a struct bpf_dynptr on the stack


class RetType(enum.Enum):
    """``enum bpf_return_type``: what r0 holds after the call."""

    INTEGER = "RET_INTEGER"  #: a scalar
    VOID = "RET_VOID"  #: nothing (r0 is unknown)
    PTR_TO_MAP_VALUE = "RET_PTR_TO_MAP_VALUE"  #: a value of the map argument
    PTR_TO_SOCKET = "RET_PTR_TO_SOCKET"  #: a full socket
    PTR_TO_TCP_SOCK = "RET_PTR_TO_TCP_SOCK"  #: a tcp socket
    PTR_TO_SOCK_COMMON = "RET_PTR_TO_SOCK_COMMON"  #: sock_common
    PTR_TO_MEM = "RET_PTR_TO_MEM"  #: memory of a size the verifier knows
    PTR_TO_MEM_OR_BTF_ID = "RET_PTR_TO_MEM_OR_BTF_ID"  #: per-CPU variable memory or a BTF object
    PTR_TO_BTF_ID = "RET_PTR_TO_BTF_ID"  #: a kernel object of the BTF type in ``btf``


class TypeFlag(enum.Flag):
    """The kernel's ``enum bpf_type_flag`` bits that helper prototypes use."""

    NONE = 0
    PTR_MAYBE_NULL = enum.auto()  #: NULL allowed (argument) / possible (return)
    MEM_RDONLY = enum.auto()  #: the helper only reads the memory
    MEM_RINGBUF = enum.auto()  #: ringbuf memory (reserve/submit)
    MEM_UNINIT = enum.auto()  #: the memory may be uninitialised: the helper fills it
    MEM_WRITE = enum.auto()  #: the helper writes the memory
    MEM_FIXED_SIZE = enum.auto()  #: the size is the proto's ``size`` for this argument
    MEM_ALIGNED = enum.auto()  #: the memory must be aligned to its size
    OBJ_RELEASE = enum.auto()  #: the helper releases (consumes) the reference passed
    DYNPTR_TYPE_LOCAL = enum.auto()  #: a dynptr over local memory
    DYNPTR_TYPE_RINGBUF = enum.auto()  #: a dynptr over a ringbuf record
    MEM_ALLOC = enum.auto()  #: memory from the BPF allocator
    PTR_TRUSTED = enum.auto()  #: a trusted kernel pointer
    MEM_RCU = enum.auto()  #: a pointer valid under RCU
    MEM_PERCPU = enum.auto()  #: per-CPU memory


#: The kernel's composite names for argument and return types (base, flags).
_ARG_ALIASES: dict[str, tuple[ArgType, TypeFlag]] = {
    "PTR_TO_MAP_VALUE_OR_NULL": (ArgType.PTR_TO_MAP_VALUE, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_MEM_OR_NULL": (ArgType.PTR_TO_MEM, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_CTX_OR_NULL": (ArgType.PTR_TO_CTX, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_SOCKET_OR_NULL": (ArgType.PTR_TO_SOCKET, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_STACK_OR_NULL": (ArgType.PTR_TO_STACK, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_BTF_ID_OR_NULL": (ArgType.PTR_TO_BTF_ID, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_UNINIT_MEM": (ArgType.PTR_TO_MEM, TypeFlag.MEM_UNINIT | TypeFlag.MEM_WRITE),
    "PTR_TO_FIXED_SIZE_MEM": (ArgType.PTR_TO_MEM, TypeFlag.MEM_FIXED_SIZE),
}
_RET_ALIASES: dict[str, tuple[RetType, TypeFlag]] = {
    "PTR_TO_MAP_VALUE_OR_NULL": (RetType.PTR_TO_MAP_VALUE, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_SOCKET_OR_NULL": (RetType.PTR_TO_SOCKET, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_TCP_SOCK_OR_NULL": (RetType.PTR_TO_TCP_SOCK, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_SOCK_COMMON_OR_NULL": (RetType.PTR_TO_SOCK_COMMON, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_RINGBUF_MEM_OR_NULL": (RetType.PTR_TO_MEM, TypeFlag.MEM_RINGBUF | TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_DYNPTR_MEM_OR_NULL": (RetType.PTR_TO_MEM, TypeFlag.PTR_MAYBE_NULL),
    "PTR_TO_BTF_ID_OR_NULL": (RetType.PTR_TO_BTF_ID, TypeFlag.PTR_MAYBE_NULL),
}


@dataclass(frozen=True)
class Arg:
    """One argument of a prototype: base type, flags, the BTF type name of ``PTR_TO_BTF_ID``
    arguments (``btf``), and the byte size of ``MEM_FIXED_SIZE`` memory (``size``)."""

    type: ArgType
    flags: TypeFlag = TypeFlag.NONE
    btf: str | None = None
    size: int | None = None

    def __str__(self) -> str:
        return _spell(self.type.value, self.flags)


@dataclass(frozen=True)
class Ret:
    """The return type of a prototype (base type, flags, BTF type name of BTF returns)."""

    type: RetType
    flags: TypeFlag = TypeFlag.NONE
    btf: str | None = None

    def __str__(self) -> str:
        return _spell(self.type.value, self.flags)


@dataclass(frozen=True)
class Proto:
    """A helper's ``bpf_func_proto``: return type and the argument types of r1..r(len(args))."""

    ret: Ret
    args: tuple[Arg, ...]

    def __str__(self) -> str:
        return f"{self.ret} ({', '.join(str(a) for a in self.args)})"


def _spell(base: str, flags: TypeFlag) -> str:
    names = [f.name for f in TypeFlag if f in flags and f.name and f is not TypeFlag.NONE]
    return " | ".join([base, *names])


def _split(text: str) -> tuple[str, TypeFlag, str | None, int | None]:
    """``"PTR_TO_BTF_ID|PTR_MAYBE_NULL:task_struct"`` → base name, flags, BTF name, size."""
    head, _, tail = text.partition(":")
    base, *flag_names = (part.strip() for part in head.split("|"))
    flags = TypeFlag.NONE
    for name in flag_names:
        flags |= TypeFlag[name]
    btf = size = None
    if tail:
        if tail.isdigit():
            size = int(tail)
        else:
            btf = tail
    return base, flags, btf, size


def parse_arg(text: str) -> Arg:
    """An :class:`Arg` from the kernel's spelling (``ARG_`` prefix optional), ``|FLAG``s, and
    ``:btf_type`` or ``:size``.  Raises ``KeyError`` for an unknown name."""
    base, flags, btf, size = _split(text.removeprefix("ARG_"))
    if base in _ARG_ALIASES:
        kind, extra = _ARG_ALIASES[base]
        return Arg(kind, extra | flags, btf, size)
    return Arg(ArgType[base], flags, btf, size)


def parse_ret(text: str) -> Ret:
    """A :class:`Ret` from the kernel's spelling (``RET_`` prefix optional).  Raises ``KeyError``."""
    base, flags, btf, _ = _split(text.removeprefix("RET_"))
    if base in _RET_ALIASES:
        kind, extra = _RET_ALIASES[base]
        return Ret(kind, extra | flags, btf)
    return Ret(RetType[base], flags, btf)
