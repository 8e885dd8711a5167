"""A minimal read-only reader for BPF ELF relocatable objects (System V gABI, ELF-64, EM_BPF).

:func:`read_object` turns an object file into plain immutable values — sections with their
bytes and relocations, and the symbol table — and nothing more: it does not relocate, lay out
memory or interpret BTF.  The loader, the disassembler and the CLI build on these values.

Only ELF-64 little-endian objects for ``EM_BPF`` (247) are accepted.  Every defect — bad magic,
wrong class/byte order/machine, truncation, a section extending past the end of the file, a
malformed symbol or relocation table — raises :class:`~bpfvm.errors.ElfError` naming the file and
what is wrong; no exception from inside pyelftools escapes.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.construct.core import ConstructError
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from ..errors import ElfError

__all__ = [
    "EM_BPF",
    "RELOC_TYPE_NAMES",
    "SHF_ALLOC",
    "SHF_EXECINSTR",
    "SHF_WRITE",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_UNDEF",
    "ObjectFile",
    "Relocation",
    "Section",
    "Symbol",
    "read_object",
]

#: ``e_machine`` of eBPF objects.
EM_BPF = 247
#: Section flags (``sh_flags``).
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
#: Special section indices of symbols (``st_shndx``).
SHN_UNDEF, SHN_ABS, SHN_COMMON = 0, 0xFFF1, 0xFFF2

#: BPF relocation types (``r_info`` type) → the names LLVM prints.
RELOC_TYPE_NAMES: dict[int, str] = {
    0: "R_BPF_NONE",
    1: "R_BPF_64_64",
    2: "R_BPF_64_ABS64",
    3: "R_BPF_64_ABS32",
    4: "R_BPF_64_NODYLD32",
    10: "R_BPF_64_32",
}

_SHN_NAMES = {"SHN_UNDEF": SHN_UNDEF, "SHN_ABS": SHN_ABS, "SHN_COMMON": SHN_COMMON}
_EHDR_SIZE = 64
_PYELF_ERRORS = (_PyElfError, ConstructError, struct.error, ValueError, IndexError, KeyError,
                 UnicodeDecodeError, EOFError, OverflowError, AttributeError, TypeError)


@dataclass(frozen=True, slots=True)
class Relocation:
    """One relocation entry applied to the section that lists it.

    ``offset`` is the byte offset in that section, ``type`` the raw ``R_BPF_*`` number,
    ``symbol_index`` the index into :attr:`ObjectFile.symbols`; ``symbol_name`` is the symbol's
    name, or for a section symbol the name of its section.  ``addend`` is the explicit addend of
    a RELA entry, or None for REL entries (the addend is then stored in the relocated field).
    """

    offset: int
    type: int
    symbol_index: int
    symbol_name: str
    addend: int | None

    @property
    def type_name(self) -> str:
        """The LLVM name of the relocation type (``R_BPF_64_64``), or ``Unknown``."""
        return RELOC_TYPE_NAMES.get(self.type, "Unknown")


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol-table entry; ``type`` and ``bind`` are pyelftools names (``STT_FUNC``, ``STB_LOCAL``).

    ``section_index`` is the raw ``st_shndx``: a section index, or :data:`SHN_UNDEF`,
    :data:`SHN_ABS`, :data:`SHN_COMMON`.
    """

    name: str
    value: int
    size: int
    type: str
    bind: str
    section_index: int


@dataclass(frozen=True, slots=True)
class Section:
    """One section header with its contents (empty for ``SHT_NOBITS``) and the relocations applied to it.

    ``type`` is the pyelftools name (``SHT_PROGBITS``, ``SHT_REL`` …, or the hex number of a type
    pyelftools does not know); ``flags`` is the raw ``sh_flags``; ``link``, ``info`` and ``align``
    are the raw ``sh_link``, ``sh_info`` and ``sh_addralign``.
    """

    index: int
    name: str
    type: str
    flags: int
    addr: int
    offset: int
    size: int
    data: bytes
    relocations: list[Relocation]
    link: int = 0
    info: int = 0
    align: int = 0

    @property
    def is_code(self) -> bool:
        """True for sections holding instructions (``SHF_EXECINSTR``)."""
        return bool(self.flags & SHF_EXECINSTR)


@dataclass(frozen=True, slots=True)
class ObjectFile:
    """A parsed object: ``sections[i].index == i`` (entry 0 is the null section) and
    ``symbols[i]`` is symbol-table entry ``i`` (entry 0 is the null symbol)."""

    path: str
    sections: list[Section]
    symbols: list[Symbol]

    def section_named(self, name: str) -> Section | None:
        """Return the first section called ``name``, or None."""
        return next((s for s in self.sections if s.name == name), None)


def read_object(path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview,
                *, name: str | None = None) -> ObjectFile:
    """Read a BPF ELF object from a file path or from its bytes.

    ``name`` is the file name used in messages and :attr:`ObjectFile.path` (default: the path,
    or ``<bytes>``).  Raises :class:`ElfError` for unreadable files and malformed or non-BPF objects.
    """
    data, label = _load(path_or_bytes, name)
    _check_header(data, label)
    try:
        elf = ELFFile(io.BytesIO(data))
        _check_sections(elf, len(data))
        symbols = _read_symbols(elf)
        relocating = _relocation_sections(elf)
        sections = [_read_section(elf, i, symbols, relocating) for i in range(elf.num_sections())]
    except ElfError as exc:
        raise ElfError(f"{label}: {exc}") from exc
    except _PYELF_ERRORS as exc:
        raise ElfError(f"{label}: malformed ELF object: {exc}") from exc
    return ObjectFile(label, sections, symbols)


def _load(source: str | os.PathLike[str] | bytes | bytearray | memoryview,
          name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "<bytes>"
    label = name or os.fspath(source)
    try:
        with open(source, "rb") as f:
            return f.read(), label
    except OSError as exc:
        raise ElfError(f"{label}: cannot read: {exc.strerror or exc}") from exc


def _check_header(data: bytes, label: str) -> None:
    if len(data) >= 4 and data[:4] != b"\x7fELF":
        raise ElfError(f"{label}: not an ELF file (bad magic)")
    if len(data) < _EHDR_SIZE:
        raise ElfError(f"{label}: truncated ELF header ({len(data)} bytes)")
    if data[4] != 2:
        raise ElfError(f"{label}: not an ELF-64 object (EI_CLASS={data[4]})")
    if data[5] != 1:
        raise ElfError(f"{label}: not a little-endian object (EI_DATA={data[5]})")
    machine = int.from_bytes(data[18:20], "little")
    if machine != EM_BPF:
        raise ElfError(f"{label}: not a BPF object (e_machine={machine}, expected {EM_BPF})")


def _check_sections(elf: ELFFile, file_size: int) -> None:
    shoff, shnum, shentsize = elf["e_shoff"], elf["e_shnum"], elf["e_shentsize"]
    if shnum and shoff + shnum * shentsize > file_size:
        raise ElfError(f"section header table at {shoff:#x} extends past end of file")
    for i in range(elf.num_sections()):
        header = elf.get_section(i).header
        if header["sh_type"] != "SHT_NOBITS" and header["sh_offset"] + header["sh_size"] > file_size:
            raise ElfError(f"section #{i} ({elf.get_section(i).name or '?'}) at offset "
                           f"{header['sh_offset']:#x} size {header['sh_size']:#x} extends past end of file")


def _read_symbols(elf: ELFFile) -> list[Symbol]:
    table = elf.get_section_by_name(".symtab")
    if not isinstance(table, SymbolTableSection):
        table = next((s for s in elf.iter_sections() if isinstance(s, SymbolTableSection)), None)
    if table is None:
        return []
    strings = table.stringtable.header["sh_size"]
    for number, sym in enumerate(table.iter_symbols()):
        if sym.entry["st_name"] >= max(strings, 1):
            raise ElfError(f"symbol #{number}: name offset {sym.entry['st_name']:#x} is outside the string "
                           f"table ({strings:#x} bytes)")
    return [_symbol(elf, sym) for sym in table.iter_symbols()]


def _symbol(elf: ELFFile, sym: object) -> Symbol:
    entry = sym.entry  # type: ignore[attr-defined]
    shndx = entry["st_shndx"]
    index = _SHN_NAMES.get(shndx, 0) if isinstance(shndx, str) else int(shndx)
    name = sym.name  # type: ignore[attr-defined]
    if entry["st_info"]["type"] == "STT_SECTION" and not name and 0 < index < elf.num_sections():
        name = elf.get_section(index).name
    return Symbol(name, entry["st_value"], entry["st_size"], _enum_name(entry["st_info"]["type"]),
                  _enum_name(entry["st_info"]["bind"]), index)


def _enum_name(value: str | int) -> str:
    """pyelftools gives known enum values as names and unknown ones as ints; make both strings."""
    return value if isinstance(value, str) else f"{value:#x}"


def _read_section(elf: ELFFile, index: int, symbols: list[Symbol],
                  relocating: dict[int, list[RelocationSection]]) -> Section:
    section = elf.get_section(index)
    header = section.header
    data = b"" if header["sh_type"] == "SHT_NOBITS" else section.data()
    relocs = [r for rel in relocating.get(index, ()) if index for r in _relocations(rel, symbols)]
    return Section(index, section.name, _enum_name(header["sh_type"]), header["sh_flags"], header["sh_addr"],
                   header["sh_offset"], header["sh_size"], bytes(data), relocs, header["sh_link"],
                   header["sh_info"], header["sh_addralign"])


def _relocation_sections(elf: ELFFile) -> dict[int, list[RelocationSection]]:
    """Section index → the relocation sections that patch it (``sh_info``)."""
    found: dict[int, list[RelocationSection]] = {}
    for section in elf.iter_sections():
        if isinstance(section, RelocationSection):
            found.setdefault(section.header["sh_info"], []).append(section)
    return found


def _relocations(section: RelocationSection, symbols: list[Symbol]) -> list[Relocation]:
    """The entries of a ``SHT_REL``/``SHT_RELA`` section (ELF64 little-endian, unpacked directly:
    debug sections carry tens of thousands of them)."""
    rela = section.is_RELA()
    size = 24 if rela else 16
    data = section.data()
    if section.header["sh_entsize"] not in (0, size):
        raise ElfError(f"{section.name}: entry size {section.header['sh_entsize']} (expected {size})")
    layout = struct.Struct("<QQq" if rela else "<QQ")
    out = []
    for fields in layout.iter_unpack(data[:len(data) - len(data) % size]):
        offset, info = fields[0], fields[1]
        sym = info >> 32
        if sym >= len(symbols):
            raise ElfError(f"relocation at {offset:#x} in {section.name} refers to symbol #{sym}, "
                           f"but the symbol table has {len(symbols)} entries")
        addend = fields[2] if rela else None
        out.append(Relocation(offset, info & 0xFFFF_FFFF, sym, symbols[sym].name, addend))
    return out
