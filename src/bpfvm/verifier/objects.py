"""Kernel programs inside an ELF object, ready for the verifier: what libbpf hands BPF_PROG_LOAD.

Each function of an executable section (``SEC("xdp")`` …) is one program; its type comes from
the section name by libbpf's rules (:func:`bpfvm.kernel.progtypes.section_type`).  ``lddw``
relocations against maps become ``BPF_PSEUDO_MAP_FD`` with a stand-in fd, and against global data sections
``BPF_PSEUDO_MAP_VALUE`` of a one-element array map the size of the section, as libbpf
creates them; the :class:`~.state.MapInfo` of each stand-in fd goes with the program.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ProgramError
from ..isa import encode
from ..program import Function, MapDef, Program, Segment
from .state import MapInfo

__all__ = ["KernelProgram", "kernel_programs", "section_prog_type"]

_MAP_SECTIONS = ("maps", ".maps")
RDONLY_PROG = 1 << 7  #: ``BPF_F_RDONLY_PROG``
_FD_BASE = 1 << 20  # stand-in fds, far from any real one


@dataclass(frozen=True)
class KernelProgram:
    """One program of an object: its name, section, type, bytecode and the maps its fds stand for."""

    name: str
    section: str
    prog_type: int
    code: bytes
    maps: dict[int, MapInfo]


def section_prog_type(section: str) -> int | None:
    """The program type libbpf gives a section name (``?`` prefix allowed), or None if none."""
    from ..kernel.progtypes import section_type

    found = section_type(section.lstrip("?"))  # libbpf: "?" marks a program not loaded by default
    return None if found is None else found.type.id


def kernel_programs(program: Program) -> list[KernelProgram]:
    """The kernel programs of ``program``, in section order. Raises :class:`ProgramError` for a
    relocation bpfvm cannot express for the kernel."""
    out: list[KernelProgram] = []
    symbols = {(s.segment, s.offset): s.name for s in program.symbols.values()}
    defs = {d.name: d for d in program.maps}
    segments = {s.name: s for s in program.segments}
    fds: dict[str, int] = {}
    infos: dict[int, MapInfo] = {}

    def fd_for(key: str, info: MapInfo) -> int:
        if key not in fds:
            fds[key] = _FD_BASE + len(fds)
            infos[fds[key]] = info
        return fds[key]

    for section, names in program.sections.items():
        if section.startswith(".text"):
            continue
        for fname in names:
            out.append(_one(program, section, fname, symbols, defs, segments, fd_for, infos))
    return out


def _one(
    program: Program,
    section: str,
    fname: str,
    symbols: dict[tuple[str, int], str],
    defs: dict[str, MapDef],
    segments: dict[str, Segment],
    fd_for: Callable[[str, MapInfo], int],
    infos: dict[int, MapInfo],
) -> KernelProgram:
    """One program: function ``fname`` of ``section`` followed by the subprograms it calls (as
    libbpf appends them), calls and relocations adjusted to the new layout."""
    layout = _layout(program, program.functions[fname])
    new_pc: dict[int, int] = {}
    at = 0
    for func in layout:
        for pc in range(func.start, func.end):
            new_pc[pc] = at + pc - func.start
        at += func.end - func.start
    insns = []
    for func in layout:
        for insn in program.insns:
            if not func.start <= insn.pc < func.end:
                continue
            moved = insn.with_pc(new_pc[insn.pc])
            target = insn.target
            if insn.opcode == 0x85 and insn.src == 1 and target is not None:
                moved = moved._replace(imm=new_pc[target] - moved.pc - 1)
            elif insn.opcode == 0x18 and insn.src == 4:
                moved = moved._replace(imm=new_pc[insn.pc + 1 + insn.imm] - moved.pc - 1)
            insns.append(moved)
    code = bytearray(encode(insns))
    used: dict[int, MapInfo] = {}
    for reloc in program.relocs:
        if reloc.site != "code" or reloc.offset // 8 not in new_pc:
            continue
        where = new_pc[reloc.offset // 8] * 8
        if reloc.target in _MAP_SECTIONS:
            name = symbols.get((reloc.target, reloc.addend), "")
            d = defs.get(name)
            if d is None:
                raise ProgramError(
                    f"{program.name}: lddw at insn #{where // 8} refers to {reloc.target}+"
                    f"{reloc.addend}, which is not a map",
                    where // 8,
                )
            rdonly = bool(d.flags & RDONLY_PROG)
            fd = fd_for(name, MapInfo(name[:15], d.key_size, d.value_size, d.type, d.max_entries, rdonly))
            _patch(code, where, 1, fd, 0)
        elif reloc.target in segments:
            seg = segments[reloc.target]
            fd = fd_for(seg.name, MapInfo(seg.name[:15], 4, len(seg.data), 2, 1, read_only=not seg.writable))
            _patch(code, where, 2, fd, reloc.addend)
        else:
            continue
        used[fd] = infos[fd]
    prog_type = section_prog_type(section)
    return KernelProgram(fname, section, prog_type if prog_type is not None else 0, bytes(code), used)


def _layout(program: Program, entry: Function) -> list[Function]:
    """``entry`` and every function it reaches through calls or function pointers, in order found."""
    order = [entry]
    seen = {entry.start}
    i = 0
    while i < len(order):
        func = order[i]
        i += 1
        for insn in program.insns:
            if not func.start <= insn.pc < func.end:
                continue
            target = None
            if insn.opcode == 0x85 and insn.src == 1:
                target = insn.target
            elif insn.opcode == 0x18 and insn.src == 4:
                target = insn.pc + 1 + insn.imm
            if target is not None and target not in seen:
                callee = program.function_at(target)
                seen.add(callee.start)
                order.append(callee)
    return order


def _patch(code: bytearray, at: int, src: int, fd: int, offset: int) -> None:
    code[at + 1] = (code[at + 1] & 0x0F) | (src << 4)
    struct.pack_into("<i", code, at + 4, fd)
    struct.pack_into("<i", code, at + 12, offset)
