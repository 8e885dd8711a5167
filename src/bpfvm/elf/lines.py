"""Source lines of a loaded object: DWARF ``.debug_line`` (DWARF 4 §6.2 / DWARF 5 §6.2) → pc → (file, line).

In a relocatable object every line-number *sequence* starts with ``DW_LNE_set_address``, whose
operand is relocated against the code section the sequence describes (a section or function
symbol, ``R_BPF_64_ABS64``); its addresses are byte offsets in that section.  The *k*-th
``DW_LNE_set_address`` of a line program is matched with the *k*-th relocation inside that
program's bytes, which gives the section and so the base slot in the code image.  When the
counts disagree and the object has a single code section, every sequence is taken to describe
it; otherwise that program's lines are dropped.

An instruction's line is that of the last row whose address is ≤ the instruction's; a row with
line 0 (code the compiler shares between lines) continues the line before it in its sequence,
as ``llvm-objdump -l`` shows it.
Debug information pyelftools cannot parse yields no lines and a :class:`DebugInfoWarning`: the
program still loads.
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

from elftools.common.exceptions import DWARFError
from elftools.elf.elffile import ELFFile

from .reader import _PYELF_ERRORS, ObjectFile, Relocation

__all__ = ["DebugInfoWarning", "read_lines"]

_DW_LNE_SET_ADDRESS = 2
#: What pyelftools raises on malformed DWARF: its own errors, asserts, and arithmetic/lookup faults
#: (a zero ``line_range``, an index past a table).
_DWARF_ERRORS = (*_PYELF_ERRORS, DWARFError, AssertionError, ArithmeticError, LookupError)
_Where = tuple[str, int]


class DebugInfoWarning(UserWarning):
    """Debug information was present but could not be read; the program loads without it."""


def read_lines(data: bytes, obj: ObjectFile, bases: dict[int, int], pcs: set[int], *,
               line_zero: bool = False) -> dict[int, _Where]:
    """Map instruction slots (in ``pcs``) to ``(file, line)``; ``bases`` maps code section index → base slot.

    With ``line_zero``, rows of line 0 map their instructions to ``(file, 0)`` instead of the
    line before (what ``llvm-objdump -S`` needs: it prints nothing there, but prints the line
    again after).  Returns an empty mapping when the object has no ``.debug_line``.
    """
    section = obj.section_named(".debug_line")
    if section is None:
        return {}
    try:
        lines = _read(data, obj, section.relocations, bases, line_zero)
    except _DWARF_ERRORS as exc:
        warnings.warn(f"{obj.path}: cannot read .debug_line, no line information: {exc}",
                      DebugInfoWarning, stacklevel=3)
        return {}
    return {pc: where for pc, where in lines.items() if pc in pcs}


def _read(data: bytes, obj: ObjectFile, relocs: list[Relocation], bases: dict[int, int],
          line_zero: bool = False) -> dict[int, _Where]:
    # Not relocated: applying every relocation of every DWARF section costs pyelftools ~0.3 s per
    # object, and what is read here needs none.  The sequences' addresses are matched to their
    # relocations below; string offsets (DW_FORM_strp/line_strp, .debug_str_offsets) are
    # relocated against section symbols, whose value is 0, so their implicit addends already are
    # the offsets.
    dwarf = ELFFile(io.BytesIO(data)).get_dwarf_info(relocate_dwarf_sections=False)
    ordered = sorted(relocs, key=lambda r: r.offset)
    lines: dict[int, _Where] = {}
    for cu in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        inside = [r for r in ordered if program.program_start_offset <= r.offset < program.program_end_offset]
        sections = [obj.symbols[r.symbol_index].section_index for r in inside]
        entries = program.get_entries()
        sequences = [e for e in entries if e.command == _DW_LNE_SET_ADDRESS and e.is_extended]
        if len(sequences) != len(sections):
            if len(bases) != 1:
                continue
            sections = [next(iter(bases))] * len(sequences)
        _add_rows(lines, entries, iter(sections), bases, _file_names(program, cu), line_zero)
    return lines


def _add_rows(lines: dict[int, _Where], entries: list[Any], sections: Any, bases: dict[int, int],
              files: dict[int, str], line_zero: bool = False) -> None:
    """Fill ``lines`` from the rows of a line program, sequence by sequence."""
    base: int | None = None
    previous: Any = None
    where: _Where | None = None
    for entry in entries:
        if entry.is_extended and entry.command == _DW_LNE_SET_ADDRESS:
            base = bases.get(next(sections, -1))
            previous = where = None
        state = entry.state
        if state is None or base is None:
            continue
        if previous is not None and where is not None:
            for address in range(previous.address, state.address, 8):
                lines[base + address // 8] = where
        previous = None if state.end_sequence else state
        if state.line or (line_zero and not state.end_sequence):
            where = (files.get(state.file, "?"), state.line)
        elif state.end_sequence:
            where = None


def _file_names(program: Any, cu: Any) -> dict[int, str]:
    """File index → path: the name joined to its include directory, itself joined to the CU's
    compilation directory (``DW_AT_comp_dir``; directory 0 in DWARF 4 is that directory)."""
    header = program.header
    version = header["version"]
    top = cu.get_top_DIE().attributes.get("DW_AT_comp_dir")
    comp_dir = _text(top.value) if top is not None else ""
    directories = [os.path.join(comp_dir, _text(d)) for d in header["include_directory"]]
    if version < 5:
        directories.insert(0, comp_dir)
    first = 0 if version >= 5 else 1
    files: dict[int, str] = {}
    for number, entry in enumerate(header["file_entry"], start=first):
        index = entry.dir_index
        directory = directories[index] if index < len(directories) else ""
        files[number] = os.path.join(directory, _text(entry.name))
    return files


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
