"""The ELF loader: a BPF relocatable object (``clang -target bpf -c``) → a position-independent Program.

It implements the conventions of LLVM's BPF backend (LLVM docs "BPF relocations": ``R_BPF_64_64``
on ``lddw``, ``R_BPF_64_32`` on ``call``, ``R_BPF_64_ABS64``/``ABS32``/``NODYLD32`` on data, in
``SHT_REL`` sections whose addend is implicit in the patched bytes; ``SHT_RELA`` addends are
honoured too) and the way libbpf splits an object into programs and subprograms.  It *describes*
a program and does not place it: the VM assigns addresses later and applies the
:class:`~bpfvm.program.Reloc` s with :func:`~bpfvm.program.link`.

* **Code** — every ``SHF_ALLOC|SHF_EXECINSTR`` ``SHT_PROGBITS`` section (``.text`` and each
  ``SEC("…")``), concatenated in section-index order; section *i* starts at its base slot.  Jumps
  are section-local; calls are resolved to pc-relative local calls across the whole image.
* **Functions** — ``STT_FUNC`` symbols (global and local); a section without a symbol at its start
  gets a function named after the section.  ``Program.sections`` maps each section to its
  functions, the first being the section's program.
* **Segments** — every other ``SHF_ALLOC`` ``PROGBITS``/``NOBITS`` section except ``.eh_frame``:
  ``.rodata*``, ``license`` and ``version`` read-only; ``.data*``, ``.bss*``, the map sections
  ``maps`` and ``.maps`` and any other section with ``SHF_WRITE`` writable.  ``SHN_COMMON``
  symbols (``-fcommon``) get space in a synthetic writable segment :data:`COMMON_SEGMENT`.
  Map sections are kept as plain data; the maps they define are ``Program.maps``
  (:mod:`bpfvm.kernel.maps.elf`), created when a VM places the program.
* **Relocations** — in code: ``R_BPF_64_64`` on an ``lddw`` → an ``"imm64"`` Reloc;
  ``R_BPF_64_32`` on a ``call`` → a local call (``src=1``) to a defined function, or an *extern*
  (``call`` ``src=0`` ``imm=-1``, recorded in ``Program.externs``) for an undefined symbol.  The
  data types ``ABS64``/``ABS32``/``NODYLD32`` in a code section would overwrite instruction
  fields and are rejected.  In data: ``ABS64`` → ``"abs64"``, ``ABS32``/``NODYLD32`` →
  ``"abs32"`` Relocs.  A data reference to an undefined symbol (an ``extern`` variable, or the
  address of a function defined elsewhere) becomes an *unresolved* Reloc naming the symbol, for
  :mod:`bpfvm.linker` to resolve against other objects.  Relocations of sections that are not
  loaded (``.debug_*``, ``.BTF*``, ``.eh_frame``) are skipped.
* **Lines** — from DWARF ``.debug_line`` (see :mod:`bpfvm.elf.lines`).
* **Frame size** — ``Program.frame_size`` from the ``.bpfvm.stack`` section, if any.

Every defect raises :class:`~bpfvm.errors.ElfError` naming the file and the section, symbol or
offset; decoding errors name the section and the instruction index within it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from ..errors import DecodeError, ElfError
from ..isa import Insn, check_jumps, decode
from ..program import GlobalSymbol, Program, Reloc, Segment
from .lines import read_lines
from .reader import (
    RELOC_TYPE_NAMES,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_WRITE,
    SHN_COMMON,
    SHN_UNDEF,
    ObjectFile,
    Relocation,
    Section,
    Symbol,
    _load,
    read_object,
)

__all__ = ["CODE", "COMMON_SEGMENT", "MAX_ZEROED", "STACK_SECTION", "frame_size", "load"]

#: The section (not loaded) in which ``bpfvm cc`` records the frame size its code may use.
STACK_SECTION = ".bpfvm.stack"

#: The ``Reloc.target``/``GlobalSymbol.segment`` name of the code image.
CODE = "code"
#: The synthetic segment holding ``SHN_COMMON`` symbols.
COMMON_SEGMENT = ".bss.common"
#: The largest zero-filled segment (``.bss``, COMMON) the loader creates: 1 GiB.
MAX_ZEROED = 1 << 30

R_BPF_NONE, R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32, R_BPF_64_NODYLD32, R_BPF_64_32 = 0, 1, 2, 3, 4, 10
_DATA_RELOCS = {R_BPF_64_ABS64: ("abs64", 8), R_BPF_64_ABS32: ("abs32", 4), R_BPF_64_NODYLD32: ("abs32", 4)}
_ET_REL, _EV_CURRENT = 1, 1
_LDDW = 0x18
_READ_ONLY = ("license", "version")
_MAP_SECTIONS = ("maps", ".maps")
_NOT_LOADED = (".eh_frame",)
_ENTRY_NAMES = ("main", "begin")


@dataclass
class _Layout:
    """Where the loaded sections go: code base slots, segment names, COMMON symbol offsets."""

    label: str
    obj: ObjectFile
    code: dict[int, int] = field(default_factory=dict)  #: exec section index → base slot
    segments: dict[int, str] = field(default_factory=dict)  #: data section index → segment name
    common: dict[int, int] = field(default_factory=dict)  #: symbol index → offset in COMMON
    common_name: str = COMMON_SEGMENT

    def error(self, where: str, message: str) -> ElfError:
        """An ElfError naming the file and ``where`` (a section, symbol or offset)."""
        return ElfError(f"{self.label}: {where}: {message}")

    def at(self, section: Section, rel: Relocation) -> str:
        """Describe a relocation for messages: section, offset, type and symbol."""
        return (f"section {section.name} offset {rel.offset:#x} "
                f"({RELOC_TYPE_NAMES.get(rel.type, f'type {rel.type}')} against {rel.symbol_name or '?'})")


def load(path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview, *,
         name: str | None = None) -> Program:
    """Load a BPF ELF relocatable object into a position-independent :class:`Program`.

    ``name`` names the object in messages and becomes ``Program.name`` (default: the path, or
    ``<bytes>``).  The entry is ``main`` if defined, else ``begin``, else the first function of
    the first ``SEC()`` section other than ``.text``, else the first function.  An object
    without code (only data definitions) loads as a Program without functions, for linking.
    Raises :class:`ElfError` for unreadable, malformed or unsupported objects.
    """
    data, label = _load(path_or_bytes, name)
    obj = read_object(data, name=label)
    _check_header(data, label)
    _check_layout(obj, label)
    lay = _layout(obj, label)
    insns, relocs, externs = _code(lay)
    relocs += _data_relocs(lay)
    names, sections = _functions(lay)
    from ..kernel.maps.elf import map_definitions

    extra = {"maps": map_definitions(obj, label),
             "segments": _segments(lay), "relocs": tuple(relocs), "externs": externs,
             "symbols": _symbols(lay), "sections": sections,
             "lines": read_lines(data, obj, lay.code, {i.pc for i in insns}), "frame_size": frame_size(obj)}
    try:
        return Program.from_insns(insns, name=label, names=names, entry=_entry(names, sections),
                                  noreturn_tails=True, **extra)
    except DecodeError as exc:
        raise lay.error(_where(lay, exc.pc), exc.reason) from exc


def frame_size(obj: ObjectFile) -> int | None:
    """The frame size recorded in :data:`STACK_SECTION` (the largest of its little-endian u32s,
    one per module compiled by ``bpfvm cc``), or None if the object has no such record."""
    section = obj.section_named(STACK_SECTION)
    count = len(section.data) // 4 if section is not None else 0
    if section is None or not count:
        return None
    return max(struct.unpack(f"<{count}I", section.data[:4 * count]))


# ---------------------------------------------------------------- header and layout checks

def _check_header(data: bytes, label: str) -> None:
    """Checks the reader leaves to the loader: ``EI_VERSION`` and ``e_type`` (``ET_REL`` only).

    ``EI_OSABI`` is not checked: BPF defines no OS ABI and any value is accepted.
    """
    if data[6] != _EV_CURRENT:
        raise ElfError(f"{label}: unsupported ELF version (EI_VERSION={data[6]}, expected {_EV_CURRENT})")
    e_type = int.from_bytes(data[16:18], "little")
    if e_type != _ET_REL:
        raise ElfError(f"{label}: not a relocatable object (e_type={e_type}, expected ET_REL={_ET_REL})")


def _check_layout(obj: ObjectFile, label: str) -> None:
    """File contents of sections must not overlap each other or the ELF header; relocation
    sections that patch loaded sections must use the symbol table (``sh_link``)."""
    spans = sorted((s.offset, s.offset + s.size, s.name) for s in obj.sections
                   if s.size and s.type != "SHT_NOBITS")
    previous = (0, 64, "the ELF header")
    for span in spans:
        if span[0] < previous[1]:
            raise ElfError(f"{label}: section {span[2]} (file offset {span[0]:#x}) overlaps {previous[2]}")
        previous = max(previous, span, key=lambda s: s[1])
    symtab = next((s.index for s in obj.sections if s.type == "SHT_SYMTAB"), None)
    for section in obj.sections:
        if section.type in ("SHT_REL", "SHT_RELA"):
            _check_rel_link(obj, label, section, symtab)


def _check_rel_link(obj: ObjectFile, label: str, section: Section, symtab: int | None) -> None:
    """A relocation section for a loaded section must link to the symbol table (uBPF checks this too)."""
    if section.info < len(obj.sections) and _is_loaded(obj.sections[section.info]) and section.link != symtab:
        raise ElfError(f"{label}: section {section.name}: sh_link {section.link} does not name the symbol "
                       f"table (section #{symtab})")


def _is_code(section: Section) -> bool:
    return (section.flags & (SHF_ALLOC | SHF_EXECINSTR) == SHF_ALLOC | SHF_EXECINSTR
            and section.type == "SHT_PROGBITS" and section.size > 0)


def _is_data(section: Section) -> bool:
    return (bool(section.flags & SHF_ALLOC) and not section.flags & SHF_EXECINSTR
            and section.type in ("SHT_PROGBITS", "SHT_NOBITS") and section.name not in _NOT_LOADED)


def _is_loaded(section: Section) -> bool:
    return _is_code(section) or _is_data(section)


def _layout(obj: ObjectFile, label: str) -> _Layout:
    """Give code sections their base slots and data sections their segment names (both unique)."""
    lay = _Layout(label, obj)
    slot = 0
    names: set[str] = {CODE}
    for section in obj.sections:
        if not _is_loaded(section):
            continue
        if section.name in names:
            raise lay.error(f"section {section.name}", "duplicate or reserved section name")
        names.add(section.name)
        if _is_code(section):
            if section.size % 8:
                raise lay.error(f"section {section.name}", f"size {section.size} is not a multiple of 8")
            lay.code[section.index] = slot
            slot += section.size // 8
        else:
            lay.segments[section.index] = section.name
    while lay.common_name in names:
        lay.common_name += "_"
    _layout_common(lay)
    return lay


def _layout_common(lay: _Layout) -> None:
    """Give each ``SHN_COMMON`` symbol an offset in the COMMON segment (its value is its alignment)."""
    size = 0
    for index, sym in enumerate(lay.obj.symbols):
        if sym.section_index == SHN_COMMON:
            align = max(sym.value, 1)
            size = -(-size // align) * align
            lay.common[index] = size
            size += sym.size


# ---------------------------------------------------------------- code

def _code(lay: _Layout) -> tuple[list[Insn], list[Reloc], dict[int, str]]:
    """Decode every code section at its base, apply its relocations and check its jumps."""
    insns: dict[int, Insn] = {}
    relocs: list[Reloc] = []
    externs: dict[int, str] = {}
    for index, base in lay.code.items():
        section = lay.obj.sections[index]
        local = {i.pc + base: i.with_pc(i.pc + base) for i in _decode(lay, section)}
        relocated = _relocate_code(lay, section, local, relocs, externs)
        _check_section_jumps(lay, section, local, relocated)
        insns.update(local)
    ordered = [insns[pc] for pc in sorted(insns)]
    try:
        check_jumps(ordered)
    except DecodeError as exc:
        raise lay.error(_where(lay, exc.pc), exc.reason) from exc
    return ordered, relocs, externs


def _decode(lay: _Layout, section: Section) -> list[Insn]:
    """Decode a code section in section-local slots; errors name the section and local index."""
    try:
        return decode(section.data, jumps=False)
    except DecodeError as exc:
        raise lay.error(f"section {section.name} insn #{exc.pc}", exc.reason) from exc


def _where(lay: _Layout, pc: int) -> str:
    """Name the section and section-relative instruction index of image slot ``pc``."""
    index, base = max(((i, b) for i, b in lay.code.items() if b <= pc), key=lambda ib: ib[1])
    return f"section {lay.obj.sections[index].name} insn #{pc - base}"


def _check_section_jumps(lay: _Layout, section: Section, insns: dict[int, Insn], relocated: set[int]) -> None:
    """Jumps and unrelocated local calls must stay inside their section (checked in section-local
    slots; relocated calls, which may cross sections, are checked over the whole image)."""
    base = lay.code[section.index]
    local = [i.with_pc(i.pc - base) if i.pc not in relocated else i._replace(pc=i.pc - base, src=0)
             for i in insns.values()]
    try:
        check_jumps(local)
    except DecodeError as exc:
        raise lay.error(f"section {section.name} insn #{exc.pc}", exc.reason) from exc


def _relocate_code(lay: _Layout, section: Section, insns: dict[int, Insn], relocs: list[Reloc],
                   externs: dict[int, str]) -> set[int]:
    """Apply ``section``'s relocations to ``insns`` (image slots); return the pcs of relocated calls."""
    calls: set[int] = set()
    for rel in section.relocations:
        if rel.type == R_BPF_NONE:
            continue
        if rel.type in _DATA_RELOCS:
            raise lay.error(lay.at(section, rel), "a data relocation cannot patch an instruction")
        if rel.type not in (R_BPF_64_64, R_BPF_64_32):
            raise lay.error(lay.at(section, rel), f"unknown relocation type {rel.type}")
        insn = _insn_at(lay, section, rel, insns)
        if rel.type == R_BPF_64_64:
            relocs.append(_lddw_reloc(lay, section, rel, insn))
        else:
            insns[insn.pc] = _call(lay, section, rel, insn, externs)
            calls.add(insn.pc)
    return calls


def _insn_at(lay: _Layout, section: Section, rel: Relocation, insns: dict[int, Insn]) -> Insn:
    if rel.offset >= section.size:
        raise lay.error(lay.at(section, rel), f"offset outside the section (size {section.size:#x})")
    insn = insns.get(lay.code[section.index] + rel.offset // 8) if rel.offset % 8 == 0 else None
    if insn is None:
        raise lay.error(lay.at(section, rel), "offset is not at the start of an instruction")
    return insn


def _lddw_reloc(lay: _Layout, section: Section, rel: Relocation, insn: Insn) -> Reloc:
    """``R_BPF_64_64``: the lddw receives the target's address; the implicit addend is its immediate
    (LLVM writes it to the first slot, sign-extended; a non-zero second slot is the high half)."""
    if insn.opcode != _LDDW or insn.src != 0:
        raise lay.error(lay.at(section, rel), "R_BPF_64_64 must patch an lddw with src=0")
    resolved = _resolve(lay, section, rel)
    implicit = insn.imm if insn.imm_hi == 0 else insn.imm64
    if resolved is None:
        return Reloc(CODE, insn.pc * 8, "imm64", "", _addend(rel, implicit), rel.symbol_name)
    return Reloc(CODE, insn.pc * 8, "imm64", resolved[0], resolved[1] + _addend(rel, implicit))


def _call(lay: _Layout, section: Section, rel: Relocation, insn: Insn, externs: dict[int, str]) -> Insn:
    """``R_BPF_64_32``: a call to a defined function becomes a pc-relative local call (its target
    slot is the symbol's slot + imm + 1, as LLVM encodes calls through section symbols; with a
    RELA addend, symbol + addend); a call to an undefined symbol becomes an extern, ``call``
    src=0 imm=-1."""
    if insn.spec.kind != "call":
        raise lay.error(lay.at(section, rel), "R_BPF_64_32 must patch a call")
    resolved = _resolve(lay, section, rel)
    if resolved is None:
        externs[insn.pc] = rel.symbol_name
        return insn._replace(src=0, off=0, imm=-1)
    target, value = resolved
    sym_section = lay.obj.sections[lay.obj.symbols[rel.symbol_index].section_index]
    if target != CODE or value % 8:
        raise lay.error(lay.at(section, rel), "call target is not an instruction in a code section")
    slot = (value + rel.addend) // 8 if rel.addend is not None else value // 8 + insn.imm + 1
    first = lay.code[sym_section.index]
    if not first <= slot < first + sym_section.size // 8:
        raise lay.error(lay.at(section, rel),
                        f"call target {slot - first} is outside section {sym_section.name}")
    return insn._replace(src=1, off=0, imm=slot - insn.pc - 1)


def _resolve(lay: _Layout, section: Section, rel: Relocation) -> tuple[str, int] | None:
    """The (segment or ``"code"``, byte offset) a relocation's symbol names; None if undefined."""
    sym = lay.obj.symbols[rel.symbol_index]
    index = sym.section_index
    if index == SHN_UNDEF:
        return None
    if index == SHN_COMMON:
        return lay.common_name, lay.common[rel.symbol_index]
    if index in lay.code or index in lay.segments:
        _check_value(lay, section, rel, sym)
        if index in lay.code:
            return CODE, lay.code[index] * 8 + sym.value
        return lay.segments[index], sym.value
    raise lay.error(lay.at(section, rel),
                    f"symbol is in {_section_label(lay.obj, index)}, which is not loaded")


def _check_value(lay: _Layout, section: Section, rel: Relocation, sym: Symbol) -> None:
    _check_inside(lay, lay.at(section, rel), sym)


def _check_inside(lay: _Layout, where: str, sym: Symbol) -> None:
    """A defined symbol's value (and, for data objects, its extent) must lie inside its section."""
    target = lay.obj.sections[sym.section_index]
    end = sym.value + (sym.size if sym.type == "STT_OBJECT" else 0)
    if end > target.size:
        raise lay.error(where, f"symbol value {sym.value:#x} (size {sym.size:#x}) is past the end of "
                        f"{target.name} (size {target.size:#x})")


def _section_label(obj: ObjectFile, index: int) -> str:
    if index < len(obj.sections):
        return f"section {obj.sections[index].name or f'#{index}'}"
    return f"section index {index:#x}"


# ---------------------------------------------------------------- data

def _data_relocs(lay: _Layout) -> list[Reloc]:
    return [_data_reloc(lay, lay.obj.sections[index], rel) for index in lay.segments
            for rel in lay.obj.sections[index].relocations if rel.type != R_BPF_NONE]


def _data_reloc(lay: _Layout, section: Section, rel: Relocation) -> Reloc:
    """``ABS64``/``ABS32``/``NODYLD32`` in a data section: the bytes at the offset receive the target
    address; the implicit addend is their current (little-endian) value."""
    if rel.type not in _DATA_RELOCS:
        what = ("an instruction relocation" if rel.type in RELOC_TYPE_NAMES
                else f"unknown relocation type {rel.type}")
        raise lay.error(lay.at(section, rel), f"{what} cannot patch data")
    kind, size = _DATA_RELOCS[rel.type]
    if section.type == "SHT_NOBITS" or rel.offset + size > section.size:
        raise lay.error(lay.at(section, rel),
                        f"offset outside the section data (size {len(section.data):#x})")
    resolved = _resolve(lay, section, rel)
    implicit = int.from_bytes(section.data[rel.offset:rel.offset + size], "little")
    if resolved is None:
        return Reloc(section.name, rel.offset, kind, "", _addend(rel, implicit), rel.symbol_name)
    return Reloc(section.name, rel.offset, kind, resolved[0], resolved[1] + _addend(rel, implicit))


def _addend(rel: Relocation, implicit: int) -> int:
    """The addend: the relocated field's contents for ``SHT_REL`` (what LLVM and binutils emit),
    the entry's own for ``SHT_RELA``."""
    return implicit if rel.addend is None else rel.addend


def _segments(lay: _Layout) -> tuple[Segment, ...]:
    """One Segment per loaded data section, then the COMMON segment if any symbol is common."""
    segments = [_segment(lay, lay.obj.sections[index]) for index in lay.segments]
    if lay.common:
        commons = [(lay.obj.symbols[i], offset) for i, offset in lay.common.items()]
        size = max(offset + sym.size for sym, offset in commons)
        align = max(max(sym.value, 1) for sym, _ in commons)
        segments.append(Segment(lay.common_name, _zeros(lay, lay.common_name, size), True, align))
    return tuple(segments)


def _segment(lay: _Layout, section: Section) -> Segment:
    data = _zeros(lay, section.name, section.size) if section.type == "SHT_NOBITS" else section.data
    return Segment(section.name, data, _writable(section), _align(lay, section))


def _zeros(lay: _Layout, name: str, size: int) -> bytes:
    """The zero-filled contents of a ``SHT_NOBITS`` section or the COMMON segment, at most
    :data:`MAX_ZEROED` bytes."""
    if size > MAX_ZEROED:
        raise lay.error(f"section {name}", f"size {size:#x} is larger than {MAX_ZEROED:#x} bytes")
    return bytes(size)


def _writable(section: Section) -> bool:
    """``.rodata*``, ``license``, ``version`` are read-only; ``.data*``, ``.bss*``, map sections
    writable; anything else follows ``SHF_WRITE``."""
    name = section.name
    if name.startswith(".rodata") or name in _READ_ONLY:
        return False
    return name.startswith((".data", ".bss")) or name in _MAP_SECTIONS or bool(section.flags & SHF_WRITE)


def _align(lay: _Layout, section: Section) -> int:
    """``sh_addralign`` (at least 1); it must be a power of two."""
    if section.align & (section.align - 1):
        raise lay.error(f"section {section.name}", f"alignment {section.align} is not a power of two")
    return max(section.align, 1)


# ---------------------------------------------------------------- functions and symbols

def _functions(lay: _Layout) -> tuple[dict[int, str], dict[str, tuple[str, ...]]]:
    """Name every function start slot; map each code section to its functions in slot order."""
    names: dict[int, str] = {}
    sources: dict[int, tuple[str, bool]] = {}  # slot → (the STT_FILE before it, static)
    for sym, source in _function_symbols(lay):
        slot = lay.code[sym.section_index] + sym.value // 8
        if slot in names and sym.bind == "STB_LOCAL":
            continue  # an alias: keep the global (or first) name
        names[slot] = sym.name
        sources[slot] = (source, sym.bind == "STB_LOCAL")
    for index, base in lay.code.items():
        names.setdefault(base, lay.obj.sections[index].name)
    _qualify_statics(names, sources)
    _check_unique(lay, names)
    sections: dict[str, tuple[str, ...]] = {}
    for index, base in lay.code.items():
        end = base + lay.obj.sections[index].size // 8
        sections[lay.obj.sections[index].name] = tuple(names[s] for s in sorted(names) if base <= s < end)
    return names, sections


def _qualify_statics(names: dict[int, str], sources: dict[int, tuple[str, bool]]) -> None:
    """Static functions of a linked object (``bpfvm link``, ``bpftool gen object``) that share a
    name with a function of another source file become ``file.c:name``, as :mod:`bpfvm.linker`
    names them ``object:name``; globals, and the first static of a name, keep theirs.  Two
    functions of one name from the same file stay a clash (:func:`_check_unique` reports it)."""
    holder: dict[str, str] = {}  # name → the source file of the function holding it
    for slot in sorted(names, key=lambda s: (sources.get(s, ("", False))[1], s)):
        fname, (source, static) = names[slot], sources.get(slot, ("", False))
        if static and source and fname in holder and holder[fname] != source:
            fname = f"{source}:{fname}"
            while fname in holder:
                fname += "'"
            names[slot] = fname
        holder.setdefault(fname, source)


def _function_symbols(lay: _Layout) -> list[tuple[Symbol, str]]:
    """``STT_FUNC`` symbols in code sections, checked to start on a slot inside their section,
    each with the name of the ``STT_FILE`` symbol before it ("" if none)."""
    found = []
    source = ""
    for sym in lay.obj.symbols:
        if sym.type == "STT_FILE":
            source = sym.name
        if sym.type != "STT_FUNC" or sym.section_index not in lay.code or not sym.name:
            continue
        size = lay.obj.sections[sym.section_index].size
        if sym.value % 8 or sym.value >= size:
            raise lay.error(f"symbol {sym.name}", f"function start {sym.value:#x} is not a slot inside "
                            f"{lay.obj.sections[sym.section_index].name} (size {size:#x})")
        found.append((sym, source))
    return found


def _check_unique(lay: _Layout, names: dict[int, str]) -> None:
    seen: dict[str, int] = {}
    for slot, fname in names.items():
        if fname in seen:
            raise lay.error(f"symbol {fname}",
                            f"two functions have this name (slots {seen[fname]} and {slot})")
        seen[fname] = slot


def _entry(names: dict[int, str], sections: dict[str, tuple[str, ...]]) -> str:
    present = set(names.values())
    for fname in _ENTRY_NAMES:
        if fname in present:
            return fname
    programs = [funcs[0] for sec, funcs in sections.items() if sec != ".text" and funcs]
    return programs[0] if programs else names[min(names)] if names else ""


def _symbols(lay: _Layout) -> dict[str, GlobalSymbol]:
    """Data objects (``STT_OBJECT``, and sized ``STT_NOTYPE``) and functions by name; a global
    symbol wins over a local one of the same name."""
    symbols: dict[str, GlobalSymbol] = {}
    for index, sym in enumerate(lay.obj.symbols):
        found = _global_symbol(lay, index, sym)
        if found is not None and (found.name not in symbols or sym.bind != "STB_LOCAL"):
            symbols[found.name] = found
    return symbols


def _global_symbol(lay: _Layout, index: int, sym: Symbol) -> GlobalSymbol | None:
    if not sym.name:
        return None
    binding = _BINDINGS.get(sym.bind, "global")
    if sym.type == "STT_FUNC" and sym.section_index in lay.code:
        return GlobalSymbol(sym.name, CODE, lay.code[sym.section_index] * 8 + sym.value, sym.size, binding)
    if sym.type == "STT_OBJECT" or (sym.type == "STT_NOTYPE" and sym.size):
        if sym.section_index in lay.segments:
            _check_inside(lay, f"symbol {sym.name}", sym)
            return GlobalSymbol(sym.name, lay.segments[sym.section_index], sym.value, sym.size, binding)
        if sym.section_index == SHN_COMMON:
            return GlobalSymbol(sym.name, lay.common_name, lay.common[index], sym.size, "common")
    return None


_BINDINGS = {"STB_LOCAL": "local", "STB_GLOBAL": "global", "STB_WEAK": "weak"}
