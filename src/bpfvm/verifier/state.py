"""Abstract machine state of the verifier: registers, stack slots, frames (``struct bpf_verifier_state``).

A :class:`Reg` is the kernel's ``bpf_reg_state``: a :class:`RegType`, a fixed offset ``off``
(pointers), a :class:`~bpfvm.analysis.Scalar` (the value of a scalar, the variable offset of a
pointer), an ``id`` linking copies, ``precise``, and per type: the map of a map pointer, the
packet ``range``, the stack frame number.  A :class:`Frame` holds r0–r10 and the stack as 8-byte
slots of per-byte :class:`Slot` types plus the spilled register; a :class:`State` is the frames
of a path.  Everything is copied (:meth:`State.copy`) when a path forks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..analysis import M32, M64, S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar

__all__ = ["ADD_CONST", "Frame", "MapInfo", "Reg", "RegType", "Slot", "StackSlot", "State"]

#: ``BPF_ADD_CONST``: the id flag of a scalar known to be another one plus ``off``.
ADD_CONST = 1 << 31


class RegType(enum.Enum):
    """``enum bpf_reg_type`` members bpfvm tracks, with the kernel's log name."""

    NOT_INIT = "?"
    SCALAR = "scalar"
    PTR_TO_CTX = "ctx"
    CONST_PTR_TO_MAP = "map_ptr"
    PTR_TO_MAP_VALUE = "map_value"
    PTR_TO_MAP_KEY = "map_key"
    PTR_TO_STACK = "fp"
    PTR_TO_PACKET = "pkt"
    PTR_TO_PACKET_META = "pkt_meta"
    PTR_TO_PACKET_END = "pkt_end"
    PTR_TO_MEM = "mem"


class Slot(enum.Enum):
    """Per-byte stack slot types (``STACK_*``) with the character the log prints."""

    INVALID = "?"
    SPILL = "r"
    MISC = "m"
    ZERO = "0"


@dataclass(frozen=True)
class MapInfo:
    """What the verifier needs of a map: its name, key/value sizes, type, entry count, and
    whether programs may write its values."""

    name: str
    key_size: int
    value_size: int
    map_type: int = 2
    max_entries: int = 1
    #: ``BPF_F_RDONLY_PROG``: programs may read the values but not write them (``.rodata``).
    read_only: bool = False


class Reg:
    """One register's abstract value (``struct bpf_reg_state``)."""

    __slots__ = ("type", "off", "val", "id", "precise", "maybe_null", "map", "range", "frameno", "subreg_def")

    def __init__(self, type: RegType = RegType.NOT_INIT, val: Scalar | None = None, off: int = 0) -> None:
        self.type = type
        self.off = off
        self.val = val if val is not None else Scalar.unknown()
        self.id = 0
        self.precise = False
        self.maybe_null = False
        self.map: MapInfo | None = None
        self.range = 0
        self.frameno = 0
        self.subreg_def = 0

    @classmethod
    def scalar(cls, val: Scalar | None = None) -> Reg:
        """A scalar register (unknown when ``val`` is None)."""
        return cls(RegType.SCALAR, val)

    @classmethod
    def known(cls, value: int) -> Reg:
        """A scalar of one known value."""
        return cls(RegType.SCALAR, Scalar.known(value))

    @classmethod
    def pointer(cls, type: RegType, off: int = 0) -> Reg:
        """A pointer with a fixed offset and no variable part."""
        return cls(type, Scalar.known(0), off)

    def copy(self) -> Reg:
        """An independent copy."""
        r = Reg(self.type, self.val.copy(), self.off)
        r.id, r.precise, r.maybe_null, r.map = self.id, self.precise, self.maybe_null, self.map
        r.range, r.frameno, r.subreg_def = self.range, self.frameno, self.subreg_def
        return r

    def assign(self, other: Reg) -> None:
        """Make ``self`` a copy of ``other`` (``copy_register_state``)."""
        self.type, self.off, self.val = other.type, other.off, other.val.copy()
        self.id, self.precise, self.maybe_null, self.map = (
            other.id,
            other.precise,
            other.maybe_null,
            other.map,
        )
        self.range, self.frameno, self.subreg_def = other.range, other.frameno, other.subreg_def

    @property
    def is_pointer(self) -> bool:
        """True for every initialised non-scalar type."""
        return self.type not in (RegType.SCALAR, RegType.NOT_INIT)

    @property
    def is_pkt(self) -> bool:
        """``reg_is_pkt_pointer``: packet data or packet metadata pointer."""
        return self.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META)

    def is_null(self) -> bool:
        """``register_is_null``: a scalar known to be 0."""
        return self.type is RegType.SCALAR and self.val.is_const() and self.val.value == 0

    def type_str(self) -> str:
        """``reg_type_str``: the log's name of the type (``map_value_or_null`` …)."""
        base = self.type.value
        return base + "_or_null" if self.maybe_null else base

    def mark_unknown(self) -> None:
        """``mark_reg_unknown``: an unknown scalar."""
        self.__init__(RegType.SCALAR)  # type: ignore[misc]

    def mark_not_init(self) -> None:
        """``mark_reg_not_init``."""
        self.__init__()  # type: ignore[misc]


def _bounded(v: Scalar) -> bool:
    return not (
        v.smin == S64_MIN
        and v.smax == S64_MAX
        and v.umin == 0
        and v.umax == M64
        and v.s32_min == S32_MIN
        and v.s32_max == S32_MAX
        and v.u32_min == 0
        and v.u32_max == M32
    )


class StackSlot:
    """Eight bytes of stack: per-byte types (index 0 is the byte at the slot's top) and a spilled reg."""

    __slots__ = ("types", "spilled")

    def __init__(self) -> None:
        self.types: list[Slot] = [Slot.INVALID] * 8
        self.spilled = Reg()

    def copy(self) -> StackSlot:
        """An independent copy."""
        s = StackSlot()
        s.types = list(self.types)
        s.spilled = self.spilled.copy()
        return s

    def is_spill(self) -> bool:
        """``is_spilled_reg``: the slot's lowest byte holds a spilled register."""
        return self.types[7] is Slot.SPILL

    def is_spilled_scalar64(self) -> bool:
        """``is_spilled_scalar_reg64``: a whole 8-byte scalar spill."""
        return all(t is Slot.SPILL for t in self.types) and self.spilled.type is RegType.SCALAR


class Frame:
    """One function's registers and stack (``struct bpf_func_state``)."""

    __slots__ = ("regs", "stack", "frameno", "callsite", "subprog")

    def __init__(self, frameno: int = 0, callsite: int = -1) -> None:
        self.subprog = 0
        self.regs = [Reg() for _ in range(11)]
        self.stack: list[StackSlot] = []
        self.frameno = frameno
        self.callsite = callsite

    def copy(self) -> Frame:
        """An independent copy."""
        f = Frame(self.frameno, self.callsite)
        f.subprog = self.subprog
        f.regs = [r.copy() for r in self.regs]
        f.stack = [s.copy() for s in self.stack]
        return f

    @property
    def allocated_stack(self) -> int:
        """Bytes of stack tracked so far (a multiple of 8)."""
        return len(self.stack) * 8

    def grow(self, size: int) -> None:
        """``grow_stack_state``: track at least ``size`` bytes below the frame pointer."""
        while len(self.stack) * 8 < size:
            self.stack.append(StackSlot())


class State:
    """A path's verifier state: its frames, the instruction it is at, and the pruning bookkeeping."""

    __slots__ = ("frames", "insn_idx", "parent", "branches", "last_insn_idx", "jmp_history")

    def __init__(self) -> None:
        self.frames = [Frame()]
        self.insn_idx = 0
        self.parent: State | None = None
        self.branches = 1
        self.last_insn_idx = -1
        self.jmp_history: list[tuple[int, int]] = []

    @property
    def frame(self) -> Frame:
        """The current (innermost) frame."""
        return self.frames[-1]

    def copy(self) -> State:
        """``copy_verifier_state``: a fork of this path (parent and branch count are the caller's)."""
        s = State()
        s.frames = [f.copy() for f in self.frames]
        s.insn_idx = self.insn_idx
        s.parent = self.parent
        s.last_insn_idx = self.last_insn_idx
        s.jmp_history = list(self.jmp_history)
        return s
