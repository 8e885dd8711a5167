"""A generator of random *valid* BPF programs, for differential fuzzing of the engines.

A generated :class:`Module` is one :class:`bpfvm.Program` with many entry functions (each one
"random program" of the campaign) and a few shared callees, so that one JIT compile serves
hundreds of programs.  Every program is well formed (it decodes, its jumps stay in their
function, its calls hit a function) and mostly runs to ``exit``; now and then it does something a
guest may do and must be stopped for — a wild pointer, a store to ``.rodata``, unbounded
recursion, a backward jump that never ends — so traps and the budget are compared too.

Register convention of an entry function (the generator's, not BPF's): r0–r5 hold values,
r6 the 64-byte run buffer (``mem``), r7 ``.data``, r8 ``.rodata``, r9 a scratch pointer, r10 the
stack, whose slots -8 and -16 are loop counters.  Callees re-derive r7/r8 (they are not
arguments) and clobber r6–r9 freely: the engines must restore them for the caller.

The shapes covered: every ALU and byte-swap form (32/64-bit, imm/reg, sdiv/smod edge values,
shifts, movsx), every conditional jump form as if/else, ``ja``/``gotol``, counted loops (nested),
``may_goto`` loops, BPF-to-BPF calls (acyclic, and sometimes recursive), ``callx`` through a
function pointer (``lddw src=4``) and to a helper id, helper calls (one writes guest memory),
every load/store/atomic width into the buffer, ``.data``, ``.rodata`` (loads), the stack and a
computed address, and the legacy packet loads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bpfvm.isa import SPECS, Insn, OpSpec, make
from bpfvm.program import Program, Reloc, Segment

__all__ = ["DATA_SIZE", "MEM_SIZE", "RODATA_SIZE", "Builder", "Module", "generate"]

MEM_SIZE = 64
DATA_SIZE = 256
RODATA_SIZE = 128

VALUES = (0, 1, 2, 3, 4, 5)
INT32_EDGES = (0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 0x7FFF_FFFF, -0x8000_0000, 0xFF, 0xFFFF, -8, -64)
IMM64_EDGES = (0, 1, -1, 1 << 31, 1 << 32, (1 << 63) - 1, 1 << 63, 0xFFFF_FFFF, 0x8000_0000_0000_0001)

ALU = [s for s in SPECS if s.kind in ("alu", "end")]
JCOND = [s for s in SPECS if s.kind == "jcond"]
LOADS = [s for s in SPECS if s.kind == "ldx"]
STORES = [s for s in SPECS if s.kind in ("st", "stx")]
ATOMICS = [s for s in SPECS if s.kind == "atomic"]
PACKET = [s for s in SPECS if s.kind in ("ldabs", "ldind")]
SPEC = {s.name: s for s in SPECS}

#: Helper ids the generated programs call (see :func:`helpers`).
HELPER_IDS = (1, 2, 3, 4)


@dataclass
class Builder:
    """Instructions with symbolic jump targets, laid out into slots by :meth:`finish`."""

    items: list[tuple[Insn, str, str]] = field(default_factory=list)  # insn, field, label
    labels: dict[str, int] = field(default_factory=dict)  # label -> item index
    relocs: list[tuple[int, str, int]] = field(default_factory=list)  # item, segment, addend
    counter: int = 0

    def emit(self, insn: Insn, field_name: str = "", label: str = "") -> None:
        """Append ``insn``; if ``label``, its ``field_name`` will hold the displacement to it."""
        self.items.append((insn, field_name, label))

    def label(self, name: str = "") -> str:
        """A fresh label name (placed later with :meth:`place`)."""
        self.counter += 1
        return name or f".L{self.counter}"

    def place(self, name: str) -> None:
        """Put label ``name`` at the next instruction."""
        self.labels[name] = len(self.items)

    def address(self, dst: int, segment: str, addend: int = 0) -> None:
        """``lddw dst, segment + addend`` (a link-time relocation)."""
        self.relocs.append((len(self.items), segment, addend))
        self.emit(make("lddw", dst=dst))

    def finish(self) -> tuple[list[Insn], dict[str, int], list[tuple[int, str, int]]]:
        """Lay out the slots: the instructions, each label's slot, and (slot, segment, addend)."""
        pcs = [0]
        for insn, _, _ in self.items:
            pcs.append(pcs[-1] + insn.width)
        slots = {name: pcs[index] for name, index in self.labels.items()}
        insns = []
        for index, (insn, field_name, label) in enumerate(self.items):
            if label:
                insn = insn._replace(**{field_name: slots[label] - pcs[index] - 1})
            insns.append(insn.with_pc(pcs[index]))
        return insns, slots, [(pcs[i], seg, add) for i, seg, add in self.relocs]


@dataclass(frozen=True)
class Module:
    """One generated program: ``entries`` are the names of the random programs in it."""

    program: Program
    entries: tuple[str, ...]
    seed: int


class _Gen:
    """The random choices of one module (see the module docstring)."""

    def __init__(self, rng: random.Random, builder: Builder, callees: list[str]) -> None:
        self.rng = rng
        self.b = builder
        self.callees = callees
        self.func_labels: list[str] = []
        self.wild = 0.01  # probability of each "misbehaviour" choice
        self.func_start = 0

    # -- values -----------------------------------------------------------------------------
    def imm(self) -> int:
        rng = self.rng
        return rng.choice(INT32_EDGES) if rng.random() < 0.5 else rng.randint(-(2**31), 2**31 - 1)

    def value_reg(self) -> int:
        return self.rng.choice(VALUES)

    # -- statements -------------------------------------------------------------------------
    def alu(self) -> None:
        spec = self.rng.choice(ALU)
        fields: dict[str, int] = {"dst": self.value_reg()}
        if "src" in spec.uses:
            fields["src"] = self.value_reg()
        if "imm" in spec.uses and spec.kind == "alu":
            if spec.op in ("lsh", "rsh", "arsh") and self.rng.random() < 0.8:
                fields["imm"] = self.rng.randrange(spec.bits)
            else:
                fields["imm"] = self.imm()
        self.b.emit(make(spec.name, **fields))

    def load_imm64(self) -> None:
        value = self.rng.choice(IMM64_EDGES) if self.rng.random() < 0.5 else self.rng.getrandbits(64)
        lo, hi = value & 0xFFFF_FFFF, (value >> 32) & 0xFFFF_FFFF
        self.b.emit(make("lddw", dst=self.value_reg(), imm=_s32(lo), imm_hi=_s32(hi)))

    def pointer(self, size: int, write: bool) -> tuple[int, int]:
        """A (base register, offset) to access ``size`` bytes at: in a region, mostly aligned."""
        rng = self.rng
        choice = rng.randrange(4 if write else 5)
        if choice == 0:
            base, low, high = 6, 0, MEM_SIZE - size
        elif choice == 1:
            base, low, high = 7, 0, DATA_SIZE - size
        elif choice == 2:
            base, low, high = 10, -512, -16 - size
        elif choice == 3:
            return self.computed_pointer(size, write)
        else:
            base, low, high = 8, 0, RODATA_SIZE - size
        off = rng.randint(low, high)
        if rng.random() < 0.9:
            off -= off % size
            if off < low:
                off += size
        if rng.random() < self.wild:
            off = rng.randint(-(2**15), 2**15 - 1)
        return base, off

    def computed_pointer(self, size: int, write: bool) -> tuple[int, int]:
        """r9 = base + (value & mask): an address computed at run time (usually in bounds)."""
        rng = self.rng
        base, span = rng.choice([(6, MEM_SIZE), (7, DATA_SIZE)] + ([] if write else [(8, RODATA_SIZE)]))
        if rng.random() < self.wild * 3:
            value = rng.choice([0, 8, 0xFFF0, 1 << 40, rng.getrandbits(64)])
            lo, hi = value & 0xFFFF_FFFF, (value >> 32) & 0xFFFF_FFFF
            self.b.emit(make("lddw", dst=9, imm=_s32(lo), imm_hi=_s32(hi)))
            return 9, 0
        self.b.emit(make("mov64_reg", dst=9, src=self.value_reg()))
        self.b.emit(make("and64_imm", dst=9, imm=(span - size) & -size))
        self.b.emit(make("add64_reg", dst=9, src=base))
        return 9, 0

    def load(self) -> None:
        spec = self.rng.choice(LOADS)
        base, off = self.pointer(spec.size, write=False)
        self.b.emit(make(spec.name, dst=self.value_reg(), src=base, off=off))

    def store(self) -> None:
        spec = self.rng.choice(STORES)
        if self.rng.random() < self.wild:
            base, off = 8, self.rng.randrange(0, RODATA_SIZE - 8)  # .rodata: a READ_ONLY trap
        else:
            base, off = self.pointer(spec.size, write=True)
        fields = {"dst": base, "off": off}
        if spec.kind == "stx":
            fields["src"] = self.value_reg()
        else:
            fields["imm"] = self.imm()
        self.b.emit(make(spec.name, **fields))

    def atomic(self) -> None:
        spec = self.rng.choice(ATOMICS)
        base, off = self.pointer(spec.size, write=True)
        self.b.emit(make(spec.name, dst=base, src=self.value_reg(), off=off))

    def packet(self) -> None:
        spec = self.rng.choice(PACKET)
        if spec.kind == "ldabs":
            self.b.emit(make(spec.name, imm=self.rng.randrange(0, MEM_SIZE + 4)))
        else:
            self.b.emit(make("and64_imm", dst=1, imm=31))
            self.b.emit(make(spec.name, src=1, imm=self.rng.randrange(0, 36)))

    def branch(self, depth: int) -> None:
        """``if (cond) { then } else { other }`` with a random condition form."""
        spec = self.rng.choice(JCOND)
        fields: dict[str, int] = {"dst": self.value_reg()}
        if spec.source == "reg":
            fields["src"] = self.value_reg()
        else:
            fields["imm"] = self.imm() if self.rng.random() < 0.5 else self.rng.randint(-4, 4)
        other, done = self.b.label(), self.b.label()
        self.b.emit(make(spec.name, **fields), "off", other)
        self.block(depth + 1, 4)
        if self.rng.random() < 0.5:
            wide = self.rng.random() < 0.3
            self.b.emit(make("gotol") if wide else make("ja"), "imm" if wide else "off", done)
            self.b.place(other)
            self.block(depth + 1, 4)
        else:
            self.b.place(other)
        self.b.place(done)

    def loop(self, depth: int) -> None:
        """A counted loop (counter in stack slot -8 or -16), sometimes headed by ``may_goto``."""
        rng = self.rng
        head, done = self.b.label(), self.b.label()
        slot = -8 if depth % 2 == 0 else -16
        self.b.emit(make("stdw", dst=10, off=slot, imm=rng.randint(1, 12)))
        self.b.place(head)
        if rng.random() < 0.2:
            self.b.emit(make("may_goto"), "off", done)
        self.block(depth + 1, 5)
        self.b.emit(make("ldxdw", dst=9, src=10, off=slot))
        self.b.emit(make("sub64_imm", dst=9, imm=1))
        self.b.emit(make("stxdw", dst=10, src=9, off=slot))
        self.b.emit(make("jne64_imm", dst=9, imm=0), "off", head)
        self.b.place(done)

    def call(self) -> None:
        rng = self.rng
        choice = rng.randrange(4)
        if choice == 0 and self.callees:
            self.b.emit(make("call_local", src=1), "imm", rng.choice(self.callees))
        elif choice == 1 and self.callees:
            reg = rng.choice((9, *VALUES))
            self.b.emit(make("lddw", dst=reg, src=4), "imm", rng.choice(self.callees))
            self.b.emit(make("callx", dst=reg))
        elif choice == 2:
            reg = rng.choice((9, *VALUES))
            self.b.emit(make("mov64_imm", dst=reg, imm=rng.choice(HELPER_IDS)))
            self.b.emit(make("callx", dst=reg))
        else:
            if rng.random() < 0.3:  # helper 4 stores r2 at r1: give it a valid address
                self.b.emit(make("mov64_reg", dst=1, src=rng.choice((6, 7, 10))))
                self.b.emit(make("add64_imm", dst=1, imm=-32 if self.b.items[-1][0].src == 10 else 8))
                self.b.emit(make("call", imm=4))
            else:
                self.b.emit(make("call", imm=rng.choice(HELPER_IDS[:3])))

    def wild_jump(self) -> None:
        """A jump to any label of this function so far (possibly a loop that never ends)."""
        targets = [name for name, index in self.b.labels.items() if index >= self.func_start]
        if targets:
            self.b.emit(make("ja"), "off", self.rng.choice(targets))

    def statement(self, depth: int) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.32:
            self.alu()
        elif roll < 0.36:
            self.load_imm64()
        elif roll < 0.48:
            self.load()
        elif roll < 0.58:
            self.store()
        elif roll < 0.64:
            self.atomic()
        elif roll < 0.66:
            self.packet()
        elif roll < 0.78 and depth < 3:
            self.branch(depth)
        elif roll < 0.84 and depth < 2:
            self.loop(depth)
        elif roll < 0.92:
            self.call()
        elif roll < 0.923:
            self.wild_jump()
        else:
            self.alu()

    def block(self, depth: int, length: int) -> None:
        for _ in range(self.rng.randint(1, length)):
            self.statement(depth)

    # -- functions --------------------------------------------------------------------------
    def prologue(self, entry: bool) -> None:
        if entry:
            self.b.emit(make("mov64_reg", dst=6, src=1))
        self.b.address(7, ".data")
        self.b.address(8, ".rodata")
        for reg in VALUES:
            if entry or reg == 0 or self.rng.random() < 0.3:
                self.b.emit(make("mov64_imm", dst=reg, imm=self.imm()))
        if not entry:
            self.b.address(6, ".data", 128)  # the run buffer is the entry's: use .data

    def function(self, name: str, entry: bool, size: int) -> None:
        self.b.place(name)
        self.func_start = len(self.b.items)
        self.prologue(entry)
        self.block(0, size)
        self.b.emit(make("exit"))


def _s32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value >> 31 else value


def generate(seed: int, entries: int = 200, callees: int = 6, size: int = 12) -> Module:
    """Module ``seed``: ``entries`` random programs of up to ``size`` top-level statements
    calling ``callees`` shared functions (which call later ones, and rarely earlier ones)."""
    rng = random.Random(seed)
    builder = Builder()
    names = [f"p{i}" for i in range(entries)]
    callee_names = [f"f{i}" for i in range(callees)]
    gen = _Gen(rng, builder, callee_names)
    for name in names:
        gen.function(name, True, size)
    for index, name in enumerate(callee_names):
        later = callee_names[index + 1:]
        gen.callees = later if rng.random() > 0.15 else callee_names  # sometimes recursion
        gen.function(name, False, max(3, size // 2))
    insns, slots, relocs = builder.finish()
    rodata = bytes(rng.getrandbits(8) for _ in range(RODATA_SIZE))
    data = bytes(rng.getrandbits(8) for _ in range(DATA_SIZE))
    program = Program.from_insns(
        insns, name=f"fuzz-{seed}", names={slots[n]: n for n in names + callee_names}, entry=names[0],
        segments=(Segment(".rodata", rodata, False), Segment(".data", data, True)),
        relocs=tuple(Reloc("code", pc * 8, "imm64", seg, addend) for pc, seg, addend in relocs),
        symbols={})
    return Module(program, tuple(names), seed)


def spec(name: str) -> OpSpec:
    """The opcode-table entry named ``name``."""
    return SPEC[name]
