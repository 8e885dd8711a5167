"""Writing BPF ELF relocatable objects (System V gABI, ELF-64 little-endian, ``EM_BPF``).

:func:`write_object` lays out an object from plain values: sections with their bytes (or a
size, for ``SHT_NOBITS``), a symbol table (``sh_info`` is the first global when locals come
first, as the gABI requires; 0 for libbpf's linker order, where a later object's locals follow
globals), and one ``SHT_REL`` section per relocated section (``.rel<name>``, as LLVM
names them).  The section-name and symbol-name string tables are written last.  The result
reads back with :func:`bpfvm.elf.reader.read_object`, llvm-objdump and libbpf.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .reader import EM_BPF

__all__ = ["OutRelocation", "OutSection", "OutSymbol", "write_object"]

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS, SHT_REL = 1, 2, 3, 8, 9
SHF_INFO_LINK = 0x40
STT = {"STT_NOTYPE": 0, "STT_OBJECT": 1, "STT_FUNC": 2, "STT_SECTION": 3, "STT_FILE": 4}
STB = {"STB_LOCAL": 0, "STB_GLOBAL": 1, "STB_WEAK": 2}


@dataclass
class OutSection:
    """A section to write: ``size`` counts for ``SHT_NOBITS`` (``data`` stays empty)."""

    name: str
    type: int
    flags: int
    data: bytearray = field(default_factory=bytearray)
    align: int = 1
    size: int = 0
    relocations: list[OutRelocation] = field(default_factory=list)

    @property
    def length(self) -> int:
        """The section's size in bytes."""
        return self.size if self.type == SHT_NOBITS else len(self.data)


@dataclass(frozen=True)
class OutSymbol:
    """A symbol: ``section`` is an index into the written sections (0: undefined)."""

    name: str
    value: int
    size: int
    type: str
    bind: str
    section: int


@dataclass(frozen=True)
class OutRelocation:
    """An ``Elf64_Rel`` entry: ``symbol`` is an index into the symbol list given to the writer."""

    offset: int
    type: int
    symbol: int


class _Strings:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self.index: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.data)
            self.data += text.encode() + b"\0"
        return found


def write_object(sections: list[OutSection], symbols: list[OutSymbol]) -> bytes:
    """The bytes of an object with ``sections`` (their indices are 1, 2, … in order) and
    ``symbols`` (index 0 is the null symbol, added here), written in the order given."""
    names, strings = _Strings(), _Strings()
    all_sections = list(sections)
    symtab_index = len(all_sections) + 1 + sum(1 for s in sections if s.relocations)
    for i, section in enumerate(sections, 1):
        if section.relocations:
            rel = OutSection(f".rel{section.name}", SHT_REL, SHF_INFO_LINK, align=8)
            for r in section.relocations:
                rel.data += struct.pack("<QQ", r.offset, (r.symbol + 1) << 32 | r.type)
            rel.size = i  # sh_info: the section relocated (kept in size until the header)
            all_sections.append(rel)
    symtab = OutSection(".symtab", SHT_SYMTAB, 0, align=8)
    symtab.data += bytes(24)
    for sym in symbols:
        info = STB.get(sym.bind, 1) << 4 | STT.get(sym.type, 0)
        symtab.data += struct.pack("<IBBHQQ", strings.add(sym.name), info, 0, sym.section, sym.value,
                                   sym.size)
    first_global = 1 + next((i for i, s in enumerate(symbols) if s.bind != "STB_LOCAL"), len(symbols))
    if any(s.bind == "STB_LOCAL" for s in symbols[first_global - 1:]):
        first_global = 0  # locals after globals (libbpf's linker order): sh_info 0, as libbpf writes
    strtab = OutSection(".strtab", SHT_STRTAB, 0, strings.data)
    all_sections += [symtab, strtab]
    shstrtab = OutSection(".shstrtab", SHT_STRTAB, 0)
    all_sections.append(shstrtab)
    name_offsets = [names.add(s.name) for s in all_sections]
    shstrtab.data += names.data
    out = bytearray(64)
    offsets = []
    for section in all_sections:
        if section.type != SHT_NOBITS:
            out += bytes(-len(out) % max(section.align, 1))
        offsets.append(len(out))
        if section.type != SHT_NOBITS:
            out += section.data
    out += bytes(-len(out) % 8)
    shoff = len(out)
    out += bytes(64)  # the null section header
    strtab_index = symtab_index + 1
    for section, offset, name in zip(all_sections, offsets, name_offsets, strict=True):
        link = info = 0
        size, entsize = section.length, 0
        if section.type == SHT_REL:
            link, info, size, entsize = symtab_index, section.size, len(section.data), 16
        elif section.type == SHT_SYMTAB:
            link, info, entsize = strtab_index, first_global, 24
        out += struct.pack("<IIQQQQIIQQ", name, section.type, section.flags, 0, offset, size, link, info,
                           max(section.align, 1), entsize)
    header = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 1, EM_BPF, 1, 0, 0,
                         shoff, 0, 64, 0, 0, 64, len(all_sections) + 1, len(all_sections))
    out[:64] = header
    return bytes(out)
