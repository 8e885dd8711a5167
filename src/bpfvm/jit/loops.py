"""Loop versioning: which range checks of a loop can be proven once, before the loop runs.

A *simple loop* is one BPF basic block that jumps back to its own first instruction (the shape
clang gives inner loops: ``*(u8 *)(r8 + 0) = 1; r7 += r4; r8 += r4; if r7 s< r1 goto -4``).
One symbolic pass over the block gives every register as an affine form over the registers'
values on entry to an iteration (:class:`Affine`); from it:

* **invariant** registers come out unchanged, **induction** registers as themselves plus a step
  that only involves invariant registers — so in iteration ``k`` an induction register holds
  ``r0 + step * k`` (mod 2^64; one definition per iteration, as the block has no branch);
* an access whose address is an affine form over those registers has address ``A + S * k``;
* the back edge compares an induction form with an invariant one, which bounds the number of
  iterations (:class:`Bound`).

The JIT (:meth:`bpfvm.jit.lower._Lowerer.lower_versioned`) evaluates, on entry to the loop, the
iteration count and each such address at the first and the last iteration, in 128-bit
arithmetic: an affine function is monotone, so its extremes are its end points, and end points
inside the sandbox mean every iteration's address is.  When every check passes it runs a copy
of the loop without those checks, otherwise the loop as it is: traps (kind, pc), budget and
results are the interpreter's either way, since the check-free copy only runs when none of the
checks it leaves out can fail.

The analysis is exact modular arithmetic on forms, engine-neutral; value ranges (tnums and
bounds) for straight-line code are the verifier's (``bpfvm.analysis``), this module only adds
what loops need: induction variables and trip counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..isa import Insn
from ..isa.arith import imm64

__all__ = ["Access", "Affine", "Bound", "LoopPlan", "plan"]

_M64 = (1 << 64) - 1
#: Largest coefficient a form may carry (keeps the guard's 128-bit arithmetic exact).
_COEF_LIMIT = 1 << 16
#: The back edge's comparison with the induction form on the left, by the mirrored one.
_MIRROR = {"jlt": "jgt", "jgt": "jlt", "jle": "jge", "jge": "jle", "jslt": "jsgt", "jsgt": "jslt",
           "jsle": "jsge", "jsge": "jsle", "jne": "jne"}


def _signed(value: int) -> int:
    value &= _M64
    return value - (1 << 64) if value >> 63 else value


@dataclass(frozen=True)
class Affine:
    """``const + Σ coef * r`` over the registers' values on entry to an iteration."""

    const: int
    terms: tuple[tuple[int, int], ...] = ()  #: (register, coefficient), sorted, no zero

    @staticmethod
    def reg(r: int) -> Affine:
        return Affine(0, ((r, 1),))

    @staticmethod
    def of(const: int, terms: dict[int, int]) -> Affine | None:
        """The form, or None when a coefficient is too large to keep exact."""
        kept = {r: _signed(c) for r, c in terms.items() if c & _M64}
        if any(abs(c) > _COEF_LIMIT for c in kept.values()):
            return None
        return Affine(_signed(const), tuple(sorted(kept.items())))

    def registers(self) -> Iterator[int]:
        return (r for r, _ in self.terms)

    def add(self, other: Affine, sign: int = 1) -> Affine | None:
        terms = dict(self.terms)
        for r, c in other.terms:
            terms[r] = terms.get(r, 0) + sign * c
        return Affine.of(self.const + sign * other.const, terms)

    def scale(self, factor: int) -> Affine | None:
        return Affine.of(self.const * factor, {r: c * factor for r, c in self.terms})


@dataclass(frozen=True)
class Access:
    """A memory access of the loop at ``pc`` whose address is ``address`` (an affine form)."""

    pc: int
    address: Affine
    size: int
    write: bool


@dataclass(frozen=True)
class Bound:
    """The back edge: the loop goes on while ``value op limit`` (``value`` moves, ``limit`` not)."""

    op: str
    value: Affine
    limit: Affine


@dataclass(frozen=True)
class LoopPlan:
    """What the guard of a simple loop checks (see the module docstring)."""

    head: int
    steps: dict[int, Affine]  #: induction register → its step (over invariant registers)
    bound: Bound
    accesses: tuple[Access, ...]

    @property
    def pcs(self) -> frozenset[int]:
        """The accesses the check-free copy runs without their own check."""
        return frozenset(a.pc for a in self.accesses)


_Regs = list[Affine | None]


def _alu(insn: Insn, regs: _Regs) -> Affine | None:
    """The form ``insn`` (64-bit ALU) leaves in its destination, or None (not affine)."""
    spec, dst = insn.spec, regs[insn.dst]
    src = regs[insn.src] if spec.source == "reg" else Affine(imm64(insn.imm))
    if spec.bits != 64 or src is None:
        return None
    if spec.op == "mov":
        return src
    if dst is None:
        return None
    if spec.op in ("add", "sub"):
        return dst.add(src, 1 if spec.op == "add" else -1)
    if spec.op == "neg":
        return dst.scale(-1)
    if spec.op in ("mul", "lsh") and not src.terms:
        factor = src.const if spec.op == "mul" else 1 << (src.const & 63)
        return dst.scale(factor)
    return None


def _access(insn: Insn) -> tuple[int, bool] | None:
    """(base register, write) of a memory instruction, else None."""
    kind = insn.spec.kind
    if kind == "ldx":
        return insn.src, False
    if kind in ("st", "stx", "atomic"):
        return insn.dst, True
    return None


def _clobbered(insn: Insn) -> tuple[int, ...]:
    """Registers an instruction sets to values the analysis does not follow."""
    kind, spec = insn.spec.kind, insn.spec
    if kind == "call":
        return (0, 1, 2, 3, 4, 5)
    if kind == "ldx" or kind == "end":
        return (insn.dst,)
    if kind == "atomic":
        if spec.op == "cmpxchg":
            return (0,)
        return (insn.src,) if spec.fetch else ()
    return ()


_FOLLOWED = ("alu", "end", "ldx", "st", "stx", "atomic", "lddw", "call")


def _execute(body: list[Insn]) -> tuple[_Regs, list[Access]] | None:
    """The registers after one pass over ``body`` and its accesses' address forms."""
    regs: _Regs = [Affine.reg(r) for r in range(11)]
    accesses = []
    for insn in body:
        kind = insn.spec.kind
        if kind not in _FOLLOWED or (kind == "call" and insn.spec.op != "call"):
            return None
        where = _access(insn)
        if where is not None and where[0] != 10:
            base = regs[where[0]]
            address = base.add(Affine(insn.off)) if base is not None else None
            if address is not None:
                accesses.append(Access(insn.pc, address, insn.spec.size, where[1]))
        if kind == "alu":
            regs[insn.dst] = _alu(insn, regs)
        elif kind == "lddw":
            regs[insn.dst] = Affine.of(insn.imm64, {}) if insn.src == 0 else None
        for r in _clobbered(insn):
            regs[r] = None
    return regs, accesses


def _classify(regs: _Regs) -> tuple[set[int], dict[int, Affine]]:
    """(invariant registers, induction register → step) from the registers after an iteration."""
    invariant = {r for r in range(11) if regs[r] == Affine.reg(r)}
    steps = {}
    for r in range(10):
        out = regs[r]
        if out is None or r in invariant:
            continue
        step = out.add(Affine.reg(r), -1)
        if step is not None and set(step.registers()) <= invariant:
            steps[r] = step
    return invariant, steps


def _bound(last: Insn, regs: _Regs, known: set[int], steps: dict[int, Affine]) -> Bound | None:
    spec = last.spec
    if spec.kind != "jcond" or spec.bits != 64 or spec.op not in _MIRROR:
        return None
    left = regs[last.dst]
    right = regs[last.src] if spec.source == "reg" else Affine(imm64(last.imm))
    if left is None or right is None or not set(left.registers()) | set(right.registers()) <= known:
        return None
    moves = [any(r in steps for r in form.registers()) for form in (left, right)]
    if moves == [True, False]:
        return Bound(spec.op, left, right)
    if moves == [False, True]:
        return Bound(_MIRROR[spec.op], right, left)
    return None


def plan(block: list[Insn]) -> LoopPlan | None:
    """The versioning plan of ``block`` if it is a simple loop with accesses to prove, else None."""
    last = block[-1]
    if last.spec.kind != "jcond" or last.target != block[0].pc:
        return None
    executed = _execute(block[:-1])
    if executed is None:
        return None
    regs, accesses = executed
    invariant, steps = _classify(regs)
    known = invariant | set(steps)
    bound = _bound(last, regs, known, steps)
    proven = tuple(a for a in accesses if set(a.address.registers()) <= known)
    if bound is None or not proven:
        return None
    return LoopPlan(block[0].pc, steps, bound, proven)
