"""Disassembler: instructions → the LLVM BPF assembly syntax that ``llvm-objdump-19 -d`` prints.

Every instruction kind of :data:`bpfvm.isa.SPECS` has one formatter in :data:`_FORMATTERS`.
Two switches select the dialect:

``alu32``
    LLVM's ``--mattr=+alu32`` (``--mcpu=v3``/``v4``) rendering: 32-bit loads, stores and atomics
    name the 32-bit subregister (``w1 = *(u32 *)(r2 + 0x0)``).  Off (the default), output matches
    plain ``llvm-objdump-19 -d``.
``exact``
    Reproduce llvm-objdump-19 byte for byte even where it loses information.  Off (the default
    for :func:`format_insn` and :func:`disassemble`), bpfvm prints a lossless form instead, which
    the assembler reads back to the same bytes.  The differences are:

    ====================================  ===============================  =========================
    instruction                           llvm-objdump-19                  bpfvm (lossless)
    ====================================  ===============================  =========================
    local call (src=1)                    ``call 0x5``                     ``call pc+0x5``
    kfunc call (src=2)                    ``call 0x5``                     ``call kfunc 0x5[, off]``
    callx with the register in imm        ``callx r0``                     ``callx 0x2``
    ldind with imm != 0                   ``r0 = *(u32 *)skb[r1]``         ``... skb[r1 + 0x4]``
    lddw pseudo with upper imm != 0       low 32 bits only                 full 64-bit immediate
    32-bit atomics except add, no alu32   ``<unknown>``                    the alu32 form
    32-bit fetch-add, no alu32            ``lock *(u32 *)(..) += r2``      the alu32 form
    ====================================  ===============================  =========================

:func:`disassemble_object` reproduces the whole ``llvm-objdump-19 -d [-r]`` listing of an ELF
object: section and symbol headers, ``N:<tab>bytes<tab>text`` lines, ``<sym+0x..>`` jump
annotations, skipped zero runs (``...``), data symbols dumped as bytes, relocation lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..elf import SHF_EXECINSTR, ObjectFile, Relocation, Section, read_object
from ..errors import DecodeError
from ..isa import Insn, OpSpec, decode
from .syntax import ALU_OPERATORS, ATOMIC_OPERATORS, JCOND_OPERATORS, hex_imm, mem_operand, signed_hex

__all__ = ["disassemble", "disassemble_object", "format_insn", "raw_listing"]

_U64 = (1 << 64) - 1
_UNKNOWN = "<unknown>"


@dataclass(frozen=True, slots=True)
class _Style:
    alu32: bool
    exact: bool


# ---------------------------------------------------------------- one instruction

def format_insn(insn: Insn, *, symbols: Sequence[tuple[int, str]] | None = None, alu32: bool = False,
                exact: bool = False) -> str:
    """Format one instruction in llvm-objdump syntax (see the module doc for ``alu32``/``exact``).

    ``symbols`` are ``(byte address, name)`` pairs in llvm-objdump's order (by address, then
    name); when given, jumps get llvm's `` <name+0xN>`` target annotation, using ``insn.pc * 8``
    as the instruction's address.  Raises :class:`DecodeError` if the instruction has no spec.
    """
    return _format(insn, insn.pc * 8, _Style(alu32, exact), symbols)


def _format(insn: Insn, address: int, style: _Style, symbols: Sequence[tuple[int, str]] | None) -> str:
    spec = insn.spec
    text = _FORMATTERS[spec.kind](insn, spec, style)
    if symbols is not None and text != _UNKNOWN:
        text += _annotation(insn, spec, address, symbols)
    return text


def _annotation(insn: Insn, spec: OpSpec, address: int, symbols: Sequence[tuple[int, str]]) -> str:
    """llvm-objdump's branch target: the last symbol at or before the target, plus displacement."""
    if spec.kind not in ("ja", "jcond", "may_goto", "gotol"):
        return ""
    delta = insn.imm if spec.kind == "gotol" else insn.off
    target = (address + 8 + delta * 8) & _U64
    best = None
    for sym_addr, name in symbols:
        if sym_addr > target:
            break
        best = (sym_addr, name)
    if best is None:
        return ""
    disp = target - best[0]
    return f" <{best[1]}+{disp:#x}>" if disp else f" <{best[1]}>"


def _reg(bits: int) -> str:
    return "w" if bits == 32 else "r"


def _fmt_alu(insn: Insn, spec: OpSpec, style: _Style) -> str:
    r = _reg(spec.bits)
    if spec.op == "neg":
        return f"{r}{insn.dst} = -{r}{insn.dst}"
    if spec.op.startswith("movsx"):
        return f"{r}{insn.dst} = (s{spec.op[5:]}){r}{insn.src}"
    rhs = f"{r}{insn.src}" if spec.source == "reg" else hex_imm(insn.imm)
    return f"{r}{insn.dst} {ALU_OPERATORS[spec.op]} {rhs}"


def _fmt_end(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"r{insn.dst} = {spec.op} r{insn.dst}"


def _fmt_ja(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"goto {signed_hex(insn.off)}"


def _fmt_gotol(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"gotol {signed_hex(insn.imm)}"


def _fmt_may_goto(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"may_goto {signed_hex(insn.off)}"


def _fmt_jcond(insn: Insn, spec: OpSpec, style: _Style) -> str:
    r = _reg(spec.bits)
    rhs = f"{r}{insn.src}" if spec.source == "reg" else hex_imm(insn.imm)
    return f"if {r}{insn.dst} {JCOND_OPERATORS[spec.op]} {rhs} goto {signed_hex(insn.off)}"


def _fmt_call(insn: Insn, spec: OpSpec, style: _Style) -> str:
    if style.exact or spec.op == "call":
        return f"call {hex_imm(insn.imm)}"
    if spec.op == "call_local":
        return f"call pc{signed_hex(insn.imm)}"
    return f"call kfunc {hex_imm(insn.imm)}" + (f", {hex_imm(insn.off)}" if insn.off else "")


def _fmt_callx(insn: Insn, spec: OpSpec, style: _Style) -> str:
    if insn.imm and not style.exact:
        return f"callx {hex_imm(insn.imm)}"
    return f"callx r{insn.dst}"


def _fmt_exit(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return "exit"


def _sub_reg(spec: OpSpec, style: _Style) -> str:
    """Register letter of a load/store value: ``w`` for 32-bit-or-narrower unsigned ones under alu32."""
    return "w" if style.alu32 and spec.size <= 4 and not spec.signed else "r"


def _fmt_ldx(insn: Insn, spec: OpSpec, style: _Style) -> str:
    kind = f"{'s' if spec.signed else 'u'}{spec.size * 8}"
    return f"{_sub_reg(spec, style)}{insn.dst} = *({kind} *)({mem_operand(insn.src, insn.off)})"


def _fmt_st(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"*(u{spec.size * 8} *)({mem_operand(insn.dst, insn.off)}) = {hex_imm(insn.imm)}"


def _fmt_stx(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"*(u{spec.size * 8} *)({mem_operand(insn.dst, insn.off)}) = {_sub_reg(spec, style)}{insn.src}"


def _fmt_atomic(insn: Insn, spec: OpSpec, style: _Style) -> str:
    if spec.size == 4 and not style.alu32:
        plain_add = spec.op == "add" and (style.exact or not spec.fetch)
        if plain_add:  # plain llvm decodes both add and fetch-add as the non-fetch form
            return f"lock *(u32 *)({mem_operand(insn.dst, insn.off)}) += r{insn.src}"
        if style.exact:
            return _UNKNOWN
    return _atomic_text(insn, spec)


def _atomic_text(insn: Insn, spec: OpSpec) -> str:
    r, bits, mem, s = _reg(spec.bits), spec.bits, mem_operand(insn.dst, insn.off), insn.src
    if spec.op == "xchg":
        return f"{r}{s} = xchg{'32_32' if bits == 32 else '_64'}({mem}, {r}{s})"
    if spec.op == "cmpxchg":
        return f"{r}0 = cmpxchg{'32_32' if bits == 32 else '_64'}({mem}, {r}0, {r}{s})"
    if spec.fetch:
        return f"{r}{s} = atomic_fetch_{spec.op}((u{bits} *)({mem}), {r}{s})"
    return f"lock *(u{bits} *)({mem}) {ATOMIC_OPERATORS[spec.op]} {r}{s}"


def _fmt_ldabs(insn: Insn, spec: OpSpec, style: _Style) -> str:
    return f"r0 = *(u{spec.size * 8} *)skb[{hex_imm(insn.imm)}]"


def _fmt_ldind(insn: Insn, spec: OpSpec, style: _Style) -> str:
    offset = "" if style.exact or not insn.imm else " " + mem_operand(0, insn.imm)[3:]
    return f"r0 = *(u{spec.size * 8} *)skb[r{insn.src}{offset}]"


def _fmt_lddw(insn: Insn, spec: OpSpec, style: _Style) -> str:
    if insn.src == 0:
        value = insn.imm64 - (1 << 64) if insn.imm64 >> 63 else insn.imm64
        return f"r{insn.dst} = {hex_imm(value)} ll"
    value = insn.imm & 0xFFFFFFFF if style.exact else insn.imm64
    return f"ld_pseudo\tr{insn.dst}, {insn.src:#x}, {value:#x}"


_FORMATTERS: dict[str, Callable[[Insn, OpSpec, _Style], str]] = {
    "alu": _fmt_alu, "end": _fmt_end, "ja": _fmt_ja, "gotol": _fmt_gotol, "may_goto": _fmt_may_goto,
    "jcond": _fmt_jcond, "call": _fmt_call, "callx": _fmt_callx, "exit": _fmt_exit, "ldx": _fmt_ldx,
    "st": _fmt_st, "stx": _fmt_stx, "atomic": _fmt_atomic, "ldabs": _fmt_ldabs, "ldind": _fmt_ldind,
    "lddw": _fmt_lddw,
}


# ---------------------------------------------------------------- instruction streams

def disassemble(code: bytes | bytearray | memoryview | Sequence[Insn], *, pc_base: int = 0,
                alu32: bool = False, exact: bool = False) -> str:
    """Disassemble an instruction stream: one instruction's text per line, no trailing newline.

    Jumps print as relative ``goto +0x3`` (no annotation).  ``pc_base`` is the slot index of the
    first instruction, used in error messages.  Raises :class:`DecodeError` for undecodable bytes.
    """
    if isinstance(code, (bytes, bytearray, memoryview)):
        try:
            insns: Sequence[Insn] = decode(code, jumps=False)
        except DecodeError as exc:
            raise DecodeError(exc.reason, exc.pc + pc_base) from exc
    else:
        insns = code
    style = _Style(alu32, exact)
    return "\n".join(_format(insn, insn.pc * 8, style, None) for insn in insns)


def raw_listing(code: bytes | bytearray | memoryview, *, alu32: bool = False, exact: bool = True) -> str:
    """List a raw instruction stream as llvm-objdump lists code: ``N:<tab>bytes<tab>text`` lines.

    Undecodable slots print as ``<unknown>`` and zero runs as ``...``, as in
    :func:`disassemble_object`; jumps carry no symbol annotation.
    """
    data = bytes(code)
    section = Section(0, "", "SHT_PROGBITS", SHF_EXECINSTR, 0, 0, len(data), data, [])
    return _code_listing(section, 0, len(data), _Style(alu32, exact), None, _RelocCursor([]))


# ---------------------------------------------------------------- ELF object listings

_DATA_TYPES = ("STT_OBJECT", "STT_COMMON")
_STT_ORDER = {"STT_NOTYPE": 0, "STT_OBJECT": 1, "STT_FUNC": 2, "STT_SECTION": 3, "STT_FILE": 4,
              "STT_COMMON": 5, "STT_TLS": 6}
_HIDDEN_TYPES = ("STT_SECTION", "STT_FILE")


@dataclass(frozen=True, slots=True, order=True)
class _ListSym:
    """A symbol as llvm-objdump sorts them: by address, then name, then type."""

    addr: int
    name: str
    type_order: int
    type: str


def disassemble_object(path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview, *,
                       relocs: bool = False, alu32: bool = False, exact: bool = True,
                       name: str | None = None, source: bool = False) -> str:
    """Return the listing ``llvm-objdump-19 -d`` (with ``relocs``: ``-d -r``) prints for an ELF object.

    ``alu32`` matches ``--mcpu=v3``/``v4``; ``exact=False`` prints bpfvm's lossless forms where
    llvm-objdump is lossy.  ``name`` is the file name printed in the header (default: the path,
    or ``<bytes>``).  ``source`` interleaves source lines (``; text``) as ``llvm-objdump -S``
    does, from the BTF line_info of ``.BTF.ext``.  Raises :class:`~bpfvm.errors.ElfError` for
    unreadable or malformed objects (and BtfError for malformed line info).
    """
    obj = read_object(path_or_bytes, name=name)
    style = _Style(alu32, exact)
    lines = (_dwarf_lines(path_or_bytes, obj) or _source_lines(obj)) if source else {}
    parts = [f"\n{obj.path}:\tfile format elf64-bpf\n"]
    for section in obj.sections:
        if section.is_code and section.type != "SHT_NOBITS" and section.size:
            parts.append(_section_listing(obj, section, style, relocs, lines.get(section.name, {})))
    return "".join(parts)


def _dwarf_lines(source: str | os.PathLike[str] | bytes | bytearray | memoryview,
                 obj: ObjectFile) -> dict[str, dict[int, tuple[str, int, str]]]:
    """Section → byte offset → (file, line, text) from DWARF ``.debug_line`` (what llvm-objdump
    uses), the text read from the source file or else taken from BTF line_info."""
    from ..elf.lines import read_lines

    code = [s for s in obj.sections if s.is_code and s.type != "SHT_NOBITS" and s.size]
    if obj.section_named(".debug_line") is None or not code:
        return {}
    data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else open(source, "rb").read()
    bases = {s.index: s.index << 24 for s in code}
    pcs = {(s.index << 24) + i for s in code for i in range(s.size // 8)}
    rows = read_lines(data, obj, bases, pcs, line_zero=True)
    btf_text = {(f, line): text for per in _source_lines(obj).values() for f, line, text in per.values()}
    files: dict[str, list[str] | None] = {}
    out: dict[str, dict[int, tuple[str, int, str]]] = {}
    for pc, (file, line) in rows.items():
        section = obj.sections[pc >> 24]
        text = (_line_text(files, file, line) or btf_text.get((file, line))) if line else ""
        if text is not None:
            out.setdefault(section.name, {})[(pc & 0xFFFFFF) * 8] = (file, line, text)
    return out


def _line_text(cache: dict[str, list[str] | None], file: str, line: int) -> str | None:
    if file not in cache:
        try:
            with open(file, encoding="utf-8", errors="replace") as f:
                cache[file] = f.read().splitlines()
        except OSError:
            cache[file] = None
    text = cache[file]
    return text[line - 1] if text is not None and 0 < line <= len(text) else None


def _source_lines(obj: ObjectFile) -> dict[str, dict[int, tuple[str, int, str]]]:
    """Section → byte offset → (file, line, text) from ``.BTF.ext`` line_info (empty without BTF)."""
    btf_section, ext_section = obj.section_named(".BTF"), obj.section_named(".BTF.ext")
    if btf_section is None or ext_section is None:
        return {}
    from ..btf import parse, parse_ext

    btf = parse(btf_section.data, label=f"{obj.path}: .BTF")
    ext = parse_ext(ext_section.data, btf, label=f"{obj.path}: .BTF.ext")
    return {sec: {li.insn_off: (li.file_name, li.line, li.line_text) for li in infos}
            for sec, infos in ext.line_info.items()}


def _section_symbols(obj: ObjectFile, section: Section) -> list[_ListSym]:
    """The symbols llvm-objdump shows in ``section``, sorted, plus a section-named one at its start."""
    syms = sorted(_ListSym(s.value, s.name, _STT_ORDER.get(s.type, 15), s.type) for s in obj.symbols[1:]
                  if s.section_index == section.index and s.name and s.type not in _HIDDEN_TYPES)
    if not any(s.addr == section.addr for s in syms):
        syms.append(_ListSym(section.addr, section.name, _STT_ORDER["STT_FUNC"], "STT_FUNC"))
        syms.sort()
    return syms


def _section_listing(obj: ObjectFile, section: Section, style: _Style, relocs: bool,
                     lines: dict[int, tuple[str, int, str]] | None = None) -> str:
    syms = _section_symbols(obj, section)
    pairs = [(s.addr - section.addr, s.name) for s in syms]
    rels = sorted(section.relocations, key=lambda r: r.offset) if relocs else []
    out = [f"\nDisassembly of section {section.name}:\n"]
    cursor = _RelocCursor(rels)
    for start, end, group in _symbol_ranges(syms, section):
        shown = _displayed(group)
        out.append(f"\n{section.addr + start:016x} <{shown.name}>:\n")
        if all(s.type in _DATA_TYPES for s in group):
            out.append(_dump_data(section, start, end))
        else:
            out.append(_code_listing(section, start, end, style, pairs, cursor, lines))
    return "".join(out)


def _symbol_ranges(syms: list[_ListSym], section: Section) -> list[tuple[int, int, list[_ListSym]]]:
    """Group symbols by address; each group covers [its address, the next group's) ∩ the section."""
    ranges = []
    i = 0
    while i < len(syms):
        j = i
        while j + 1 < len(syms) and syms[j + 1].addr == syms[i].addr:
            j += 1
        start = syms[i].addr - section.addr
        end = min(section.size, syms[j + 1].addr - section.addr) if j + 1 < len(syms) else section.size
        if 0 <= start < end:
            ranges.append((start, end, syms[i:j + 1]))
        i = j + 1
    return ranges


def _displayed(group: list[_ListSym]) -> _ListSym:
    """llvm-objdump names a location by its last non-data symbol (or its last symbol)."""
    code = [s for s in group if s.type not in _DATA_TYPES]
    return (code or group)[-1]


class _RelocCursor:
    """Walks a section's relocations in address order, as llvm-objdump's inline ``-r`` does."""

    def __init__(self, rels: list[Relocation]) -> None:
        self.rels = rels
        self.next = 0

    def limit(self, index: int, max_len: int) -> int:
        """Shorten a zero run so that it stops at the next relocated offset."""
        if self.next < len(self.rels) and self.rels[self.next].offset >= index:
            return min(max_len, self.rels[self.next].offset - index)
        return max_len

    def lines_before(self, end: int, section_addr: int) -> str:
        """Relocation lines for every pending relocation below offset ``end``."""
        out = []
        while self.next < len(self.rels) and self.rels[self.next].offset < end:
            out.append(_reloc_line(self.rels[self.next], section_addr))
            self.next += 1
        return "".join(out)


def _reloc_line(rel: Relocation, section_addr: int) -> str:
    value = rel.symbol_name if rel.symbol_index else "*ABS*"
    if rel.addend:
        value += f"-{-rel.addend:#x}" if rel.addend < 0 else f"+{rel.addend:#x}"
    return f"\t\t{section_addr + rel.offset:016x}:  {rel.type_name}\t{value}\n"


def _code_listing(section: Section, start: int, end: int, style: _Style,
                  symbols: Sequence[tuple[int, str]] | None, cursor: _RelocCursor,
                  lines: dict[int, tuple[str, int, str]] | None = None) -> str:
    data, out, index = section.data, [], start
    shown: tuple[str, int] | None = None
    while index < end:
        where = lines.get(index) if lines else None
        if where is not None and where[:2] != shown:
            if where[1]:  # line 0: code shared between lines, printed as nothing
                out.append(f"; {where[2]}\n")
            shown = where[:2]
        zeros = _skippable_zeros(data, index, cursor.limit(index, end - index))
        if zeros:
            out.append("\t\t...\n")
            index += zeros
            continue
        insn, size = _decode_at(data, index)
        text = _UNKNOWN if insn is None else _format(insn, index, style, symbols)
        raw = " ".join(f"{b:02x}" for b in data[index:index + size])
        out.append(f"{(section.addr + index) // 8:8d}:\t{raw}\t{text}\n")
        out.append(cursor.lines_before(index + size, section.addr))
        index += size
    return "".join(out)


def _skippable_zeros(data: bytes, index: int, max_len: int) -> int:
    """llvm-objdump skips runs of at least 8 zero bytes, in multiples of 4."""
    n = 0
    while n < max_len and index + n < len(data) and data[index + n] == 0:
        n += 1
    return n & ~3 if n >= 8 else 0


def _decode_at(data: bytes, index: int) -> tuple[Insn | None, int]:
    """Decode the instruction at byte ``index``: (insn, size), or (None, bytes to skip)."""
    width = 16 if data[index] == 0x18 else 8
    if len(data) - index < width:
        return None, 1
    try:
        return decode(data[index:index + width], jumps=False)[0].with_pc(index // 8), width
    except DecodeError:
        return None, 8


def _dump_data(section: Section, start: int, end: int) -> str:
    """llvm-objdump's rendering of a data symbol inside a code section: 8 bytes a line plus ASCII."""
    out = []
    for line_start in range(start, end, 8):
        chunk = section.data[line_start:min(end, line_start + 8)]
        raw = "".join(f" {b:02x}" for b in chunk) + "   " * (8 - len(chunk))
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        out.append(f"{section.addr + line_start:8x}:{raw}         {text}\n")
    return "".join(out)
