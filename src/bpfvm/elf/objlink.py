"""``bpfvm link``: linking BPF ELF objects into one object, as libbpf's ``bpf_linker`` does.

Follows libbpf's ``linker.c`` (what ``bpftool gen object`` runs): sections of the same name are
concatenated in input order, each input's part aligned to its ``sh_addralign`` (code to 8
bytes); DWARF, ``.eh_frame`` and ``.llvm_addrsig`` are dropped; local symbols are kept, global
ones resolved by name (a definition wins over an extern and a strong one over a weak one; two
strong definitions are an error); relocations are moved with their sections, and those against
section symbols get the part's offset added to the addend stored in the instruction or data
(``lddw`` immediate, ``call`` immediate in instructions, the 4/8 data bytes).  The ``.BTF`` is
merged and deduplicated (:func:`bpfvm.btf.writer.merge`) with one DATASEC per output section
whose variables carry their final offsets, and ``.BTF.ext`` records are moved to their
instructions' new offsets with their type ids remapped.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ElfError
from .reader import SHF_EXECINSTR, SHN_ABS, SHN_UNDEF, ObjectFile, Section, read_object
from .writer import SHT_NOBITS, SHT_PROGBITS, OutRelocation, OutSection, OutSymbol, write_object

__all__ = ["link_objects"]

_DROPPED_PREFIXES = (".debug", ".rel", ".BTF", ".eh_frame", ".llvm_addrsig", ".symtab", ".strtab",
                     ".shstrtab")
_R_BPF_64_64, _R_BPF_64_ABS64, _R_BPF_64_ABS32, _R_BPF_64_NODYLD32, _R_BPF_64_32 = 1, 2, 3, 4, 10


@dataclass
class _Part:
    """Where input section (object, index) went: output section index and byte offset."""

    out: int
    offset: int


def _kept(section: Section) -> bool:
    if section.index == 0 or not section.name or not section.size:
        return False  # libbpf's linker drops empty sections too
    if section.name.startswith(_DROPPED_PREFIXES):
        return False
    return section.type in ("SHT_PROGBITS", "SHT_NOBITS")


def link_objects(paths: Sequence[str | os.PathLike[str] | bytes]) -> bytes:
    """One BPF ELF object made of the objects at ``paths``.

    Raises :class:`ElfError` for unreadable objects, conflicting definitions, and relocations
    this linker cannot move.
    """
    objects = [read_object(p) for p in paths]
    sections: list[OutSection] = []
    by_name: dict[str, int] = {}
    parts: dict[tuple[int, int], _Part] = {}
    for k, obj in enumerate(objects):
        for section in obj.sections:
            if not _kept(section):
                continue
            parts[k, section.index] = _place(sections, by_name, section)
    symbols, index = _symbols(objects, sections, parts)
    for k, obj in enumerate(objects):
        for section in obj.sections:
            if (k, section.index) in parts:
                _move_relocations(obj, k, section, parts, sections, symbols, index)
    _add_btf(objects, sections, parts, symbols)
    return write_object(sections, symbols)


def _place(sections: list[OutSection], by_name: dict[str, int], section: Section) -> _Part:
    kind = SHT_NOBITS if section.type == "SHT_NOBITS" else SHT_PROGBITS
    align = 8 if section.flags & SHF_EXECINSTR else max(section.align, 1)
    out_index = by_name.get(section.name)
    if out_index is None:
        sections.append(OutSection(section.name, kind, section.flags, align=align))
        out_index = by_name[section.name] = len(sections)
    out = sections[out_index - 1]
    if out.type != kind:
        raise ElfError(f"section {section.name}: NOBITS in one object, PROGBITS in another")
    out.align = max(out.align, align)
    start = -(-out.length // align) * align
    if kind == SHT_NOBITS:
        out.size = start + section.size
    else:
        out.data += bytes(start - len(out.data)) + section.data
    return _Part(out_index, start)


def _symbols(objects: list[ObjectFile], sections: list[OutSection],
             parts: dict[tuple[int, int], _Part]) -> tuple[list[OutSymbol], dict[tuple[int, int], int]]:
    """Output symbols in libbpf's order, and (object, symbol) → output index.

    As ``linker_append_elf_sym`` does: each object's symbols in their order, ``STT_FILE`` ones
    included; symbols of dropped sections left out; one ``STT_SECTION`` symbol per output
    section (the first input's, the others mapped to it); locals kept as they are (static
    symbols of the same name from different objects keep their names, told apart by the
    ``STT_FILE`` before them); globals resolved by name in place of their first occurrence.
    """
    symbols: list[OutSymbol] = []
    index: dict[tuple[int, int], int] = {}
    globals_: dict[str, tuple[int, bool]] = {}
    section_symbols: dict[int, int] = {}
    for k, obj in enumerate(objects):
        for n, sym in enumerate(obj.symbols):
            if n == 0:
                continue
            part = parts.get((k, sym.section_index))
            if sym.section_index == SHN_ABS:
                out = OutSymbol(sym.name, sym.value, sym.size, sym.type, sym.bind, SHN_ABS)
            elif sym.section_index != SHN_UNDEF and part is None:
                continue  # a symbol in a dropped section
            elif sym.type == "STT_SECTION":
                assert part is not None
                if part.out not in section_symbols:
                    section_symbols[part.out] = len(symbols)
                    symbols.append(OutSymbol(sym.name, 0, 0, sym.type, sym.bind, part.out))
                index[k, n] = section_symbols[part.out]
                continue
            else:
                out = OutSymbol(sym.name, sym.value + (part.offset if part else 0), sym.size, sym.type,
                                sym.bind, part.out if part else 0)
            if sym.bind == "STB_LOCAL":
                index[k, n] = len(symbols)
                symbols.append(out)
                continue
            index[k, n] = _resolve(symbols, globals_, out, obj.path)
    return symbols, index


def _resolve(symbols: list[OutSymbol], globals_: dict[str, tuple[int, bool]], new: OutSymbol,
             where: str) -> int:
    """The index of global ``new``: a new entry, or the entry of its name updated in place.

    As libbpf: a definition replaces an extern, a strong one a weak one, two strong ones are an
    :class:`ElfError`; a strong binding anywhere (an extern's too) makes the symbol strong.
    ``globals_`` maps a name to its index and whether its definition is weak (or it is an extern).
    """
    found = globals_.get(new.name)
    new_weak = new.bind == "STB_WEAK" or new.section == 0
    if found is None:
        globals_[new.name] = (len(symbols), new_weak)
        symbols.append(new)
        return len(symbols) - 1
    at, old_weak = found
    old = symbols[at]
    if new.section and old.section and not old_weak and not new_weak:
        raise ElfError(f"{where}: symbol {new.name!r} is defined in more than one object")
    bind = "STB_GLOBAL" if "STB_GLOBAL" in (old.bind, new.bind) else old.bind
    if new.section and (old.section == 0 or (old_weak and not new_weak)):
        symbols[at] = replace(new, bind=bind)
        globals_[new.name] = (at, new_weak)
    else:
        symbols[at] = replace(old, bind=bind)
    return at


def _move_relocations(obj: ObjectFile, k: int, section: Section, parts: dict[tuple[int, int], _Part],
                      sections: list[OutSection], symbols: list[OutSymbol],
                      index: dict[tuple[int, int], int]) -> None:
    part = parts[k, section.index]
    out = sections[part.out - 1]
    for rel in section.relocations:
        sym = obj.symbols[rel.symbol_index]
        target = index.get((k, rel.symbol_index))
        if target is None:
            raise ElfError(f"{obj.path}: {section.name}+{rel.offset:#x}: relocation against {sym.name!r}, "
                           "a symbol of a section that is not linked")
        at = part.offset + rel.offset
        if sym.type == "STT_SECTION":
            _shift_addend(out, at, rel.type, parts[k, sym.section_index].offset, obj.path)
        out.relocations.append(OutRelocation(at, rel.type, target))


def _shift_addend(out: OutSection, at: int, rtype: int, shift: int, where: str) -> None:
    """Add ``shift`` to the implicit addend of a relocation against a section symbol."""
    if not shift:
        return
    data = out.data
    if out.flags & SHF_EXECINSTR:
        field_at = at + 4
        value = struct.unpack_from("<i", data, field_at)[0]
        step = shift // 8 if rtype == _R_BPF_64_32 else shift
        struct.pack_into("<I", data, field_at, (value + step) & 0xFFFFFFFF)
    elif rtype == _R_BPF_64_ABS64:
        struct.pack_into("<Q", data, at, (struct.unpack_from("<Q", data, at)[0] + shift) % (1 << 64))
    elif rtype in (_R_BPF_64_ABS32, _R_BPF_64_NODYLD32):
        struct.pack_into("<I", data, at, (struct.unpack_from("<I", data, at)[0] + shift) & 0xFFFFFFFF)
    else:
        raise ElfError(f"{where}: relocation type {rtype} against a section symbol cannot be moved")


def _final_ids(merged: Any) -> tuple[list[int], list[int]]:
    """The merged types to write (no DATASECs: they are rebuilt; no externs that a definition
    resolves; no function prototypes only those used) and old id → new id."""
    from ..btf import Func, FuncProto, Var
    from ..btf.writer import references

    defined = {(t.kind, t.name): t.id for t in merged
               if isinstance(t, (Func, Var)) and int(t.linkage) != 2}
    alias = {t.id: defined[t.kind, t.name] for t in merged
             if isinstance(t, (Func, Var)) and int(t.linkage) == 2 and (t.kind, t.name) in defined}
    dropped = set(alias) | {t.id for t in merged if t.kind.name == "DATASEC"}
    used = {r for t in merged if t.id not in dropped for r in references(t)}
    dropped |= {t.id for t in merged if isinstance(t, FuncProto) and t.id not in used}
    keep = [t.id for t in merged if t.id not in dropped]
    final = [0] * (len(merged) + 1)
    for new, old in enumerate(keep, 1):
        final[old] = new
    for old, target in alias.items():
        final[old] = final[target]
    return keep, final


def _add_btf(objects: list[ObjectFile], sections: list[OutSection], parts: dict[tuple[int, int], _Part],
             symbols: list[OutSymbol]) -> None:
    """Merged ``.BTF`` (one DATASEC per output section) and moved ``.BTF.ext``."""
    from ..btf import Btf, BtfExt, CoreRelo, Datasec, FuncInfo, Kind, LineInfo, VarSecInfo, parse, parse_ext
    from ..btf.ext import encode_ext
    from ..btf.writer import BtfWriter, merge, remap

    btfs: list[Btf] = []
    for obj in objects:
        sec, ext = obj.section_named(".BTF"), obj.section_named(".BTF.ext")
        if sec is None:
            return  # libbpf needs BTF in every object to link BTF; without it, none is written
        btf = parse(sec.data, label=f"{obj.path}: .BTF")
        if ext is not None:
            btf.ext = parse_ext(ext.data, btf, label=f"{obj.path}: .BTF.ext")
        btfs.append(btf)
    merged, maps = merge(btfs)
    keep, final = _final_ids(merged)
    maps = [[final[m] for m in mapping] for mapping in maps]
    writer = BtfWriter()
    datasecs: dict[str, list[VarSecInfo]] = {}
    for tid in keep:
        writer.add(remap(merged[tid], 0, lambda r: final[r]))
    names = {s.name: i for i, s in enumerate(sections, 1)}
    for k, (btf, mapping) in enumerate(zip(btfs, maps, strict=True)):
        offsets = {s.name: s.value for s in objects[k].symbols if s.section_index}
        for t in btf:
            if isinstance(t, Datasec) and t.name in names:
                part = next((p for (o, i), p in parts.items()
                             if o == k and objects[k].sections[i].name == t.name), None)
                shift = part.offset if part else 0
                for v in t.vars:
                    var = btf[v.type_id]
                    offset = offsets.get(var.name, v.offset) + shift
                    datasecs.setdefault(t.name, []).append(VarSecInfo(mapping[v.type_id], offset, v.size))
    for name, entries in datasecs.items():
        size = sections[names[name] - 1].length
        writer.add(Datasec(0, Kind.DATASEC, name, size, tuple(sorted(entries, key=lambda e: e.offset))))
    funcs: dict[str, list[FuncInfo]] = {}
    lines: dict[str, list[LineInfo]] = {}
    relos: dict[str, list[CoreRelo]] = {}
    for k, (btf, mapping) in enumerate(zip(btfs, maps, strict=True)):
        if btf.ext is None:
            continue
        shift_of = {objects[k].sections[i].name: p.offset for (o, i), p in parts.items() if o == k}
        for name, fis in btf.ext.func_info.items():
            funcs.setdefault(name, []).extend(FuncInfo(f.insn_off + shift_of.get(name, 0), mapping[f.type_id])
                                              for f in fis)
        for name, lis in btf.ext.line_info.items():
            lines.setdefault(name, []).extend(LineInfo(li.insn_off + shift_of.get(name, 0), li.file_name,
                                                       li.line_text, li.line, li.column) for li in lis)
        for name, crs in btf.ext.core_relos.items():
            relos.setdefault(name, []).extend(CoreRelo(c.insn_off + shift_of.get(name, 0), mapping[c.type_id],
                                                       c.access, c.kind) for c in crs)
    ext_out = BtfExt({s: tuple(r) for s, r in funcs.items()}, {s: tuple(r) for s, r in lines.items()},
                     {s: tuple(r) for s, r in relos.items()})
    ext_bytes = encode_ext(ext_out, writer.string)
    sections.append(OutSection(".BTF", SHT_PROGBITS, 0, bytearray(writer.to_bytes()), align=4))
    sections.append(OutSection(".BTF.ext", SHT_PROGBITS, 0, bytearray(ext_bytes), align=4))
