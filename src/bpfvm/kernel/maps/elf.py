"""Map definitions in BPF ELF objects, read the way libbpf reads them (``libbpf.c``
``bpf_object__init_user_maps``/``init_user_btf_maps``, ``parse_btf_map_def``).

* Legacy ``SEC("maps")``: an array of ``struct bpf_map_def { u32 type, key_size, value_size,
  max_entries, map_flags; [u32 inner_map_idx, numa_node; …] }`` records, one per map symbol in
  the section; the record size is the section size divided by the number of symbols (20, 28, 32
  and 36 bytes exist in the wild; fields past ``map_flags`` are read when present: the inner map
  index and NUMA node of the 28-byte ``iproute2``/samples layout).
* BTF ``.maps``: every variable of the ``.maps`` DATASEC is a struct whose members encode the
  definition as libbpf's ``bpf_helpers.h`` macros do — ``__uint(name, N)`` is ``int (*name)[N]``,
  ``__type(name, T)`` is ``T *name`` (the size of ``T``), ``__array(values, S)`` is
  ``S *values[]`` (``S``: the inner map's definition struct, or a function prototype for prog
  arrays).  Members: ``type, key_size, value_size, key, value, max_entries, map_flags,
  numa_node, map_extra, pinning, values``.

The BTF reading here is the minimum map definitions need (header, types, strings; sizes through
typedefs and qualifiers).  Malformed input raises :class:`~bpfvm.errors.ElfError` naming the
file, the map and the BTF type id.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...elf.reader import ObjectFile, Symbol
from ...errors import ElfError
from ...program import MapDef

__all__ = ["GLOBAL_DATA_PREFIXES", "map_definitions"]

#: Data sections that libbpf turns into single-element array maps.
GLOBAL_DATA_PREFIXES = (".data", ".bss", ".rodata", ".kconfig")

_LEGACY_FIELDS = ("type", "key_size", "value_size", "max_entries", "flags", "inner_idx", "numa_node")

# BTF kinds (include/uapi/linux/btf.h)
_INT, _PTR, _ARRAY, _STRUCT, _UNION, _ENUM, _FWD, _TYPEDEF, _VOLATILE, _CONST, _RESTRICT = range(1, 12)
_FUNC, _FUNC_PROTO, _VAR, _DATASEC, _FLOAT, _DECL_TAG, _TYPE_TAG, _ENUM64 = range(12, 20)
_QUALIFIERS = (_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG)
_BTF_MAGIC = 0xEB9F


def map_definitions(obj: ObjectFile, label: str) -> tuple[MapDef, ...]:
    """Every map ``obj`` defines, legacy ones first.  Raises :class:`ElfError`."""
    return (*_legacy(obj, label), *_btf_maps(obj, label))


def _map_symbols(obj: ObjectFile, index: int) -> list[Symbol]:
    """The map symbols of a section, by offset (libbpf: every non-section symbol in it)."""
    unique = {s.value: s for s in obj.symbols
              if s.section_index == index and s.name and s.type != "STT_SECTION"}
    return sorted(unique.values(), key=lambda s: s.value)


def _legacy(obj: ObjectFile, label: str) -> list[MapDef]:
    section = obj.section_named("maps")
    if section is None or not section.size:
        return []
    syms = _map_symbols(obj, section.index)
    if not syms:
        raise ElfError(f"{label}: section maps: no map symbols")
    record = section.size // len(syms)
    if record < 20 or record % 4 or record * len(syms) != section.size:
        raise ElfError(f"{label}: section maps: {section.size} bytes for {len(syms)} maps is not a whole "
                       "number of struct bpf_map_def records (at least 20 bytes each)")
    defs: list[MapDef] = []
    raw = bytes(section.data).ljust(section.size, b"\0")
    for sym in syms:
        if sym.value % record:
            raise ElfError(f"{label}: map {sym.name}: offset {sym.value} is not a multiple of the record "
                           f"size {record}")
        words = struct.unpack_from(f"<{min(record // 4, 7)}I", raw, sym.value)
        fields = dict(zip(_LEGACY_FIELDS, words, strict=False))
        defs.append(MapDef(sym.name, fields["type"], fields["key_size"], fields["value_size"],
                           fields["max_entries"], fields["flags"], numa_node=fields.get("numa_node", 0)))
    return _link_legacy_inner(defs, syms, raw, record)


def _link_legacy_inner(defs: list[MapDef], syms: list[Symbol], raw: bytes, record: int) -> list[MapDef]:
    """28-byte records: ``inner_map_idx`` of a map of maps names its template by record index."""
    if record < 28:
        return defs
    by_index = {s.value // record: d for s, d in zip(syms, defs, strict=True)}
    out = []
    for sym, d in zip(syms, defs, strict=True):
        idx = struct.unpack_from("<I", raw, sym.value + 20)[0]
        if d.type in (12, 13) and idx in by_index:
            d = MapDef(d.name, d.type, d.key_size, d.value_size, d.max_entries, d.flags, by_index[idx],
                       numa_node=d.numa_node)
        out.append(d)
    return out


# -- BTF -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Type:
    kind: int
    name: str
    size_or_type: int
    vlen: int
    extra: tuple[int, ...]  # ARRAY: (elem, index, nelems); STRUCT: (name_off, type, offset)*; DATASEC: …


class _Btf:
    """The types and strings of a ``.BTF`` section (ids from 1)."""

    def __init__(self, data: bytes, label: str) -> None:
        self.label = label
        if len(data) < 24:
            raise ElfError(f"{label}: section .BTF: truncated header")
        magic, _version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
        if magic != _BTF_MAGIC:
            raise ElfError(f"{label}: section .BTF: bad magic {magic:#x}")
        type_off, type_len, str_off, str_len = struct.unpack_from("<4I", data, 8)
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self.types: list[_Type | None] = [None]
        self._parse(data[hdr_len + type_off:hdr_len + type_off + type_len])

    def string(self, offset: int) -> str:
        end = self.strings.find(b"\0", offset)
        return self.strings[offset:end if end >= 0 else len(self.strings)].decode("utf-8", "replace")

    def _parse(self, blob: bytes) -> None:
        pos = 0
        while pos + 12 <= len(blob):
            name_off, info, size_or_type = struct.unpack_from("<3I", blob, pos)
            pos += 12
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            words = {_INT: 1, _ARRAY: 3, _STRUCT: 3 * vlen, _UNION: 3 * vlen, _ENUM: 2 * vlen,
                     _FUNC_PROTO: 2 * vlen, _VAR: 1, _DATASEC: 3 * vlen, _DECL_TAG: 1,
                     _ENUM64: 3 * vlen}.get(kind, 0)
            if pos + 4 * words > len(blob):
                raise ElfError(f"{self.label}: section .BTF: type #{len(self.types)} is truncated")
            extra = struct.unpack_from(f"<{words}I", blob, pos) if words else ()
            pos += 4 * words
            self.types.append(_Type(kind, self.string(name_off), size_or_type, vlen, extra))

    def get(self, tid: int, where: str) -> _Type:
        found = self.types[tid] if 0 < tid < len(self.types) else None
        if found is None:
            raise ElfError(f"{self.label}: {where}: BTF type id {tid} does not exist")
        return found

    def resolve(self, tid: int, where: str) -> tuple[int, _Type]:
        """Skip typedefs and qualifiers."""
        for _ in range(64):
            t = self.get(tid, where)
            if t.kind not in _QUALIFIERS:
                return tid, t
            tid = t.size_or_type
        raise ElfError(f"{self.label}: {where}: BTF type id {tid}: qualifier loop")

    def size(self, tid: int, where: str, depth: int = 0) -> int:
        tid, t = self.resolve(tid, where)
        if t.kind in (_INT, _ENUM, _STRUCT, _UNION, _FLOAT, _ENUM64, _DATASEC):
            return t.size_or_type
        if t.kind == _PTR:
            return 8
        if t.kind == _ARRAY and depth < 32:
            return t.extra[2] * self.size(t.extra[0], where, depth + 1)
        raise ElfError(f"{self.label}: {where}: BTF type id {tid} (kind {t.kind}) has no size")


def _btf_maps(obj: ObjectFile, label: str) -> list[MapDef]:
    section = obj.section_named(".maps")
    btf_section = obj.section_named(".BTF")
    if section is None:
        return []
    if btf_section is None:
        raise ElfError(f"{label}: section .maps needs BTF (compile with -g)")
    btf = _Btf(bytes(btf_section.data), label)
    datasec = next((t for t in btf.types if t is not None and t.kind == _DATASEC and t.name == ".maps"), None)
    if datasec is None:
        raise ElfError(f"{label}: .BTF has no DATASEC .maps")
    defs = []
    for i in range(datasec.vlen):
        var_id = datasec.extra[3 * i]
        var = btf.get(var_id, "DATASEC .maps")
        if var.kind != _VAR:
            raise ElfError(f"{label}: DATASEC .maps: BTF type id {var_id} is not a variable")
        defs.append(_btf_def(btf, var.name, var.size_or_type))
    return defs


def _uint(btf: _Btf, tid: int, where: str) -> int:
    """``__uint``: ``int (*)[N]`` → N."""
    _, ptr = btf.resolve(tid, where)
    if ptr.kind != _PTR:
        raise ElfError(f"{btf.label}: {where}: __uint member is not a pointer (BTF type id {tid})")
    _, arr = btf.resolve(ptr.size_or_type, where)
    if arr.kind != _ARRAY:
        raise ElfError(f"{btf.label}: {where}: __uint member is not a pointer to an array "
                       f"(BTF type id {tid})")
    return arr.extra[2]


def _btf_def(btf: _Btf, name: str, struct_id: int, depth: int = 0) -> MapDef:
    where = f"map {name}"
    _, st = btf.resolve(struct_id, where)
    if st.kind != _STRUCT:
        raise ElfError(f"{btf.label}: {where}: BTF type id {struct_id} is not a struct")
    f: dict[str, int] = {"type": 0, "key_size": 0, "value_size": 0, "max_entries": 0, "map_flags": 0,
                         "numa_node": 0, "map_extra": 0, "pinning": 0, "key": 0, "value": 0}
    inner: MapDef | None = None
    values_offset = -1
    for m in range(st.vlen):
        name_off, mtype, moffset = st.extra[3 * m:3 * m + 3]
        member = btf.string(name_off)
        mwhere = f"{where} member {member}"
        if member in ("key", "value"):
            _, ptr = btf.resolve(mtype, mwhere)
            if ptr.kind != _PTR:
                raise ElfError(f"{btf.label}: {mwhere}: __type member is not a pointer")
            f[f"{member}_size"] = btf.size(ptr.size_or_type, mwhere)
            f[member] = ptr.size_or_type
        elif member == "values":
            values_offset = moffset // 8
            inner = _inner(btf, mtype, mwhere, name, depth)
        elif member in f:
            f[member] = _uint(btf, mtype, mwhere)
        else:
            raise ElfError(f"{btf.label}: {mwhere}: unknown map definition field")
    if values_offset >= 0:  # libbpf: the values of maps of maps and prog arrays are 4-byte ids
        f["value_size"] = 4
        f["key_size"] = f["key_size"] or 4
    if f["type"] == 4:  # libbpf: perf event arrays default to u32 keys and values
        f["key_size"], f["value_size"] = f["key_size"] or 4, f["value_size"] or 4
    return MapDef(name, f["type"], f["key_size"], f["value_size"], f["max_entries"], f["map_flags"], inner,
                  f["map_extra"], f["numa_node"], f["pinning"], f["key"], f["value"], values_offset)


def _inner(btf: _Btf, tid: int, where: str, name: str, depth: int) -> MapDef | None:
    """``__array(values, S)``: S's definition for maps of maps, None for prog arrays."""
    _, arr = btf.resolve(tid, where)
    if arr.kind != _ARRAY:
        raise ElfError(f"{btf.label}: {where}: __array member is not an array")
    _, ptr = btf.resolve(arr.extra[0], where)
    if ptr.kind != _PTR:
        raise ElfError(f"{btf.label}: {where}: __array element is not a pointer")
    target_id, target = btf.resolve(ptr.size_or_type, where)
    if target.kind == _STRUCT and depth < 4:
        return _btf_def(btf, f"{name}.inner", target_id, depth + 1)
    return None
