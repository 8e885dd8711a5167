"""Maps of a program placed in a VM: what libbpf's ``bpf_object__load`` does for maps.

:func:`place_maps` creates the maps a kernel-style object defines (:attr:`Program.maps`), and
its global data sections (``.data``, ``.bss``, ``.rodata``, ``.data.*``, ``.rodata.*``,
``.kconfig``) as single-element array maps (``.rodata*`` with ``BPF_F_RDONLY_PROG``), attaches
them to the VM, fills prog-array and map-in-map slots from ``.maps`` relocations, and retargets
the ``lddw`` relocations against map symbols to the maps' handles (libbpf's
``BPF_PSEUDO_MAP_FD``) — global data relocations already give value addresses
(``BPF_PSEUDO_MAP_VALUE``).  :func:`resolve_pseudo` does the same for raw bytecode whose
``lddw`` carry ``src=1``/``src=2`` and a map fd (:attr:`Map.fd`), as bytecode for the kernel does.
"""

from __future__ import annotations

import dataclasses
import errno
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...errors import MapError, ProgramError
from ...isa import Insn
from ...program import MapDef, Program, Reloc
from .array import ArrayMap
from .base import Flag, Map, map_by_fd
from .elf import GLOBAL_DATA_PREFIXES
from .fd_array import ArrayOfMaps, HashOfMaps, ProgArray
from .space import MapSpace

if TYPE_CHECKING:
    from ...vm import VM

__all__ = ["MapPlacement", "is_kernel_style", "place_maps", "resolve_pseudo"]

_MAP_SECTIONS = ("maps", ".maps")
_LDDW = 0x18
_PSEUDO_MAP_FD, _PSEUDO_MAP_VALUE, _PSEUDO_MAP_IDX, _PSEUDO_MAP_IDX_VALUE = 1, 2, 5, 6


@dataclass
class MapPlacement:
    """The outcome for one program: relocs retargeted, extra addresses, maps by name."""

    program: Program
    addresses: dict[str, int] = field(default_factory=dict)
    maps: dict[str, Map] = field(default_factory=dict)
    #: Definitions the kernel would refuse, by map name: raised when code refers to the map.
    errors: dict[str, MapError] = field(default_factory=dict)


def is_kernel_style(program: Program) -> bool:
    """Whether ``program`` is an object for the kernel (defines maps or a ``license``)."""
    return bool(program.maps) or any(s.name in ("license", *_MAP_SECTIONS) for s in program.segments)


def place_maps(vm: VM, program: Program) -> MapPlacement | None:
    """Create and attach ``program``'s maps in ``vm`` (``vm.map_space.reuse``: existing maps to
    use by name, as libbpf's ``bpf_map__reuse_fd``); None for programs that are not kernel-style.

    Raises :class:`MapError` for a definition the kernel would refuse (naming the map) when the
    code refers to that map (libbpf refuses the whole object; bpfvm runs the programs that do
    not use it), and :class:`ProgramError` for a relocation against an unknown map.
    """
    if not is_kernel_style(program):
        return None
    space: MapSpace = vm.map_space
    reuse = space.reuse
    placement = MapPlacement(program)
    for d in program.maps:
        try:
            m = reuse.get(d.name) or create(d, space.cpus)
        except MapError as exc:
            placement.errors[d.name] = exc
            continue
        placement.maps[d.name] = m
        placement.addresses[f"map:{d.name}"] = space.attach(m).handle
    for seg in program.segments:
        if seg.name.startswith(GLOBAL_DATA_PREFIXES) and seg.data:
            m = reuse.get(seg.name) or _global_data(seg.name, seg.data, seg.writable)
            placement.maps[seg.name] = m
            placement.addresses[seg.name] = space.attach(m).base
    placement.program = dataclasses.replace(program, relocs=tuple(_retarget(program, placement)))
    _initial_values(program, placement)
    return placement


def create(d: MapDef, ncpus: int | None = None) -> Map:
    """A new Map for definition ``d``."""
    inner = create(d.inner, ncpus) if d.inner is not None else None
    return Map(d.type, d.key_size, d.value_size, d.max_entries, d.flags, name=d.name, ncpus=ncpus,
               map_extra=d.map_extra, inner_map=inner)


def _global_data(name: str, data: bytes, writable: bool) -> Map:
    flags = Flag.MMAPABLE | (0 if writable else Flag.RDONLY_PROG)
    m = Map("array", 4, len(data), 1, flags, name=name)
    assert m.storage is not None
    m.storage.buf[:len(data)] = data
    return m


def _symbol_at(program: Program) -> dict[tuple[str, int], str]:
    return {(s.segment, s.offset): s.name for s in program.symbols.values() if s.segment in _MAP_SECTIONS}


def _retarget(program: Program, placement: MapPlacement) -> list[Reloc]:
    names = _symbol_at(program)
    out = []
    for reloc in program.relocs:
        if reloc.site == "code" and reloc.target in _MAP_SECTIONS:
            name = names.get((reloc.target, reloc.addend))
            if name in placement.errors:
                raise placement.errors[name]
            if name is None or name not in placement.maps:
                raise ProgramError(f"{program.name}: lddw at insn #{reloc.offset // 8} refers to "
                                   f"{reloc.target}+{reloc.addend}, which is not a map", reloc.offset // 8)
            reloc = Reloc("code", reloc.offset, reloc.kind, f"map:{name}", 0)
        out.append(reloc)
    return out


def _initial_values(program: Program, placement: MapPlacement) -> None:
    """``.maps`` relocations inside a ``values`` array: prog-array programs, inner maps."""
    names = _symbol_at(program)
    defs = {d.name: d for d in program.maps}
    starts = sorted((s.offset, s.name) for s in program.symbols.values() if s.segment == ".maps")
    for reloc in program.relocs:
        if reloc.site != ".maps":
            continue
        owner = max((s for s in starts if s[0] <= reloc.offset), default=None)
        d = defs.get(owner[1]) if owner else None
        if owner is None or d is None or d.values_offset < 0 or reloc.offset < owner[0] + d.values_offset:
            continue
        index = (reloc.offset - owner[0] - d.values_offset) // 8
        outer = placement.maps[d.name]
        if isinstance(outer, ProgArray) and reloc.target == "code":
            func = next((f for f in program.functions.values() if f.start * 8 == reloc.addend), None)
            if func is not None:
                outer.set(index, func)
        elif isinstance(outer, ArrayOfMaps | HashOfMaps):
            inner_name = names.get((reloc.target, reloc.addend))
            if inner_name in placement.maps:
                key = index if isinstance(outer, ArrayOfMaps) else index.to_bytes(outer.key_size, "little")
                outer.update(key, placement.maps[inner_name])


def resolve_pseudo(insns: Sequence[Insn], space: MapSpace) -> tuple[Insn, ...]:
    """Replace ``lddw`` src=1 (map fd → handle) and src=2 (map fd + offset → value address of
    element 0 of an array map) by plain 64-bit constants.  Raises :class:`ProgramError`."""
    out = []
    for insn in insns:
        if insn.opcode == _LDDW and insn.src in (_PSEUDO_MAP_FD, _PSEUDO_MAP_VALUE):
            insn = _resolve_one(insn, space)
        elif insn.opcode == _LDDW and insn.src in (_PSEUDO_MAP_IDX, _PSEUDO_MAP_IDX_VALUE):
            raise ProgramError("lddw of a map by fd_array index: bpfvm has no fd_array; use map fds", insn.pc)
        out.append(insn)
    return tuple(out)


def _resolve_one(insn: Insn, space: MapSpace) -> Insn:
    try:
        m = map_by_fd(insn.imm & 0xFFFF_FFFF)
    except MapError as exc:
        raise ProgramError(f"lddw: {exc}", insn.pc) from exc
    binding = space.attach(m)
    value = binding.handle
    if insn.src == _PSEUDO_MAP_VALUE:
        offset = insn.imm_hi & 0xFFFF_FFFF
        if not isinstance(m, ArrayMap) or offset >= m.value_size:
            raise ProgramError(f"lddw: map value offset {offset} of {m!r} (array maps only, inside "
                               "the value)", insn.pc) from MapError(errno.EINVAL, "lddw", m.name)
        value = binding.address(m.offset(0) + offset)
    lo, hi = value & 0xFFFF_FFFF, value >> 32
    return insn._replace(src=0, imm=_s32(lo), imm_hi=_s32(hi))


def _s32(value: int) -> int:
    return value - (1 << 32) if value >> 31 else value
