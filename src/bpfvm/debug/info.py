"""What a source-level debugger needs from an object's DWARF (DWARF 4/5 §2.6, §3.3, §6.2).

Reads, with pyelftools (which applies the object's relocations, so addresses are byte offsets in
their code section): the line table *rows* (``is_stmt`` and ``prologue_end`` flags kept — the
stepping and breakpoint rules of gdb depend on them), every ``DW_TAG_subprogram`` with its
parameters and local variables (nested lexical blocks included), their types and locations
(single expressions, location lists, constant values), and every ``DW_TAG_inlined_subroutine``
(DWARF 5 §3.3.8.2: the concrete instance of an inlined call — its code ranges, its call site
``DW_AT_call_file``/``DW_AT_call_line``, its own parameters and locals, which take their names
and types from the abstract instance named by ``DW_AT_abstract_origin``), nested as the calls
were, so that a debugger can show inlined calls as frames of their own.

Addresses become instruction slots of the :class:`~bpfvm.program.Program` by the function they
belong to: a subprogram named ``f`` whose code starts at section offset ``low`` maps offset
``a`` to slot ``program.functions["f"].start + (a - low) // 8``.  Line-table sequences are
matched to functions the same way, checked against ``Program.lines`` (objects with several
code sections have several sequences starting at offset 0).  Without ``.debug_line`` the
line_info records of ``.BTF.ext`` (kernel doc "BPF Type Format", §4.2 ``.BTF.ext``) give the
rows instead — each record names the source file and also carries the text of its line.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ProgramError
from ..program import Program

__all__ = ["DebugInfo", "FunctionInfo", "InlinedCall", "Row", "TypeInfo", "Variable", "read_debug_info"]


@dataclass(frozen=True, slots=True)
class Row:
    """One line-table row, at an instruction slot."""

    pc: int
    file: str
    line: int
    is_stmt: bool
    prologue_end: bool


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A variable's type, as far as printing it needs: ``kind`` is signed, unsigned, bool, float,
    pointer, array, struct or other."""

    name: str
    size: int
    kind: str
    #: The DWARF DIE it was read from (pointers: for their target; structs: for members).
    die: Any = field(default=None, compare=False, repr=False)

    def pointee(self) -> TypeInfo | None:
        """What a pointer points to (None: not a pointer, or ``void *``)."""
        if self.kind != "pointer" or self.die is None or "DW_AT_type" not in self.die.attributes:
            return None
        return _describe(self.die.get_DIE_from_attribute("DW_AT_type"))

    def member(self, name: str) -> tuple[int, TypeInfo] | None:
        """(byte offset, type) of member ``name`` of a struct or union, looking into anonymous
        members; None if there is none (or this is no struct)."""
        if self.kind != "struct" or self.die is None:
            return None
        for child in self.die.iter_children():
            if child.tag != "DW_TAG_member" or "DW_AT_type" not in child.attributes:
                continue
            location = child.attributes.get("DW_AT_data_member_location")
            offset = int(location.value) if location is not None and isinstance(location.value, int) else 0
            mtype = _describe(child.get_DIE_from_attribute("DW_AT_type"))
            if "DW_AT_name" in child.attributes:
                if _name(child) == name:
                    return offset, mtype
            elif (inner := mtype.member(name)) is not None:
                return offset + inner[0], inner[1]
        return None


@dataclass(frozen=True, slots=True)
class Variable:
    """A parameter or local variable of a function (or a global, with ``address_of`` set).

    ``scopes`` are the slot ranges ``[lo, hi)`` of its lexical block; ``pieces`` its location per
    slot range ``(lo, hi, ops)`` (``ops``: pyelftools DWARF expression operations), or one
    range covering the scope; ``const`` a ``DW_AT_const_value``.
    """

    name: str
    type: TypeInfo
    scopes: tuple[tuple[int, int], ...]
    pieces: tuple[tuple[int, int, tuple[Any, ...]], ...] = ()
    const: int | None = None
    parameter: bool = False

    def visible(self, pc: int) -> bool:
        """Whether the variable is in scope at slot ``pc``."""
        return any(lo <= pc < hi for lo, hi in self.scopes)

    def location(self, pc: int) -> tuple[Any, ...] | None:
        """The location expression in effect at ``pc`` (None: not available there)."""
        for lo, hi, ops in self.pieces:
            if lo <= pc < hi:
                return ops
        return None


@dataclass(eq=False, slots=True)
class InlinedCall:
    """One inlined instance of function ``name``: the slot ranges ``[lo, hi)`` of its code,
    where it was called from (``call_file:call_line``, in the code of ``parent`` — the enclosing
    inlined call — or of the out-of-line ``function`` when ``parent`` is None), the slot the call
    enters at (``DW_AT_entry_pc``, else the start of its first range: gdb's breakpoint address),
    and its own parameters and locals."""

    name: str
    function: str
    ranges: tuple[tuple[int, int], ...]
    call_file: str
    call_line: int
    entry: int
    parent: InlinedCall | None = None
    variables: list[Variable] = field(default_factory=list)

    def __contains__(self, pc: object) -> bool:
        return isinstance(pc, int) and any(lo <= pc < hi for lo, hi in self.ranges)

    @property
    def nesting(self) -> int:
        """How many inlined calls enclose this one (0: it sits in the out-of-line function)."""
        return 0 if self.parent is None else self.parent.nesting + 1


@dataclass(slots=True)
class FunctionInfo:
    """A function's debug facts: declaration, the slot after its prologue, its variables."""

    name: str
    start: int
    end: int
    file: str = ""
    decl_line: int = 0
    body: int = -1  #: first slot after the prologue (``prologue_end``), else ``start``
    #: The function's stack frame, as far as its code shows (the lowest r10-relative access): the
    #: DWARF frame base of the BPF backend is ``r10 - frame`` (LLVM's frame-index reference is the
    #: object's offset plus the stack size, from r10).
    frame: int = 0
    variables: list[Variable] = field(default_factory=list)
    #: Every inlined call in the function's code, at any nesting, outer ones first.
    inlined: list[InlinedCall] = field(default_factory=list)

    def inline_chain(self, pc: int) -> list[InlinedCall]:
        """The inlined calls whose code holds slot ``pc``, innermost first."""
        return sorted((c for c in self.inlined if pc in c), key=lambda c: -c.nesting)


@dataclass
class DebugInfo:
    """Rows, functions and variables of a program; empty when it has no DWARF."""

    rows: list[Row] = field(default_factory=list)
    #: pc → (file, line) for every instruction: ``Program.lines`` (DWARF), else from BTF rows.
    lines: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: Source text of (file, line) as BTF line_info records carry it.
    texts: dict[tuple[str, int], str] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    globals: dict[str, TypeInfo] = field(default_factory=dict)

    @property
    def statements(self) -> set[int]:
        """Slots that begin a statement (``is_stmt`` rows with a line)."""
        return {r.pc for r in self.rows if r.is_stmt and r.line}

    def files(self) -> set[str]:
        """Every source file the rows mention."""
        return {r.file for r in self.rows}

    def inlined_calls(self, name: str) -> list[InlinedCall]:
        """Every inlined instance of function ``name``, in slot order."""
        calls = [c for f in self.functions.values() for c in f.inlined if c.name == name]
        return sorted(calls, key=lambda c: c.entry)


def read_debug_info(data: bytes | Sequence[bytes], program: Program) -> DebugInfo:
    """Read the DWARF of the ELF object ``data`` that ``program`` was loaded from — or of each
    object of a sequence that :func:`bpfvm.linker.link_programs` linked, in link order, into
    ``program``.

    Debug information pyelftools cannot parse gives what could be read before the problem.
    """
    info = DebugInfo(lines=dict(program.lines))
    for name, func in program.functions.items():
        info.functions[name] = FunctionInfo(name, func.start, func.end, body=func.start,
                                            frame=_frame_size(program.function_insns(func)))
    if isinstance(data, bytes | bytearray):
        _read_object(bytes(data), program, info, None)
        return info
    for obj, names in _linked_names(list(data), program):
        _read_object(obj, program, info, names)
    info.rows.sort(key=lambda r: r.pc)
    _bodies(info)
    return info


def _read_object(data: bytes, program: Program, info: DebugInfo, names: dict[str, str] | None) -> None:
    """Add one object's debug facts; ``names``: its function names → the linked program's (None:
    ``program`` is this object alone)."""
    from elftools.elf.elffile import ELFFile

    try:
        elf = ELFFile(io.BytesIO(data))
        arch = elf.get_machine_arch()
        elf.get_machine_arch = lambda: arch  # type: ignore[method-assign]  # asked once per relocation
        if elf.get_section_by_name(".debug_line") is None and names is None:
            _btf_lines(elf, program, info)
        if elf.has_dwarf_info():
            _Reader(elf.get_dwarf_info(), program, info, names).read()
    except Exception:  # noqa: BLE001, S110 - malformed debug information must not stop a debugging session
        pass


def _linked_names(objects: list[bytes], program: Program) -> Iterator[tuple[bytes, dict[str, str]]]:
    """Each object with the names its functions got in the linked ``program``: objects are laid
    out one after another in link order (static functions may have been renamed)."""
    from ..elf import load

    base = 0
    for data in objects:
        part = load(data)
        names = {}
        for name, func in part.functions.items():
            try:
                names[name] = program.function_at(base + func.start).name
            except ProgramError:  # not one of the objects program was linked from
                continue
        yield data, names
        if part.insns:
            base += part.insns[-1].pc + part.insns[-1].width


def _btf_lines(elf: Any, program: Program, info: DebugInfo) -> None:
    """Rows from the line_info of ``.BTF.ext`` (strings in ``.BTF``); every row is a statement."""
    btf, ext = elf.get_section_by_name(".BTF"), elf.get_section_by_name(".BTF.ext")
    if btf is None or ext is None:
        return
    strings = _btf_strings(btf.data())
    data = ext.data()
    hdr_len = int.from_bytes(data[4:8], "little")
    if hdr_len < 24:
        return
    line_off, line_len = (int.from_bytes(data[i:i + 4], "little") for i in (16, 20))
    table = data[hdr_len + line_off:hdr_len + line_off + line_len]
    record, pos = int.from_bytes(table[0:4], "little"), 4
    bases = {name: min(program.functions[f].start for f in funcs)
             for name, funcs in program.sections.items() if funcs}
    while pos + 8 <= len(table):
        section, count = strings(int.from_bytes(table[pos:pos + 4], "little")), \
            int.from_bytes(table[pos + 4:pos + 8], "little")
        pos += 8
        for i in range(count):
            at = pos + i * record
            off, name, text, col = (int.from_bytes(table[at + k:at + k + 4], "little") for k in (0, 4, 8, 12))
            if section in bases:
                row = Row(bases[section] + off // 8, strings(name), col >> 10, True, False)
                info.rows.append(row)
                info.texts[(row.file, row.line)] = strings(text)
        pos += count * record
    info.rows.sort(key=lambda r: r.pc)
    _fold(info, program)
    _bodies(info)


def _btf_strings(data: bytes) -> Any:
    hdr_len = int.from_bytes(data[4:8], "little")
    str_off, str_len = (int.from_bytes(data[i:i + 4], "little") for i in (16, 20))
    table = data[hdr_len + str_off:hdr_len + str_off + str_len]

    def string(offset: int) -> str:
        end = table.find(b"\0", offset)
        return table[offset:end if end >= 0 else len(table)].decode("utf-8", "replace")

    return string


def _fold(info: DebugInfo, program: Program) -> None:
    """Every instruction gets the line of the last row at or before it in its function."""
    if info.lines:
        return
    starts = {r.pc: (r.file, r.line) for r in info.rows}
    for func in program.functions.values():
        where = None
        for insn in program.function_insns(func):
            where = starts.get(insn.pc, where)
            if where is not None:
                info.lines[insn.pc] = where


class _Reader:
    """Walks the compile units of one object, filling a :class:`DebugInfo`."""

    def __init__(self, dwarf: Any, program: Program, info: DebugInfo,
                 names: dict[str, str] | None = None) -> None:
        self.dwarf = dwarf
        self.program = program
        self.info = info
        self.names = names
        self.row_pcs = {r.pc for r in info.rows}  #: slots that have rows already
        self.lowpcs: dict[str, int] = {}
        self.types: dict[int, TypeInfo] = {}

    def read(self) -> None:
        for cu in self.dwarf.iter_CUs():
            top = cu.get_top_DIE()
            self.cu_base = self._low(cu, top) or 0
            self.cu = cu
            for die in top.iter_children():
                if die.tag == "DW_TAG_subprogram":
                    self._subprogram(die)
                elif die.tag == "DW_TAG_variable" and "DW_AT_name" in die.attributes:
                    self.info.globals[_name(die)] = self._type(die)
            self._lines(cu)
        if self.names is None:  # one object: finish here (read_debug_info does it for several)
            self.info.rows.sort(key=lambda r: r.pc)
            _bodies(self.info)

    # -- addresses ----------------------------------------------------------------------------
    def _low(self, cu: Any, die: Any) -> int | None:
        attr = die.attributes.get("DW_AT_low_pc")
        if attr is None:
            return None
        if attr.form.startswith("DW_FORM_addrx"):
            return int(self.dwarf.get_addr(cu, attr.value))
        return int(attr.value)

    def _span(self, die: Any) -> tuple[int, int] | None:
        low = self._low(self.cu, die)
        attr = die.attributes.get("DW_AT_high_pc")
        if low is None or attr is None:
            return None
        high = attr.value if attr.form == "DW_FORM_addr" else low + attr.value
        return low, high

    def _slots(self, func: FunctionInfo, low: int, lo: int, hi: int) -> tuple[int, int]:
        return func.start + (lo - low) // 8, func.start + (hi - low) // 8

    # -- functions and variables ----------------------------------------------------------------
    def _subprogram(self, die: Any) -> None:
        span = self._span(die)
        name = _name(die) if "DW_AT_name" in die.attributes else ""
        if self.names is not None:
            name = self.names.get(name, "")
        func = self.info.functions.get(name)
        if span is None or func is None:
            return
        self.lowpcs[name] = span[0]
        func.file = self._file(die)
        decl = die.attributes.get("DW_AT_decl_line")
        func.decl_line = int(decl.value) if decl is not None else 0
        scope = (func.start, func.end)
        self._scope(die, func, span[0], (scope,))

    def _scope(self, die: Any, func: FunctionInfo, low: int, scopes: tuple[tuple[int, int], ...],
               inline: InlinedCall | None = None) -> None:
        """Read the variables of a function, lexical block or inlined call ``die`` (into
        ``inline``'s variables when inside an inlined call), and the inlined calls in it."""
        owner = inline.variables if inline is not None else func.variables
        for child in die.iter_children():
            if child.tag in ("DW_TAG_formal_parameter", "DW_TAG_variable") and self._named(child):
                var = self._variable(child, func, low, scopes)
                if var is not None:
                    owner.append(var)
            elif child.tag == "DW_TAG_lexical_block":
                self._scope(child, func, low, self._block(child, func, low) or scopes, inline)
            elif child.tag == "DW_TAG_inlined_subroutine":
                call = self._inlined(child, func, low, inline)
                if call is not None:
                    func.inlined.append(call)
                    self._scope(child, func, low, call.ranges, call)

    def _named(self, die: Any) -> bool:
        return "DW_AT_name" in die.attributes or "DW_AT_abstract_origin" in die.attributes

    def _inlined(self, die: Any, func: FunctionInfo, low: int,
                 parent: InlinedCall | None) -> InlinedCall | None:
        ranges = self._block(die, func, low)
        origin = _origin(die)
        if not ranges or origin is None or "DW_AT_name" not in origin.attributes:
            return None
        entry_attr = die.attributes.get("DW_AT_entry_pc")
        entry = ranges[0][0]
        if entry_attr is not None and entry_attr.form == "DW_FORM_addr":
            entry = self._slots(func, low, int(entry_attr.value), int(entry_attr.value))[0]
        line = die.attributes.get("DW_AT_call_line")
        return InlinedCall(_name(origin), func.name, ranges, self._file(die, "DW_AT_call_file"),
                           int(line.value) if line is not None else 0, entry, parent)

    def _block(self, die: Any, func: FunctionInfo, low: int) -> tuple[tuple[int, int], ...]:
        span = self._span(die)
        if span is not None:
            return (self._slots(func, low, *span),)
        attr = die.attributes.get("DW_AT_ranges")
        if attr is None:
            return ()
        ranges = self.dwarf.range_lists()
        if ranges is None:
            return ()
        out = []
        for entry in ranges.get_range_list_at_offset(attr.value, cu=self.cu):
            if hasattr(entry, "begin_offset"):
                base = 0 if getattr(entry, "is_absolute", False) else self.cu_base
                out.append(self._slots(func, low, base + entry.begin_offset, base + entry.end_offset))
        return tuple(out)

    def _variable(self, die: Any, func: FunctionInfo, low: int,
                  scopes: tuple[tuple[int, int], ...]) -> Variable | None:
        abstract = die if "DW_AT_name" in die.attributes else _origin(die)
        if abstract is None or "DW_AT_name" not in abstract.attributes:
            return None
        name, vtype = _name(abstract), self._type(abstract)
        parameter = die.tag == "DW_TAG_formal_parameter"
        const = die.attributes.get("DW_AT_const_value") or abstract.attributes.get("DW_AT_const_value")
        if const is not None and isinstance(const.value, int):
            return Variable(name, vtype, scopes, const=const.value, parameter=parameter)
        attr = die.attributes.get("DW_AT_location")
        if attr is None:
            return Variable(name, vtype, scopes, parameter=parameter)
        parser = _expr_parser(self.cu)
        if attr.form in ("DW_FORM_exprloc", "DW_FORM_block1", "DW_FORM_block"):
            ops = tuple(parser.parse_expr(attr.value))
            whole = tuple((lo, hi, ops) for lo, hi in scopes)
            return Variable(name, vtype, scopes, whole, parameter=parameter)
        pieces = []
        base = self.cu_base
        for entry in _location_list(self.dwarf, self.cu, die, attr):
            if hasattr(entry, "base_address"):
                base = entry.base_address
                continue
            if not hasattr(entry, "loc_expr"):
                continue
            start = 0 if getattr(entry, "is_absolute", False) else base
            lo, hi = self._slots(func, low, start + entry.begin_offset, start + entry.end_offset)
            pieces.append((lo, hi, tuple(parser.parse_expr(entry.loc_expr))))
        return Variable(name, vtype, scopes, tuple(pieces), parameter=parameter)

    def _type(self, die: Any) -> TypeInfo:
        attr = die.attributes.get("DW_AT_type")
        if attr is None:
            return TypeInfo("void", 0, "other")
        target = die.get_DIE_from_attribute("DW_AT_type")
        cached = self.types.get(target.offset)
        if cached is None:
            cached = self.types[target.offset] = _describe(target)
        return cached

    def _file(self, die: Any, attribute: str = "DW_AT_decl_file") -> str:
        program = self.dwarf.line_program_for_CU(self.cu)
        attr = die.attributes.get(attribute)
        if program is None or attr is None:
            return ""
        return _file_names(program, self.cu).get(attr.value, "")

    # -- lines ----------------------------------------------------------------------------------
    def _lines(self, cu: Any) -> None:
        program = self.dwarf.line_program_for_CU(cu)
        if program is None:
            return
        files = _file_names(program, cu)
        for sequence in _sequences(program.get_entries()):
            self._place(sequence, files)

    def _place(self, sequence: list[Any], files: dict[int, str]) -> None:
        """Give the rows of one sequence slots, via the function(s) whose code it covers."""
        for name, low in self.lowpcs.items():
            func = self.info.functions[name]
            high = low + 8 * (func.end - func.start)
            rows = [Row(func.start + (s.address - low) // 8, files.get(s.file, "?"), s.line, bool(s.is_stmt),
                        bool(s.prologue_end)) for s in sequence if low <= s.address < high]
            if rows and self._agrees(rows) and rows[0].pc not in self.row_pcs:
                self.info.rows.extend(rows)
                self.row_pcs.update(r.pc for r in rows)

    def _agrees(self, rows: list[Row]) -> bool:
        lines = self.program.lines
        return all(lines.get(r.pc) == (r.file, r.line) for r in rows if r.line) if lines else True



def _bodies(info: DebugInfo) -> None:
    """Each function's first slot after the prologue: gdb's breakpoint address for ``break f``
    (``info.rows`` sorted by pc; one binary search per function)."""
    pcs = [r.pc for r in info.rows]
    for func in info.functions.values():
        lo, hi = bisect.bisect_left(pcs, func.start), bisect.bisect_left(pcs, func.end)
        rows = [r for r in info.rows[lo:hi] if r.line]
        marked = [r.pc for r in rows if r.prologue_end]
        if marked:
            func.body = marked[0]
        elif len({r.line for r in rows}) > 1:  # no marker: the second line's first row
            first = rows[0].line
            func.body = next(r.pc for r in rows if r.line != first)
        if rows and not func.file:
            func.file = rows[0].file


def _frame_size(insns: list[Any]) -> int:
    """The lowest r10-relative offset a function's code reaches (memory operands and
    ``rX = r10; rX += -K`` address computations), rounded up to 8 bytes."""
    lowest = 0
    copies: set[int] = set()
    for insn in insns:
        spec = insn.spec
        if spec.kind in ("ldx", "st", "stx", "atomic"):
            base = insn.src if spec.kind == "ldx" else insn.dst
            if base == 10:
                lowest = min(lowest, insn.off)
        elif spec.kind == "alu" and spec.bits == 64 and spec.op == "mov" and spec.source == "reg" \
                and insn.src == 10:
            copies.add(insn.dst)
            continue
        elif spec.kind == "alu" and spec.op == "add" and spec.source == "imm" and insn.dst in copies:
            lowest = min(lowest, insn.imm)
        copies.discard(insn.dst)
    return (-lowest + 7) // 8 * 8


def _sequences(entries: list[Any]) -> Iterator[list[Any]]:
    """The line-table states of each sequence (up to and including its end_sequence row)."""
    current: list[Any] = []
    for entry in entries:
        state = entry.state
        if state is None:
            continue
        current.append(state)
        if state.end_sequence:
            yield current
            current = []


def _expr_parser(cu: Any) -> Any:
    from elftools.dwarf.dwarf_expr import DWARFExprParser

    return DWARFExprParser(cu.structs)


def _location_list(dwarf: Any, cu: Any, die: Any, attr: Any) -> list[Any]:
    lists = dwarf.location_lists()
    if lists is None:
        return []
    return list(lists.get_location_list_at_offset(attr.value, die=die))


def _describe(die: Any) -> TypeInfo:
    """Follow typedefs and qualifiers to a printable :class:`TypeInfo`."""
    name_parts: list[str] = []
    while die.tag in ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type",
                      "DW_TAG_atomic_type"):
        if die.tag == "DW_TAG_typedef" and not name_parts:
            name_parts.append(_name(die))
        if "DW_AT_type" not in die.attributes:
            return TypeInfo(name_parts[0] if name_parts else "void", 0, "other")
        die = die.get_DIE_from_attribute("DW_AT_type")
    size = int(die.attributes["DW_AT_byte_size"].value) if "DW_AT_byte_size" in die.attributes else 0
    name = name_parts[0] if name_parts else (_name(die) if "DW_AT_name" in die.attributes else "")
    if die.tag == "DW_TAG_base_type":
        encoding = die.attributes["DW_AT_encoding"].value
        kind = _ENCODINGS.get(encoding, "other")
        return TypeInfo(name, size, kind)
    if die.tag == "DW_TAG_pointer_type":
        return TypeInfo(name or "pointer", 8, "pointer", die)
    if die.tag == "DW_TAG_enumeration_type":
        return TypeInfo(name or "enum", size, "signed")
    if die.tag == "DW_TAG_array_type":
        return TypeInfo(name or "array", size, "array")
    if die.tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
        return TypeInfo(name or "struct", size, "struct", die)
    return TypeInfo(name or die.tag, size, "other")


#: DW_ATE_* base type encodings → TypeInfo.kind.
_ENCODINGS = {2: "bool", 4: "float", 5: "signed", 6: "signed", 7: "unsigned", 8: "unsigned"}


def _origin(die: Any) -> Any:
    """The abstract instance a concrete DIE refers to (``DW_AT_abstract_origin``), followed to
    its end, or None."""
    seen = 0
    while "DW_AT_abstract_origin" in die.attributes and seen < 8:
        die = die.get_DIE_from_attribute("DW_AT_abstract_origin")
        seen += 1
    return die if seen else None


def _name(die: Any) -> str:
    value = die.attributes["DW_AT_name"].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _file_names(program: Any, cu: Any) -> dict[int, str]:
    """File index → path, as :mod:`bpfvm.elf.lines` names them (``Program.lines`` uses these)."""
    from ..elf.lines import _file_names as names

    result: dict[int, str] = names(program, cu)
    return result
