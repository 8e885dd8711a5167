"""Writing BTF: encoding typed values back to a blob, and deduplicating types as libbpf does.

:class:`BtfWriter` lays out the header, type section and string section of
``Documentation/bpf/btf.rst`` (little-endian, strings interned so that each appears once, the
empty string at offset 0).  :func:`encode` writes a parsed :class:`~bpfvm.btf.Btf` back;
:func:`dedup` and :func:`merge` (the linker's step) collapse structurally identical types the
way libbpf's ``btf__dedup`` does: strings are deduplicated, two types are the same when their
kinds, names and kind data agree and the types they refer to are the same (computed as the
coarsest partition stable under references, so recursive structs through pointers merge), a
FWD whose name belongs to exactly one STRUCT (or UNION) is resolved to it, and VARs and
DATASECs are never merged.  Type order follows the first occurrence of each distinct type.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Sequence

from ..errors import BtfError
from .reader import BTF_MAGIC, Btf, parse
from .types import (
    Array,
    Datasec,
    DeclTag,
    Enum,
    Enum64,
    Float,
    Func,
    FuncProto,
    Fwd,
    Int,
    Kind,
    Member,
    Param,
    Struct,
    Type,
    TypeTag,
    Union,
    Var,
    VarSecInfo,
    _Ref,
)

__all__ = ["BtfWriter", "dedup", "encode", "merge", "remap"]


class BtfWriter:
    """Builds a BTF blob type by type; ids are assigned in the order of :meth:`add` from 1
    (or after ``base``'s last id, for split BTF).  Type references must already be in that
    numbering."""

    def __init__(self, base: Btf | None = None, strings: bytes = b"") -> None:
        """``strings``: a string section to start from (kept as is, so that offsets into it —
        a ``.BTF.ext``'s file names and source lines — stay valid)."""
        self.base = base
        self._strings: dict[str, int] = {}
        self._string_parts: list[bytes] = []
        self._string_len = 0
        self._types: list[bytes] = []
        if base is None and not strings.startswith(b"\0"):
            strings = b"\0" + strings
        start = base.string_end if base is not None else 0
        self._string_parts.append(strings)
        self._string_len = len(strings)
        pos = 0
        for text in strings.split(b"\0")[:-1] if strings else []:
            self._strings.setdefault(text.decode("utf-8", "replace"), start + pos)
            pos += len(text) + 1
        self._strings[""] = 0
        self.next_id = 1 if base is None else len(base) + 1

    def string(self, text: str) -> int:
        """The offset of ``text`` in the string section, adding it on first use."""
        if not text:
            return 0
        found = self._strings.get(text)
        if found is None:
            data = text.encode() + b"\0"
            found = self._strings[text] = self._string_len + (self.base.string_end if self.base else 0)
            self._string_parts.append(data)
            self._string_len += len(data)
        return found

    def add(self, t: Type) -> int:
        """Append type ``t`` (its ``id`` is ignored) and return the id it gets."""
        self._types.append(_pack(t, self.string))
        self.next_id += 1
        return self.next_id - 1

    def to_bytes(self) -> bytes:
        """The blob: header, types, strings."""
        types = b"".join(self._types)
        strings = b"".join(self._string_parts)
        header = struct.pack("<HBBIIIII", BTF_MAGIC, 1, 0, 24, 0, len(types), len(types), len(strings))
        return header + types + strings


def _info(kind: Kind, vlen: int = 0, kflag: bool = False) -> int:
    return (1 << 31 if kflag else 0) | int(kind) << 24 | vlen


def _pack(t: Type, string: Callable[[str], int]) -> bytes:
    """The ``btf_type`` and kind data of ``t``."""
    name = string(t.name)
    head = struct.Struct("<III").pack
    if isinstance(t, Int):
        word = int(t.encoding) << 24 | t.offset << 16 | t.bits
        return head(name, _info(t.kind), t.size) + struct.pack("<I", word)
    if isinstance(t, TypeTag):
        return head(name, _info(t.kind, 0, t.kflag), t.type_id)
    if isinstance(t, _Ref):
        return head(name, _info(t.kind), t.type_id)
    if isinstance(t, Array):
        return head(name, _info(t.kind), 0) + struct.pack("<III", t.type_id, t.index_type_id, t.nelems)
    if isinstance(t, (Struct, Union)):
        body = b"".join(struct.pack("<III", string(m.name), m.type_id,
                                    m.bitfield_size << 24 | m.bit_offset if t.kflag else m.bit_offset)
                        for m in t.members)
        return head(name, _info(t.kind, len(t.members), t.kflag), t.size) + body
    if isinstance(t, Enum):
        body = b"".join(struct.pack("<II", string(v.name), v.value & 0xFFFFFFFF) for v in t.values)
        return head(name, _info(t.kind, len(t.values), t.signed), t.size) + body
    if isinstance(t, Enum64):
        body = b"".join(struct.pack("<III", string(v.name), v.value & 0xFFFFFFFF, v.value >> 32 & 0xFFFFFFFF)
                        for v in t.values)
        return head(name, _info(t.kind, len(t.values), t.signed), t.size) + body
    if isinstance(t, Fwd):
        return head(name, _info(t.kind, 0, t.union), 0)
    if isinstance(t, Func):
        return head(name, _info(t.kind, int(t.linkage)), t.type_id)
    if isinstance(t, FuncProto):
        body = b"".join(struct.pack("<II", string(p.name), p.type_id) for p in t.params)
        return head(name, _info(t.kind, len(t.params)), t.type_id) + body
    if isinstance(t, Var):
        return head(name, _info(t.kind), t.type_id) + struct.pack("<I", int(t.linkage))
    if isinstance(t, Datasec):
        body = b"".join(struct.pack("<III", v.type_id, v.offset, v.size) for v in t.vars)
        return head(name, _info(t.kind, len(t.vars)), t.size) + body
    if isinstance(t, Float):
        return head(name, _info(t.kind), t.size)
    if isinstance(t, DeclTag):
        return head(name, _info(t.kind, 0, t.kflag), t.type_id) + struct.pack("<i", t.component_idx)
    raise BtfError(f"cannot encode a {t.kind.name}", t.id)


def encode(btf: Btf) -> bytes:
    """``btf``'s own types written back as a blob (split on ``btf.base`` when it has one).

    The string section is kept, so a blob as clang, pahole or this module write it (each
    string once) comes back byte for byte.
    """
    writer = BtfWriter(btf.base, btf.strs)
    for t in btf:
        writer.add(t)
    return writer.to_bytes()


# -- references ---------------------------------------------------------------------------------

def references(t: Type) -> tuple[int, ...]:
    """The type ids ``t`` refers to, in a fixed order (what :func:`remap` rewrites)."""
    if isinstance(t, (_Ref, Func, Var, DeclTag)):
        return (t.type_id,)
    if isinstance(t, Array):
        return (t.type_id, t.index_type_id)
    if isinstance(t, (Struct, Union)):
        return tuple(m.type_id for m in t.members)
    if isinstance(t, FuncProto):
        return (t.type_id, *(p.type_id for p in t.params))
    if isinstance(t, Datasec):
        return tuple(v.type_id for v in t.vars)
    return ()


def remap(t: Type, new_id: int, f: Callable[[int], int]) -> Type:
    """``t`` with id ``new_id`` and every type reference ``r`` replaced by ``f(r)``."""
    if isinstance(t, (_Ref, Func, Var, DeclTag)):
        return dataclasses.replace(t, id=new_id, type_id=f(t.type_id))
    if isinstance(t, Array):
        return dataclasses.replace(t, id=new_id, type_id=f(t.type_id), index_type_id=f(t.index_type_id))
    if isinstance(t, (Struct, Union)):
        members = tuple(Member(m.name, f(m.type_id), m.bit_offset, m.bitfield_size) for m in t.members)
        return dataclasses.replace(t, id=new_id, members=members)
    if isinstance(t, FuncProto):
        params = tuple(Param(p.name, f(p.type_id)) for p in t.params)
        return dataclasses.replace(t, id=new_id, type_id=f(t.type_id), params=params)
    if isinstance(t, Datasec):
        return dataclasses.replace(t, id=new_id, vars=tuple(VarSecInfo(f(v.type_id), v.offset, v.size)
                                                            for v in t.vars))
    return dataclasses.replace(t, id=new_id)


def _shape(t: Type) -> object:
    """Everything of ``t`` except its id and the ids it refers to (VAR/DATASEC: unique)."""
    if isinstance(t, (Var, Datasec)):
        return (t.kind, t.id)
    return remap(t, 0, lambda _: 0)


# -- dedup --------------------------------------------------------------------------------------

def dedup(btf: Btf) -> tuple[Btf, list[int]]:
    """Deduplicate ``btf``'s types; returns the new BTF and old id → new id (index 0: void).

    Raises :class:`BtfError` if the result cannot be encoded.
    """
    return _dedup_types([btf[i] for i in range(1, len(btf) + 1)])


def merge(btfs: Sequence[Btf]) -> tuple[Btf, list[list[int]]]:
    """Concatenate several objects' BTF and deduplicate: the linker's merged ``.BTF``.

    Returns the merged BTF and, per input, old id → new id.
    """
    types: list[Type] = []
    offsets = []
    for btf in btfs:
        shift = len(types)
        offsets.append(shift)
        types += [remap(btf[i], i + shift, _shifter(shift)) for i in range(1, len(btf) + 1)]
    merged, mapping = _dedup_types(types)
    return merged, [[0] + [mapping[i + shift] for i in range(1, len(btf) + 1)]
                    for btf, shift in zip(btfs, offsets, strict=True)]


def _shifter(shift: int) -> Callable[[int], int]:
    return lambda r: r + shift if r else 0


def _dedup_types(types: list[Type]) -> tuple[Btf, list[int]]:
    """``types[i]`` has id ``i + 1``; merge equivalent ones (see the module docstring)."""
    refs: list[tuple[int, ...]] = [()] + [references(t) for t in types]
    classes = _refine([None] + [_shape(t) for t in types], refs)
    classes, resolved_fwds = _resolve_fwds(types, classes, refs)
    rep: dict[int, int] = {classes[0]: 0}
    order: list[int] = []
    mapping = [0] * (len(types) + 1)
    for tid in range(1, len(types) + 1):
        c = classes[tid]
        if c not in rep and tid not in resolved_fwds:
            rep[c] = len(order) + 1
            order.append(tid)
    for tid in range(1, len(types) + 1):
        mapping[tid] = rep[classes[tid]]
    writer = BtfWriter()
    for new_id, tid in enumerate(order, 1):
        writer.add(remap(types[tid - 1], new_id, lambda r: mapping[r]))
    return parse(writer.to_bytes(), label="<dedup>"), mapping


def _refine(shapes: Sequence[object], refs: Sequence[tuple[int, ...]]) -> list[int]:
    """The coarsest partition of ids that agrees with ``shapes`` and is stable under ``refs``."""
    numbering: dict[object, int] = {}
    classes = [numbering.setdefault(s, len(numbering)) for s in shapes]
    count = len(numbering)
    while True:
        numbering = {}
        new = [numbering.setdefault((classes[i], tuple(classes[r] for r in refs[i])), len(numbering))
               for i in range(len(classes))]
        if len(numbering) == count:
            return new
        classes, count = new, len(numbering)


def _resolve_fwds(types: list[Type], classes: list[int],
                  refs: list[tuple[int, ...]]) -> tuple[list[int], set[int]]:
    """Point each FWD whose name has exactly one STRUCT/UNION class of its kind at that type;
    returns the new classes and the FWDs so resolved."""
    targets: dict[tuple[str, bool], set[int]] = {}
    first: dict[int, int] = {}
    for tid, t in enumerate(types, 1):
        if isinstance(t, (Struct, Union)) and t.name:
            targets.setdefault((t.name, isinstance(t, Union)), set()).add(classes[tid])
            first.setdefault(classes[tid], tid)
    alias: dict[int, int] = {}
    for tid, t in enumerate(types, 1):
        if isinstance(t, Fwd):
            found = targets.get((t.name, t.union), set())
            if len(found) == 1:
                alias[tid] = first[next(iter(found))]
    if not alias:
        return classes, set()
    new_refs = [tuple(alias.get(r, r) for r in rs) for rs in refs]
    shapes: list[object] = [None] + [("fwd->", alias[i]) if i in alias else _shape(t)
                                     for i, t in enumerate(types, 1)]
    resolved = _refine(shapes, new_refs)
    return [resolved[alias.get(i, i)] for i in range(len(resolved))], set(alias)

