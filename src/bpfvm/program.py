"""A loaded program: decoded instructions split into functions, ready for an engine.

A :class:`Program` is plain data between pipeline stages.  It is position independent: its
code, data :class:`Segment` s and :class:`Reloc` s are placed into a VM's memory and linked
(:func:`link`) when a VM first runs it, so one Program can run in many VMs.  Calls to
undefined symbols are ``externs`` (pc → name), bound to intrinsics by name at that time.

From raw bytecode the functions are found the way the kernel finds subprograms: instruction 0
starts the entry function and every ``call local`` (src=1) or ``lddw`` of a function address
(src=4) target starts another one.  Every function must end with ``exit`` or an unconditional
jump (ELF programs: or a call to a noreturn function), and jumps must stay inside
their function (kernel ``check_subprogs``).  The ELF loader builds Programs with named
functions from symbol tables.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import DecodeError, ProgramError
from .isa import Insn, decode
from .isa.opcodes import LDDW_FUNC

__all__ = [
    "Function", "GlobalSymbol", "MapDef", "Program", "Reloc", "Segment", "check_resolved", "data_patches",
    "link",
]


@dataclass(frozen=True, slots=True)
class Function:
    """A BPF function: slots ``[start, end)`` of the program."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segment:
    """A data section to place in guest memory: ``.rodata*`` (read-only), ``.data*``/``.bss*``."""

    name: str
    data: bytes  #: initial contents (zeros for .bss)
    writable: bool
    align: int = 16


@dataclass(frozen=True, slots=True)
class Reloc:
    """Patch the guest address of ``target`` + ``addend`` into ``site`` at link time.

    ``site`` is ``"code"`` (then ``offset`` is the byte offset of an ``lddw``, whose 64-bit
    immediate receives the address) or a segment name (then ``kind`` says how many bytes at
    ``offset`` receive it: ``"abs64"`` or ``"abs32"``).  ``target`` is ``"code"`` (a function
    address: code base + byte offset) or a segment name.  An *unresolved* Reloc (``target`` is
    ``""``) refers to the undefined symbol ``symbol`` (an ``extern`` variable or function): the
    static linker (:mod:`bpfvm.linker`) resolves it against other objects; a VM refuses to run
    a program that still has one.
    """

    site: str
    offset: int
    kind: str  #: "imm64" | "abs64" | "abs32"
    target: str
    addend: int
    symbol: str = ""  #: the undefined symbol of an unresolved Reloc

    @property
    def resolved(self) -> bool:
        """Whether ``target`` names a place (not an undefined symbol)."""
        return bool(self.target)


@dataclass(frozen=True, slots=True)
class GlobalSymbol:
    """A named object in a segment (or a function in ``"code"``), for access by name."""

    name: str
    segment: str
    offset: int
    size: int
    #: ELF binding: ``"global"`` and ``"weak"`` symbols are visible to other objects when
    #: linking (a global definition overrides a weak one); ``"local"`` ones (C ``static``) are not;
    #: ``"common"`` marks a tentative definition (``-fcommon``), which other objects may not share.
    binding: str = "global"


@dataclass(frozen=True, slots=True)
class MapDef:
    """A map an object defines (legacy ``SEC("maps")`` record or BTF ``.maps`` variable).

    ``type`` is the kernel's ``enum bpf_map_type`` number; ``inner`` the template of a map of
    maps; ``pinning`` libbpf's ``LIBBPF_PIN_*``; ``key_type``/``value_type`` BTF type ids (0
    without BTF).  The map's symbol (``name``) locates it for relocations.
    """

    name: str
    type: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    inner: MapDef | None = None
    map_extra: int = 0
    numa_node: int = 0
    pinning: int = 0
    key_type: int = 0
    value_type: int = 0
    #: Byte offset of the ``values`` array in the BTF definition (initial prog_array / map-in-map
    #: slots are ``.maps`` relocations there); -1 if the definition has none.
    values_offset: int = -1


@dataclass(frozen=True, eq=False)
class Program:
    """Decoded instructions plus their functions, in slot order, and what linking needs.

    ``insns`` are the instructions in order; ``functions`` maps names to functions in order
    of their start slot; ``entry`` names the function a run starts in by default.
    ``segments``/``relocs`` describe the data to place and patch; ``externs`` maps the pc of
    each call to an undefined symbol to that symbol's name; ``symbols`` names data objects;
    ``sections`` maps each executable section name to the functions it holds (its first one
    is the program of that ``SEC()``); ``lines`` maps pcs to ``(file, line)`` when the
    object had debug information.
    """

    insns: tuple[Insn, ...]
    functions: dict[str, Function]
    entry: str
    name: str = "<bytecode>"
    _by_pc: dict[int, Insn] = field(default_factory=dict, repr=False, compare=False)
    segments: tuple[Segment, ...] = ()
    relocs: tuple[Reloc, ...] = ()
    externs: dict[int, str] = field(default_factory=dict)
    symbols: dict[str, GlobalSymbol] = field(default_factory=dict)
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lines: dict[int, tuple[str, int]] = field(default_factory=dict, repr=False)
    #: Functions may end with a call (clang ends a function with its call to a noreturn
    #: function such as exit); if that call returns, the run traps FELL_OFF.
    noreturn_tails: bool = False
    #: The stack frame the program's functions may use, as ``bpfvm cc`` recorded it in the
    #: object's ``.bpfvm.stack`` section (``-mllvm -bpf-stack-size``); None when not recorded.
    #: A VM must run it with ``stack_size`` at least this large.
    frame_size: int | None = None
    #: Maps the object defines (kernel-style objects), created when a VM places the program.
    maps: tuple[MapDef, ...] = ()
    #: Instructions poisoned by CO-RE relocations that the target BTF cannot satisfy (pc → which
    #: relocation and type); they trap when reached, and the trap names the relocation.
    core_poison: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, code: bytes | bytearray | memoryview, name: str = "<bytecode>") -> Program:
        """Decode raw bytecode (entry at instruction 0) and find its functions.

        Raises :class:`DecodeError` for malformed code and for functions that fall through
        their end or jump into another function.
        """
        insns = decode(code)
        if not insns:
            raise DecodeError("empty program", 0)
        return cls.from_insns(insns, name=name)

    @classmethod
    def from_insns(cls, insns: Sequence[Insn], name: str = "<bytecode>",
                   names: dict[int, str] | None = None, *, entry: str | None = None,
                   **extra: object) -> Program:
        """Build a Program from decoded instructions; ``names`` maps start slots to names.

        ``extra`` sets the linking fields (``segments``, ``relocs``, ``externs``, ``symbols``,
        ``sections``, ``lines``).  Without instructions the Program has no functions and no
        entry (an object of data only, to link with others).  Raises :class:`DecodeError` for
        malformed functions.
        """
        if not insns:  # a data-only object: something to link, not to run
            return cls((), {}, "", name, {}, **extra)  # type: ignore[arg-type]
        starts = sorted({0} | _call_targets(insns) | set(names or ()))
        end = insns[-1].pc + insns[-1].width
        functions: dict[str, Function] = {}
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else end
            fname = (names or {}).get(start) or ("entry" if start == 0 else f"func_{start}")
            functions[fname] = Function(fname, start, stop)
        prog = cls(tuple(insns), functions, entry or next(iter(functions)), name,
                   {i.pc: i for i in insns}, **extra)  # type: ignore[arg-type]
        prog._check_functions()
        return prog

    def insn_at(self, pc: int) -> Insn:
        """The instruction starting at slot ``pc``."""
        return self._by_pc[pc]

    def function_at(self, pc: int) -> Function:
        """The function containing slot ``pc`` (a binary search: programs such as DOOM have
        hundreds of functions, and the debugger asks at every step)."""
        ordered = self._functions_by_start
        i = bisect.bisect_right(ordered, pc, key=lambda f: f.start) - 1
        if i >= 0 and ordered[i].start <= pc < ordered[i].end:
            return ordered[i]
        raise ProgramError(f"no function contains slot {pc}", pc)

    @functools.cached_property
    def _functions_by_start(self) -> list[Function]:
        return sorted(self.functions.values(), key=lambda f: f.start)

    def function_insns(self, func: Function) -> list[Insn]:
        """The instructions of ``func`` in order."""
        first = bisect.bisect_left(self.insns, func.start, key=lambda i: i.pc)
        last = bisect.bisect_left(self.insns, func.end, lo=first, key=lambda i: i.pc)
        return list(self.insns[first:last])

    @property
    def digest(self) -> str:
        """Content hash of the code and function layout (cache key for engines)."""
        h = hashlib.sha256()
        for insn in self.insns:
            h.update(repr(tuple(insn)).encode())
        h.update(repr([(f.name, f.start, f.end) for f in self.functions.values()]).encode())
        return h.hexdigest()

    def _check_functions(self) -> None:
        for func in self.functions.values():
            body = self.function_insns(func)
            if not body:
                raise DecodeError(f"function {func.name} is empty", func.start)
            last = body[-1]
            ends = _NORETURN_ENDS if self.noreturn_tails else _ENDS
            if last.spec.kind not in ends:
                raise DecodeError(f"function {func.name} does not end with exit or an unconditional jump",
                                  last.pc)
            for insn in body:
                target = insn.target
                if target is None or insn.spec.kind == "call":
                    continue
                if not func.start <= target < func.end:
                    raise DecodeError(f"jump from {func.name} to slot {target} leaves the function", insn.pc)


_ENDS = ("exit", "ja", "gotol")
_NORETURN_ENDS = (*_ENDS, "call", "callx")


def _call_targets(insns: Sequence[Insn]) -> set[int]:
    targets: set[int] = set()
    for insn in insns:
        spec = insn.spec
        if spec.op == "call_local" or (spec.kind == "lddw" and insn.src == LDDW_FUNC):
            targets.add(insn.pc + 1 + insn.imm)
    return targets


def link(program: Program, addresses: dict[str, int]) -> tuple[Insn, ...]:
    """Apply ``program.relocs`` for segments placed at ``addresses`` (name → guest address,
    ``"code"`` included); return the patched instructions.

    Data relocations are returned by :func:`data_patches`; this function patches code only.
    Raises :class:`ProgramError` naming the undefined symbols if a Reloc is unresolved.
    """
    check_resolved(program)
    patched = dict(program._by_pc)
    for reloc in program.relocs:
        if reloc.site != "code":
            continue
        pc = reloc.offset // 8
        insn = patched[pc]
        value = (addresses[reloc.target] + reloc.addend) & 0xFFFF_FFFF_FFFF_FFFF
        lo, hi = value & 0xFFFF_FFFF, value >> 32
        patched[pc] = insn._replace(src=0, imm=lo - (1 << 32) if lo >> 31 else lo,
                                    imm_hi=hi - (1 << 32) if hi >> 31 else hi)
    return tuple(patched[i.pc] for i in program.insns)


def check_resolved(program: Program) -> None:
    """Raise :class:`ProgramError` if ``program`` has no code or refers to symbols no object
    defines."""
    if not program.insns:
        raise ProgramError(f"{program.name}: no code: the object has no non-empty executable section "
                           "(link it with objects that have code)")
    missing = sorted({r.symbol for r in program.relocs if not r.resolved})
    if missing:
        raise ProgramError(f"{program.name}: undefined symbol{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)} (define {'them' if len(missing) > 1 else 'it'} in "
                           "an object linked with this one)")


def data_patches(program: Program, addresses: dict[str, int]) -> list[tuple[int, bytes]]:
    """The (guest address, bytes) writes that apply the data relocations of ``program``."""
    writes: list[tuple[int, bytes]] = []
    for reloc in program.relocs:
        if reloc.site == "code":
            continue
        value = addresses[reloc.target] + reloc.addend
        size = 8 if reloc.kind == "abs64" else 4
        writes.append((addresses[reloc.site] + reloc.offset,
                       (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")))
    return writes
