"""BTF, the BPF Type Format: reading ``.BTF``/``.BTF.ext``, a typed model, and dumps.

``bpfvm.btf.parse(data, base=None)`` reads a raw blob (split BTF on top of ``base``);
``Btf.from_elf(path_or_bytes)`` an object's ``.BTF`` and ``.BTF.ext``; ``Btf.from_file(path)``
either.  ``btf[type_id]`` is an immutable typed value (:mod:`.types`); ``btf.find``,
``btf.resolve``, ``btf.size_of``, ``btf.align_of`` and ``btf.datasec`` answer the questions the
loader, the maps and the skeleton ask.  Follows the kernel's ``Documentation/bpf/btf.rst``.
"""

from .ext import BtfExt, CoreRelo, CoreReloKind, FuncInfo, LineInfo, parse_ext
from .reader import BTF_MAGIC, Btf, DatasecVar, parse
from .types import (
    VOID,
    Array,
    Const,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    EnumValue,
    Float,
    Func,
    FuncLinkage,
    FuncProto,
    Fwd,
    Int,
    IntEncoding,
    Kind,
    Member,
    Param,
    Ptr,
    Restrict,
    Struct,
    Type,
    Typedef,
    TypeTag,
    Union,
    Var,
    VarLinkage,
    VarSecInfo,
    Void,
    Volatile,
)

__all__ = [
    "BTF_MAGIC", "VOID", "Array", "Btf", "BtfExt", "Const", "CoreRelo", "CoreReloKind", "Datasec",
    "DatasecVar", "DeclTag", "Enum", "Enum64", "EnumValue", "Float", "Func", "FuncInfo", "FuncLinkage",
    "FuncProto", "Fwd", "Int", "IntEncoding", "Kind", "LineInfo", "Member", "Param", "Ptr", "Restrict",
    "Struct", "Type", "TypeTag", "Typedef", "Union", "Var", "VarLinkage", "VarSecInfo", "Void",
    "Volatile", "parse", "parse_ext",
]
