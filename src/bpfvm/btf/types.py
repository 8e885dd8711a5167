"""The typed model of BTF: one immutable value per type kind.

Follows the kernel's ``Documentation/bpf/btf.rst`` and ``include/uapi/linux/btf.h``: every type
is a :class:`Type` with its id, kind and name; the kind-specific data (an INT's encoding, a
STRUCT's members with bit offsets and bitfield sizes, an ENUM's values, a DATASEC's variables)
is in the subclass.  Type references stay ids (``type_id``): resolve them through
:class:`~bpfvm.btf.Btf` (``btf[type_id]``, ``btf.resolve``).  Type id 0 is ``void``
(:data:`VOID`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "VOID",
    "Array",
    "Const",
    "Datasec",
    "DeclTag",
    "Enum",
    "Enum64",
    "EnumValue",
    "Float",
    "Func",
    "FuncLinkage",
    "FuncProto",
    "Fwd",
    "Int",
    "IntEncoding",
    "Kind",
    "Member",
    "Param",
    "Ptr",
    "Restrict",
    "Struct",
    "Type",
    "TypeTag",
    "Typedef",
    "Union",
    "Var",
    "VarLinkage",
    "VarSecInfo",
    "Void",
    "Volatile",
]


class Kind(enum.IntEnum):
    """``BTF_KIND_*``: the kind field of ``btf_type.info`` (bits 24–28)."""

    UNKN = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19


class IntEncoding(enum.IntFlag):
    """``BTF_INT_*``: the encoding bits of an INT (bits 24–27 of the word after the type)."""

    NONE = 0
    SIGNED = 1
    CHAR = 2
    BOOL = 4


class FuncLinkage(enum.IntEnum):
    """``BTF_FUNC_*``: a FUNC's linkage (its vlen field)."""

    STATIC = 0
    GLOBAL = 1
    EXTERN = 2


class VarLinkage(enum.IntEnum):
    """``BTF_VAR_*``: a VAR's linkage."""

    STATIC = 0
    GLOBAL_ALLOCATED = 1
    GLOBAL_EXTERN = 2


@dataclass(frozen=True, slots=True)
class Type:
    """A BTF type: its id, kind and name (``""`` when anonymous)."""

    id: int
    kind: Kind
    name: str


@dataclass(frozen=True, slots=True)
class Void(Type):
    """Type id 0: ``void``, the target of ``void *`` and a function's missing return type."""


#: The one ``void`` type (id 0).
VOID = Void(0, Kind.UNKN, "")


@dataclass(frozen=True, slots=True)
class Int(Type):
    """An integer (or ``char``/``_Bool``) of ``size`` bytes holding ``bits`` bits from ``offset``."""

    size: int
    encoding: IntEncoding
    offset: int
    bits: int

    @property
    def signed(self) -> bool:
        """Whether the integer is signed (``BTF_INT_SIGNED``)."""
        return bool(self.encoding & IntEncoding.SIGNED)


@dataclass(frozen=True, slots=True)
class Float(Type):
    """A floating-point type of ``size`` bytes."""

    size: int


@dataclass(frozen=True, slots=True)
class _Ref(Type):
    """A kind whose only data is the type it refers to."""

    type_id: int


@dataclass(frozen=True, slots=True)
class Ptr(_Ref):
    """A pointer to ``type_id`` (pointer size 8 on BPF)."""


@dataclass(frozen=True, slots=True)
class Typedef(_Ref):
    """``typedef <type_id> name``."""


@dataclass(frozen=True, slots=True)
class Volatile(_Ref):
    """``volatile <type_id>``."""


@dataclass(frozen=True, slots=True)
class Const(_Ref):
    """``const <type_id>``."""


@dataclass(frozen=True, slots=True)
class Restrict(_Ref):
    """``restrict <type_id>``."""


@dataclass(frozen=True, slots=True)
class TypeTag(_Ref):
    """``<type_id> __attribute__((btf_type_tag(name)))``: a tag on a pointee type.

    ``kflag`` set (kernels ≥ 6.13): ``name`` is a whole attribute (``address_space(1)``).
    """

    kflag: bool = False


@dataclass(frozen=True, slots=True)
class Array(Type):
    """``type_id[nelems]`` indexed by ``index_type_id``."""

    type_id: int
    index_type_id: int
    nelems: int


@dataclass(frozen=True, slots=True)
class Member:
    """A STRUCT/UNION member: name, type, offset in bits, and bitfield width (0: not a bitfield)."""

    name: str
    type_id: int
    bit_offset: int
    bitfield_size: int

    @property
    def byte_offset(self) -> int:
        """The member's offset in bytes (rounded down for a bitfield)."""
        return self.bit_offset // 8


@dataclass(frozen=True, slots=True)
class _Composite(Type):
    """A STRUCT or UNION of ``size`` bytes; ``kflag`` set when members carry bitfield sizes."""

    size: int
    members: tuple[Member, ...]
    kflag: bool

    def member(self, name: str) -> Member:
        """The member called ``name``; raises KeyError if there is none."""
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(f"{self.kind.name.lower()} {self.name or '(anon)'} has no member {name!r}")


@dataclass(frozen=True, slots=True)
class Struct(_Composite):
    """``struct name { members }``."""


@dataclass(frozen=True, slots=True)
class Union(_Composite):
    """``union name { members }``."""


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One enumerator: name and value (signed or unsigned as the enum's ``signed`` says)."""

    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Enum(Type):
    """A 32-bit (or smaller) enum of ``size`` bytes; ``signed`` is the kind flag."""

    size: int
    values: tuple[EnumValue, ...]
    signed: bool


@dataclass(frozen=True, slots=True)
class Enum64(Type):
    """An enum with 64-bit values."""

    size: int
    values: tuple[EnumValue, ...]
    signed: bool


@dataclass(frozen=True, slots=True)
class Fwd(Type):
    """A forward declaration: ``struct name;`` or (``union`` true) ``union name;``."""

    union: bool


@dataclass(frozen=True, slots=True)
class Func(Type):
    """A function: ``type_id`` is its FUNC_PROTO."""

    type_id: int
    linkage: FuncLinkage | int


@dataclass(frozen=True, slots=True)
class Param:
    """A FUNC_PROTO parameter; the last one of a variadic function has name ``""`` and type 0."""

    name: str
    type_id: int


@dataclass(frozen=True, slots=True)
class FuncProto(Type):
    """A function signature: return type (0: void) and parameters."""

    type_id: int
    params: tuple[Param, ...]

    @property
    def variadic(self) -> bool:
        """Whether the last parameter is ``...``."""
        return bool(self.params) and self.params[-1].type_id == 0


@dataclass(frozen=True, slots=True)
class Var(Type):
    """A global variable of ``type_id``."""

    type_id: int
    linkage: VarLinkage | int


@dataclass(frozen=True, slots=True)
class VarSecInfo:
    """A DATASEC entry: the VAR (or FUNC, for ``.ksyms``) ``type_id`` at ``offset``, ``size`` bytes."""

    type_id: int
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Datasec(Type):
    """An ELF data section (``.data``, ``.bss``, ``.rodata``, ``.maps`` …) and its variables."""

    size: int
    vars: tuple[VarSecInfo, ...]


@dataclass(frozen=True, slots=True)
class DeclTag(Type):
    """``__attribute__((btf_decl_tag(name)))`` on ``type_id`` (a member/param when ``component_idx`` ≥ 0)."""

    type_id: int
    component_idx: int
    #: Set (kernels ≥ 6.13): ``name`` is a whole attribute, not a ``btf_decl_tag`` argument.
    kflag: bool = False
