"""Reading BTF: the ``.BTF`` section of an object, a raw BTF file, or split BTF on top of a base.

Follows the kernel's ``Documentation/bpf/btf.rst`` (header, type section, string section) and
libbpf's ``btf.c`` for what a valid blob is and for split BTF: a module's types are numbered
after its base's (``start_id``) and its string offsets after the base's strings.

:func:`parse` reads the whole type section in one pass with ``struct.unpack_from`` into flat
per-type tables (kind, name offset, size-or-type, offset of the kind's extra data) and checks
every type (known kind, data within the section, names within the string table, referenced
type ids in range); the typed values of :mod:`.types` are built on first access and cached.
Both byte orders are read, as libbpf does.  Every defect raises
:class:`~bpfvm.errors.BtfError` naming the type id and field.
"""

from __future__ import annotations

import array
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BtfError
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
    Volatile,
)

if TYPE_CHECKING:
    from .ext import BtfExt

__all__ = ["BTF_MAGIC", "Btf", "DatasecVar", "parse"]

#: ``btf_header.magic``.
BTF_MAGIC = 0xEB9F
#: Pointer size of the BPF target, in bytes.
PTR_SIZE = 8
_HEADER_LEN = 24
_MAX_RESOLVE_DEPTH = 32

#: Bytes of kind-specific data after the 12-byte ``btf_type``: (fixed, per vlen entry).
EXTRA_SIZE: dict[int, tuple[int, int]] = {
    Kind.INT: (4, 0), Kind.PTR: (0, 0), Kind.ARRAY: (12, 0), Kind.STRUCT: (0, 12),
    Kind.UNION: (0, 12), Kind.ENUM: (0, 8), Kind.FWD: (0, 0), Kind.TYPEDEF: (0, 0),
    Kind.VOLATILE: (0, 0), Kind.CONST: (0, 0), Kind.RESTRICT: (0, 0), Kind.FUNC: (0, 0),
    Kind.FUNC_PROTO: (0, 8), Kind.VAR: (4, 0), Kind.DATASEC: (0, 12), Kind.FLOAT: (0, 0),
    Kind.DECL_TAG: (4, 0), Kind.TYPE_TAG: (0, 0), Kind.ENUM64: (0, 12),
}
#: Kinds whose ``size_or_type`` is a type id.
_REF_KINDS = frozenset({Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC,
                        Kind.FUNC_PROTO, Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG})
#: Kinds that a C declaration looks through to reach the underlying type.
MODIFIER_KINDS = frozenset({Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG})
#: The same in u32 words.
_EXTRA_WORDS = {k: (a // 4, b // 4) for k, a_b in EXTRA_SIZE.items() for a, b in [a_b]}
#: Kinds with vlen entries to check: (words per entry, word of the name, word of the type, field).
_VLEN_CHECKS: dict[int, tuple[int, int | None, int | None, str]] = {
    Kind.STRUCT: (3, 0, 1, "members"), Kind.UNION: (3, 0, 1, "members"),
    Kind.FUNC_PROTO: (2, 0, 1, "params"), Kind.DATASEC: (3, None, 0, "vars"),
    Kind.ENUM: (2, 0, None, "values"), Kind.ENUM64: (3, 0, None, "values"),
}
_ARRAY = int(Kind.ARRAY)
_HOST_ORDER = "<" if sys.byteorder == "little" else ">"
# The same tables indexed by the 5-bit kind, for the per-type loops (a list index is cheaper than
# a dict lookup): fixed extra words (-1: unknown kind), words per vlen entry, refers-to-a-type.
_FIXED_WORDS = [_EXTRA_WORDS[k][0] if k in _EXTRA_WORDS else -1 for k in range(32)]
_VLEN_WORDS = [_EXTRA_WORDS[k][1] if k in _EXTRA_WORDS else 0 for k in range(32)]
_REFERS = [k in _REF_KINDS for k in range(32)]
_CHECKS = [_VLEN_CHECKS.get(k) for k in range(32)]
_SIMPLE_REF = {Kind.PTR: Ptr, Kind.TYPEDEF: Typedef, Kind.VOLATILE: Volatile, Kind.CONST: Const,
               Kind.RESTRICT: Restrict}


@dataclass(frozen=True, slots=True)
class DatasecVar:
    """A variable of a DATASEC: the VAR's id and name, its type, and where it lies in the section."""

    var_id: int
    name: str
    type_id: int
    offset: int
    size: int
    linkage: VarLinkage | int


class Btf:
    """A parsed BTF blob: ``btf[type_id]`` gives a typed value of :mod:`bpfvm.btf.types`.

    Ids run from 1 to :attr:`type_count`; in split BTF the ids below :attr:`start_id` are the
    base's.  Instances are immutable.  ``ext`` is the object's ``.BTF.ext`` when read with
    :meth:`from_elf` (else None).
    """

    def __init__(self, data: bytes, base: Btf | None, label: str) -> None:
        self.data = data
        self.base = base
        self.type_count = 0
        self.string_end = 0
        self.label = label
        self.start_id = 1 if base is None else base.type_count + 1
        self.start_str = 0 if base is None else base.string_end
        self.ext: BtfExt | None = None
        self._types: dict[int, Type] = {}
        self._strings: dict[int, str] = {}
        self._names: dict[str, list[int]] | None = None
        self._parse_header()
        self._parse_types()

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_elf(cls, source: str | os.PathLike[str] | bytes, base: Btf | None = None) -> Btf:
        """Read the ``.BTF`` (and ``.BTF.ext``, as :attr:`ext`) of an ELF object (path or bytes).

        Raises :class:`~bpfvm.errors.ElfError` for an unreadable object and
        :class:`~bpfvm.errors.BtfError` when it has no ``.BTF`` or it is malformed.
        """
        from .ext import parse_ext
        from .object import btf_sections

        label, btf_data, ext_data = btf_sections(source)
        btf = parse(btf_data, base, label=f"{label}: .BTF")
        if ext_data is not None:
            btf.ext = parse_ext(ext_data, btf, label=f"{label}: .BTF.ext")
        return btf

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], base: Btf | None = None) -> Btf:
        """Read a raw BTF file (``/sys/kernel/btf/vmlinux``) or an ELF object, whichever it is.

        Raises :class:`~bpfvm.errors.BtfError` (or ElfError) as :func:`parse` and :meth:`from_elf`.
        """
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BtfError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from exc
        if data[:4] == b"\x7fELF":
            return cls.from_elf(path, base)
        return parse(data, base, label=os.fspath(path))

    def _parse_header(self) -> None:
        data = self.data
        if len(data) < _HEADER_LEN:
            raise BtfError(f"{self.label}: truncated header ({len(data)} bytes, need {_HEADER_LEN})")
        magic = int.from_bytes(data[:2], "little")
        if magic == BTF_MAGIC:
            self.order = "<"
        elif magic == 0x9FEB:
            self.order = ">"
        else:
            raise BtfError(f"{self.label}: bad magic {magic:#06x} (expected {BTF_MAGIC:#06x})")
        version, _flags, hdr_len = data[2], data[3], struct.unpack_from(self.order + "I", data, 4)[0]
        if version != 1:
            raise BtfError(f"{self.label}: unsupported version {version}")
        if hdr_len < _HEADER_LEN or hdr_len > len(data):
            raise BtfError(f"{self.label}: bad hdr_len {hdr_len}")
        if any(data[_HEADER_LEN:hdr_len]):
            raise BtfError(f"{self.label}: unknown non-zero header fields after byte {_HEADER_LEN}")
        type_off, type_len, str_off, str_len = struct.unpack_from(self.order + "4I", data, 8)
        self._check_section("type", hdr_len + type_off, type_len, 4)
        self._check_section("string", hdr_len + str_off, str_len, 1)
        if type_off + type_len > str_off and type_len and str_len and str_off + str_len > type_off:
            raise BtfError(f"{self.label}: type and string sections overlap")
        self.type_off, self.type_len = hdr_len + type_off, type_len
        self.strs = data[hdr_len + str_off: hdr_len + str_off + str_len]
        if self.base is None and (not self.strs or self.strs[0] != 0):
            raise BtfError(f"{self.label}: string section does not start with an empty string")
        if self.strs and self.strs[-1] != 0:
            raise BtfError(f"{self.label}: string section is not NUL-terminated")
        self.string_end = self.start_str + str_len

    def _check_section(self, what: str, start: int, length: int, align: int) -> None:
        if start + length > len(self.data):
            raise BtfError(f"{self.label}: {what} section [{start:#x}, {start + length:#x}) extends past "
                           f"the end ({len(self.data):#x} bytes)")
        if start % align:
            raise BtfError(f"{self.label}: {what} section at {start:#x} is not {align}-byte aligned")

    def _parse_types(self) -> None:
        """Split the type section into flat tables, checking each type's kind and extent.

        The section is read as one list of u32 words (one C-level conversion); the loop only
        steps from type to type.
        """
        words = array.array("I", self.data[self.type_off:self.type_off + self.type_len])
        if self.order != _HOST_ORDER:
            words.byteswap()
        self._words = w = words.tolist()
        end = len(w)
        pos, tid = 0, self.start_id
        starts: list[int] = []
        add, fixed_words, vlen_words = starts.append, _FIXED_WORDS, _VLEN_WORDS
        while pos < end:
            if pos + 3 > end:
                raise BtfError(f"{self.label}: truncated btf_type", tid)
            info = w[pos + 1]
            kind = info >> 24 & 0x1F
            fixed = fixed_words[kind]
            if fixed < 0:
                raise BtfError(f"{self.label}: unknown kind {kind}", tid, "info")
            add(pos)
            pos += 3 + fixed + vlen_words[kind] * (info & 0xFFFF)
            tid += 1
        if pos != end:
            raise BtfError(f"{self.label}: type data extends past the type section", tid - 1)
        self._starts = starts
        self._name_offs = [w[i] for i in starts]
        self._infos = [w[i + 1] for i in starts]
        self._sts = [w[i + 2] for i in starts]
        self.type_count = tid - 1
        self._check_types()

    def _check_types(self) -> None:
        """The checks libbpf's ``btf_sanity_check`` makes: names in the string table, type ids in range."""
        limit, end = self.type_count, self.string_end
        if self._name_offs and max(self._name_offs) >= max(end, 1):
            bad = next(i for i, n in enumerate(self._name_offs) if n >= end)
            raise BtfError(f"{self.label}: name offset {self._name_offs[bad]:#x} outside the string table",
                           bad + self.start_id, "name_off")
        first, w, sts, refers, checks = self.start_id, self._words, self._sts, _REFERS, _CHECKS
        for index, info in enumerate(self._infos):
            kind = info >> 24 & 0x1F
            if refers[kind] and sts[index] > limit:
                raise BtfError(f"{self.label}: refers to type {self._sts[index]}, beyond the last type "
                               f"{limit}", index + first, "type")
            check = checks[kind]
            if check is not None and info & 0xFFFF:
                step, name_at, type_at, field = check
                at, vlen = self._starts[index] + 3, info & 0xFFFF
                if name_at is not None and max(w[at + name_at:at + step * vlen:step]) >= end:
                    raise BtfError(f"{self.label}: name offset outside the string table", index + first,
                                   f"{field}.name_off")
                if type_at is not None and max(w[at + type_at:at + step * vlen:step]) > limit:
                    raise BtfError(f"{self.label}: refers to a type beyond the last type {limit}",
                                   index + first, f"{field}.type")
            elif kind == _ARRAY:
                at = self._starts[index] + 3
                if w[at] > limit or w[at + 1] > limit:
                    raise BtfError(f"{self.label}: array refers to a type beyond the last type {limit}",
                                   index + first, "type" if w[at] > limit else "index_type")

    # -- strings and raw access ---------------------------------------------------------------

    def string(self, offset: int) -> str:
        """The NUL-terminated string at ``offset`` of the (split-aware) string table.

        Raises :class:`BtfError` for an offset outside it.
        """
        if offset < self.start_str:
            assert self.base is not None
            return self.base.string(offset)
        cached = self._strings.get(offset)
        if cached is not None:
            return cached
        local = offset - self.start_str
        if local >= len(self.strs):
            raise BtfError(f"{self.label}: string offset {offset:#x} outside the string table")
        text = self.strs[local:self.strs.index(0, local)].decode("utf-8", "replace")
        self._strings[offset] = text
        return text

    def raw(self, type_id: int) -> tuple[int, int, int, int]:
        """``(name_off, info, size_or_type, extra_offset)`` of type ``type_id`` as stored.

        Raises :class:`BtfError` for an id outside the BTF.
        """
        if type_id < self.start_id:
            if self.base is None or type_id <= 0:
                raise BtfError(f"{self.label}: no type with id {type_id}", type_id)
            return self.base.raw(type_id)
        i = type_id - self.start_id
        if i >= len(self._infos):
            raise BtfError(f"{self.label}: no type with id {type_id} (last is {self.type_count})", type_id)
        return self._name_offs[i], self._infos[i], self._sts[i], self.type_off + 12 + 4 * self._starts[i]

    def owner(self, type_id: int) -> Btf:
        """The BTF (this one or a base) that stores ``type_id``."""
        btf: Btf = self
        while type_id < btf.start_id and btf.base is not None:
            btf = btf.base
        return btf

    # -- the typed model ----------------------------------------------------------------------

    def __getitem__(self, type_id: int) -> Type:
        """The typed value of ``type_id`` (0 is :data:`~bpfvm.btf.types.VOID`).

        Raises :class:`BtfError` for an id outside the BTF.
        """
        if type_id == 0:
            return VOID
        if type_id < self.start_id:
            owner = self.owner(type_id)
            if owner is self or type_id < 0:  # no base BTF holds it (a negative id included)
                raise BtfError(f"no type with id {type_id} (this BTF's ids start at {self.start_id})",
                               type_id)
            return owner[type_id]
        found = self._types.get(type_id)
        if found is None:
            found = self._types[type_id] = self._build(type_id)
        return found

    def __len__(self) -> int:
        """The number of types including the base's (ids 1 … len)."""
        return self.type_count

    def __iter__(self) -> Iterator[Type]:
        """This BTF's own types (not the base's), in id order."""
        return (self[i] for i in range(self.start_id, self.type_count + 1))

    def _build(self, tid: int) -> Type:
        name_off, info, st, off = self.raw(tid)
        kind, vlen, kflag = Kind(info >> 24 & 0x1F), info & 0xFFFF, bool(info >> 31)
        name = self.string(name_off)
        order, data = self.order, self.data
        if kind == Kind.TYPE_TAG:
            return TypeTag(tid, kind, name, st, kflag)
        simple = _SIMPLE_REF.get(kind)
        if simple is not None:
            return simple(tid, kind, name, st)
        if kind == Kind.INT:
            word = struct.unpack_from(order + "I", data, off)[0]
            return Int(tid, kind, name, st, IntEncoding(word >> 24 & 0xF), word >> 16 & 0xFF, word & 0xFF)
        if kind == Kind.ARRAY:
            return Array(tid, kind, name, *struct.unpack_from(order + "3I", data, off))
        if kind in (Kind.STRUCT, Kind.UNION):
            members = tuple(self._member(m, kflag) for m in
                            struct.iter_unpack(order + "3I", data[off:off + 12 * vlen]))
            return (Struct if kind == Kind.STRUCT else Union)(tid, kind, name, st, members, kflag)
        if kind == Kind.ENUM:
            fmt = order + ("Ii" if kflag else "II")
            values = tuple(EnumValue(self.string(n), v) for n, v in
                           struct.iter_unpack(fmt, data[off:off + 8 * vlen]))
            return Enum(tid, kind, name, st, values, kflag)
        if kind == Kind.ENUM64:
            return Enum64(tid, kind, name, st, self._enum64_values(off, vlen, kflag), kflag)
        if kind == Kind.FWD:
            return Fwd(tid, kind, name, kflag)
        if kind == Kind.FUNC:
            return Func(tid, kind, name, st, _enum_or_int(FuncLinkage, vlen))
        if kind == Kind.FUNC_PROTO:
            params = tuple(Param(self.string(n), t) for n, t in
                           struct.iter_unpack(order + "2I", data[off:off + 8 * vlen]))
            return FuncProto(tid, kind, name, st, params)
        if kind == Kind.VAR:
            linkage = struct.unpack_from(order + "I", data, off)[0]
            return Var(tid, kind, name, st, _enum_or_int(VarLinkage, linkage))
        if kind == Kind.DATASEC:
            return Datasec(tid, kind, name, st, tuple(VarSecInfo(*v) for v in struct.iter_unpack(
                order + "3I", data[off:off + 12 * vlen])))
        if kind == Kind.FLOAT:
            return Float(tid, kind, name, st)
        if kind == Kind.DECL_TAG:
            return DeclTag(tid, kind, name, st, struct.unpack_from(order + "i", data, off)[0], kflag)
        raise BtfError(f"{self.label}: unknown kind {kind}", tid, "info")  # pragma: no cover

    def _member(self, entry: tuple[int, ...], kflag: bool) -> Member:
        name_off, type_id, offset = entry
        if kflag:
            return Member(self.string(name_off), type_id, offset & 0xFFFFFF, offset >> 24)
        return Member(self.string(name_off), type_id, offset, 0)

    def _enum64_values(self, off: int, vlen: int, signed: bool) -> tuple[EnumValue, ...]:
        out = []
        for name_off, lo, hi in struct.iter_unpack(self.order + "3I", self.data[off:off + 12 * vlen]):
            value = hi << 32 | lo
            if signed and value >> 63:
                value -= 1 << 64
            out.append(EnumValue(self.string(name_off), value))
        return tuple(out)

    # -- queries ------------------------------------------------------------------------------

    def kind_of(self, type_id: int) -> Kind:
        """The kind of ``type_id`` without building its typed value (void: ``Kind.UNKN``)."""
        return Kind.UNKN if type_id == 0 else Kind(self.raw(type_id)[1] >> 24 & 0x1F)

    def find(self, name: str, kind: Kind | None = None) -> Type | None:
        """The first type (lowest id, base first) called ``name`` (of ``kind``, if given), or None."""
        for tid in self.find_ids(name):
            if kind is None or self.kind_of(tid) == kind:
                return self[tid]
        return None

    def find_ids(self, name: str) -> list[int]:
        """The ids of every type called ``name``, in id order (the base's first)."""
        base = self.base.find_ids(name) if self.base is not None else []
        if self._names is None:
            index: dict[str, list[int]] = {}
            first = self.start_id
            for i, off in enumerate(self._name_offs):
                if off:
                    index.setdefault(self.string(off), []).append(i + first)
            self._names = index
        return base + self._names.get(name, [])

    def resolve_id(self, type_id: int) -> int:
        """``type_id`` with typedefs, const, volatile, restrict and type tags skipped.

        Raises :class:`BtfError` for a reference loop.
        """
        for _ in range(_MAX_RESOLVE_DEPTH):
            if type_id == 0 or self.kind_of(type_id) not in MODIFIER_KINDS:
                return type_id
            type_id = self.raw(type_id)[2]
        raise BtfError(f"{self.label}: modifier chain longer than {_MAX_RESOLVE_DEPTH} (a loop?)",
                       type_id, "type")

    def resolve(self, type_id: int) -> Type:
        """The type ``type_id`` names, through typedef/const/volatile/restrict/type tags."""
        return self[self.resolve_id(type_id)]

    def size_of(self, type_id: int) -> int:
        """The size in bytes of ``type_id``, as libbpf's ``btf__resolve_size``.

        Raises :class:`BtfError` for a type without a size (void, FUNC, FUNC_PROTO, FWD, DECL_TAG)
        or a loop.
        """
        nelems = 1
        start = type_id
        for _ in range(_MAX_RESOLVE_DEPTH):
            kind = self.kind_of(type_id)
            if kind in (Kind.INT, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.DATASEC, Kind.FLOAT):
                return nelems * self.raw(type_id)[2]
            if kind == Kind.PTR:
                return nelems * PTR_SIZE
            if kind in MODIFIER_KINDS or kind == Kind.VAR:
                type_id = self.raw(type_id)[2]
            elif kind == Kind.ARRAY:
                arr = self[type_id]
                assert isinstance(arr, Array)
                nelems *= arr.nelems
                type_id = arr.type_id
            else:
                raise BtfError(f"{self.label}: {kind.name} has no size", start, "type")
        raise BtfError(f"{self.label}: type chain longer than {_MAX_RESOLVE_DEPTH} (a loop?)", start, "type")

    def align_of(self, type_id: int) -> int:
        """The alignment in bytes of ``type_id``, as libbpf's ``btf__align_of`` (1 for a packed struct).

        Raises :class:`BtfError` for a type without one.
        """
        t = self.resolve(type_id)
        if isinstance(t, (Int, Enum, Enum64, Float)):
            return min(t.size, PTR_SIZE) or 1
        if isinstance(t, Ptr):
            return PTR_SIZE
        if isinstance(t, Array):
            return self.align_of(t.type_id)
        if isinstance(t, (Struct, Union)):
            return self._composite_align(t)
        raise BtfError(f"{self.label}: {t.kind.name} has no alignment", type_id, "type")

    def _composite_align(self, t: Struct | Union) -> int:
        best = 1
        for m in t.members:
            align = self.align_of(m.type_id)
            if m.bitfield_size == 0 and m.bit_offset % (8 * align):
                return 1  # a member off its natural alignment: the struct is packed
            best = max(best, align)
        return 1 if t.size % best else best

    def datasec(self, name: str) -> tuple[DatasecVar, ...]:
        """The variables of DATASEC ``name`` (``.bss``, ``.data``, ``.rodata``, ``.maps`` …).

        Raises :class:`BtfError` if there is no such DATASEC or an entry is not a VAR/FUNC.
        """
        sec = self.find(name, Kind.DATASEC)
        if not isinstance(sec, Datasec):
            raise BtfError(f"{self.label}: no DATASEC named {name!r}")
        out = []
        for i, v in enumerate(sec.vars):
            var = self[v.type_id]
            if isinstance(var, Var):
                out.append(DatasecVar(var.id, var.name, var.type_id, v.offset, v.size, var.linkage))
            elif isinstance(var, Func):  # .ksyms holds extern functions
                out.append(DatasecVar(var.id, var.name, var.type_id, v.offset, v.size, var.linkage))
            else:
                raise BtfError(f"{self.label}: DATASEC entry is a {var.kind.name}, not a VAR", sec.id,
                               f"vars[{i}].type")
        return tuple(out)


def _enum_or_int(enum_type: type[FuncLinkage] | type[VarLinkage],
                 value: int) -> FuncLinkage | VarLinkage | int:
    try:
        return enum_type(value)
    except ValueError:
        return value


def parse(data: bytes | bytearray | memoryview, base: Btf | None = None, *, label: str = "<btf>") -> Btf:
    """Parse a raw BTF blob (``.BTF`` section contents or a ``/sys/kernel/btf`` file).

    ``base`` makes it split BTF: its ids continue the base's, its strings follow the base's.
    Raises :class:`~bpfvm.errors.BtfError` naming the type id and field of the first defect.
    """
    return Btf(bytes(data), base, label)

