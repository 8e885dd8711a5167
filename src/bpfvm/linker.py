"""The static linker: several loaded objects → one :class:`~bpfvm.program.Program`.

C programs of more than one translation unit compile to one BPF object per file (``bpfvm cc
a.c``, ``bpfvm cc b.c``); :func:`link_programs` combines their Programs the way ``ld`` combines
relocatable objects, and ``bpfvm run a.o b.o`` / ``bpfvm.load(["a.o", "b.o"])`` use it:

* **Code** — the objects' code images are concatenated in the order given; every instruction
  moves by its object's base slot.  Local calls and jumps are pc-relative and need no change.
* **Symbols** — ``global`` and ``weak`` symbols (functions and data objects) are exported; a
  global definition overrides weak ones, two global definitions of one name are an error, as is
  a tentative definition (``-fcommon``) shared by two objects.  ``static`` (local) symbols stay
  private: a static function whose name another object also uses is renamed
  ``object:function``.
* **Externs** — a call to an undefined function that another object exports becomes a local
  call (``call`` src=1) to it; calls nothing exports stay externs, bound to intrinsics by name
  when a VM runs the program.  Unresolved data references (``extern`` variables, addresses of
  functions defined elsewhere) resolve to the exporting object's segment and offset.
* **Segments** — same-named data sections (``.data``, ``.rodata.str1.1``, ``.bss`` …) are merged
  into one segment, each object's part aligned to its own alignment, as ``ld`` lays out output
  sections; relocations and symbols move by the part's offset.
* **Debug lines** and ``SEC()`` section lists are carried over; the frame size is the largest.

The entry is ``main`` if some object defines it (``begin`` next), else the first object's entry.
Errors are :class:`LinkError` naming the symbol and the objects involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DecodeError, ProgramError
from .isa import Insn
from .program import GlobalSymbol, MapDef, Program, Reloc, Segment

__all__ = ["LinkError", "link_programs"]

_CODE = "code"
_ENTRY_NAMES = ("main", "begin")
_EXPORTED = ("global", "weak", "common")


class LinkError(ProgramError):
    """Objects that cannot be linked: duplicate definitions, conflicting section kinds."""


@dataclass
class _Part:
    """Where one object's pieces land in the output: code base slot, segment offsets."""

    program: Program
    base: int
    segments: dict[str, tuple[str, int]] = field(default_factory=dict)  #: name → (output name, offset)
    functions: dict[str, str] = field(default_factory=dict)  #: object's name → output name

    def place(self, segment: str, offset: int) -> tuple[str, int]:
        """The output (segment, byte offset) of ``offset`` in this object's ``segment``."""
        if segment == _CODE:
            return _CODE, self.base * 8 + offset
        name, start = self.segments[segment]
        return name, start + offset


def link_programs(programs: Sequence[Program], *, name: str | None = None) -> Program:
    """Link loaded objects into one Program (see the module docs); ``name`` names the result
    (default: the first object's name).  One object links to itself unchanged.

    Raises :class:`LinkError` for duplicate definitions and conflicting sections.
    """
    if not programs:
        raise LinkError("nothing to link: no objects given")
    if len(programs) == 1 and name is None:
        return programs[0]
    parts = _code_parts(programs)
    segments = _merge_segments(parts)
    exports = _exports(parts)
    _name_functions(parts, exports)
    insns, externs = _code(parts, exports)
    relocs = tuple(_reloc(part, r, exports) for part in parts for r in part.program.relocs)
    names = {part.base + f.start: part.functions[f.name] for part in parts
             for f in part.program.functions.values()}
    extra = {"segments": segments, "relocs": relocs, "externs": externs,
             "symbols": _symbols(parts, exports), "sections": _sections(parts),
             "lines": {part.base + pc: where for part in parts for pc, where in part.program.lines.items()},
             "frame_size": max((p.frame_size for p in programs if p.frame_size), default=None),
             "maps": _maps(programs)}
    label = name or programs[0].name
    try:
        return Program.from_insns(insns, name=label, names=names, entry=_entry(parts, exports),
                                  noreturn_tails=any(p.noreturn_tails for p in programs), **extra)
    except DecodeError as exc:  # pragma: no cover - each object was checked when it loaded
        raise LinkError(f"{label}: {exc.reason}", exc.pc) from exc


def _maps(programs: Sequence[Program]) -> tuple[MapDef, ...]:
    """Map definitions of all objects (libbpf: one map per name; a second definition of a name
    must be the same)."""
    found: dict[str, MapDef] = {}
    for program in programs:
        for d in program.maps:
            if d.name in found and found[d.name] != d:
                raise LinkError(f"map {d.name!r} is defined differently in two objects ({program.name})")
            found[d.name] = d
    return tuple(found.values())


def _code_parts(programs: Sequence[Program]) -> list[_Part]:
    parts: list[_Part] = []
    base = 0
    for program in programs:
        parts.append(_Part(program, base))
        if program.insns:
            last = program.insns[-1]
            base += last.pc + last.width
    return parts


def _merge_segments(parts: list[_Part]) -> tuple[Segment, ...]:
    """Concatenate same-named segments; each part starts at a multiple of its own alignment."""
    merged: dict[str, tuple[bytearray, bool, int]] = {}
    for part in parts:
        for seg in part.program.segments:
            data, writable, align = merged.setdefault(seg.name, (bytearray(), seg.writable, 1))
            if writable != seg.writable:
                raise LinkError(f"section {seg.name} is {'writable' if seg.writable else 'read-only'} in "
                                f"{part.program.name} but not in an object before it")
            data.extend(bytes(-len(data) % max(seg.align, 1)))
            part.segments[seg.name] = (seg.name, len(data))
            data.extend(seg.data)
            merged[seg.name] = (data, writable, max(align, seg.align))
    return tuple(Segment(n, bytes(d), w, a) for n, (d, w, a) in merged.items())


@dataclass(frozen=True)
class _Export:
    part: _Part
    symbol: GlobalSymbol

    @property
    def where(self) -> tuple[str, int]:
        return self.part.place(self.symbol.segment, self.symbol.offset)


def _exports(parts: list[_Part]) -> dict[str, _Export]:
    """Exported definitions by name: global over weak; duplicates of strong ones are errors."""
    exports: dict[str, _Export] = {}
    for part in parts:
        for sym in part.program.symbols.values():
            if sym.binding not in _EXPORTED:
                continue
            seen = exports.get(sym.name)
            if seen is None or (seen.symbol.binding == "weak" and sym.binding != "weak"):
                exports[sym.name] = _Export(part, sym)
            elif sym.binding != "weak":
                raise LinkError(_duplicate(sym, seen, part))
    return exports


def _duplicate(sym: GlobalSymbol, seen: _Export, part: _Part) -> str:
    hint = ""
    if "common" in (seen.symbol.binding, sym.binding):
        hint = " (a tentative definition: declare it `extern` in all files but one)"
    return f"multiple definition of {sym.name!r}: in {seen.part.program.name} and {part.program.name}{hint}"


def _name_functions(parts: list[_Part], exports: dict[str, _Export]) -> None:
    """Output names: exported functions keep theirs; a static one, or a weak one overridden by
    another object's definition, becomes ``object:name`` if its name is taken."""
    taken = {n for n, e in exports.items() if e.symbol.segment == _CODE}
    for part in parts:
        for fname in part.program.functions:
            export = exports.get(fname)
            if export is not None and export.part is part and export.symbol.segment == _CODE:
                part.functions[fname] = fname
                continue
            out = fname if fname not in taken else f"{Path(part.program.name).name}:{fname}"
            while out in taken:
                out += "'"
            taken.add(out)
            part.functions[fname] = out


def _code(parts: list[_Part], exports: dict[str, _Export]) -> tuple[list[Insn], dict[int, str]]:
    """Move every instruction by its base; turn calls of exported functions into local calls."""
    insns: list[Insn] = []
    externs: dict[int, str] = {}
    for part in parts:
        for insn in part.program.insns:
            pc = part.base + insn.pc
            moved = insn.with_pc(pc)
            callee = part.program.externs.get(insn.pc)
            if callee is not None:
                target = _function_slot(exports.get(callee))
                if target is None:
                    externs[pc] = callee
                else:
                    moved = moved._replace(src=1, imm=target - pc - 1)
            insns.append(moved)
    return insns, externs


def _function_slot(export: _Export | None) -> int | None:
    if export is None or export.symbol.segment != _CODE:
        return None
    return export.where[1] // 8


def _reloc(part: _Part, reloc: Reloc, exports: dict[str, _Export]) -> Reloc:
    site, offset = part.place(reloc.site, reloc.offset)
    if reloc.resolved:
        target, addend = part.place(reloc.target, reloc.addend)
        return Reloc(site, offset, reloc.kind, target, addend)
    export = exports.get(reloc.symbol)
    if export is None:
        return Reloc(site, offset, reloc.kind, "", reloc.addend, reloc.symbol)
    target, start = export.where
    return Reloc(site, offset, reloc.kind, target, start + reloc.addend)


def _symbols(parts: list[_Part], exports: dict[str, _Export]) -> dict[str, GlobalSymbol]:
    """Exported symbols, then private ones whose names nothing else uses, at output places."""
    symbols: dict[str, GlobalSymbol] = {}
    for sym_name, export in exports.items():
        symbols[sym_name] = _moved(export.part, export.symbol)
    for part in parts:
        for sym in part.program.symbols.values():
            if sym.binding not in _EXPORTED and sym.name not in symbols:
                symbols[sym.name] = _moved(part, sym)
    return symbols


def _moved(part: _Part, sym: GlobalSymbol) -> GlobalSymbol:
    segment, offset = part.place(sym.segment, sym.offset)
    name = part.functions.get(sym.name, sym.name) if segment == _CODE else sym.name
    return GlobalSymbol(name, segment, offset, sym.size, sym.binding)


def _sections(parts: list[_Part]) -> dict[str, tuple[str, ...]]:
    sections: dict[str, tuple[str, ...]] = {}
    for part in parts:
        for section, funcs in part.program.sections.items():
            sections[section] = sections.get(section, ()) + tuple(part.functions[f] for f in funcs)
    return sections


def _entry(parts: list[_Part], exports: dict[str, _Export]) -> str:
    for fname in _ENTRY_NAMES:
        if _function_slot(exports.get(fname)) is not None:
            return fname
    first = next((p for p in parts if p.program.entry), None)
    return first.functions[first.program.entry] if first else ""
