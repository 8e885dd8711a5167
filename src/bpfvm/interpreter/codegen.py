"""Translate a BPF function into Python source: the interpreter's fast path.

Each BPF function becomes one Python function whose locals are the registers::

    def f_12(r1, r2, r3, r4, r5, r10, n, d, <runtime bindings as defaults>):
        r0 = r6 = r7 = r8 = r9 = 0
        b = 12                          # current basic block (its first slot)
        while True:
            if b == 12:
                n -= 3                  # instruction budget, checked per block
                if n < 0: ...          # budget ends inside the block: run what it allows, trap
                r0 = (r0 + r1) & 0xff…  # the templates of bpfvm.isa.arith, pasted
                if r1 > 5: b = 15; continue
                b = 14
            if b == 14: ...

Blocks are emitted in slot order as a chain of ``if b == K`` tests, so fall-through and forward
jumps cost one comparison per skipped block; every loop (a range of blocks closed by a back
edge) gets its own ``while True`` so a back edge re-tests only the blocks of its loop.  The
function returns ``(r0, n)``.  Registers hold unsigned 64-bit ints; arithmetic comes only from
:mod:`bpfvm.isa.arith`.  Memory accesses check ``lo <= addr <= hi - width`` inline and call the
runtime's slow path (address wrap-around, trap construction) only when that fails.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ProgramError
from ..isa import Insn
from ..isa.arith import ALU_EXPR, END_EXPR, JMP_EXPR, M64, imm64
from ..isa.opcodes import LDDW_FUNC, LDDW_PSEUDO
from ..program import Function, Program
from ..runtime.layout import Layout

__all__ = ["HOOK_CALL", "Layout", "function_source", "program_source"]

_STRUCT = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}
_MASK = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFF_FFFF, 8: M64}
#: Loops nested deeper than this share their enclosing loop's ``while`` (see :func:`_loops`).
_MAX_LOOP_NESTING = 16
_BINDINGS = ("mem", "u16", "u32", "u64", "s8", "s16", "s32", "p16", "p32", "p64", "chk")
_REGS = "r0, r1, r2, r3, r4, r5, r6, r7, r8, r9"
#: The statement a *hooked* function runs before each instruction (the debugger's entry point):
#: ``_hook(pc, depth, r10, r0..r9)`` sees the registers before the instruction at slot ``pc`` and
#: returns r0..r9, possibly changed.  It may raise to end the run.
HOOK_CALL = f"{_REGS} = _hook({{pc}}, d, r10, {_REGS})"


def _blocks(insns: Sequence[Insn], func: Function) -> list[list[Insn]]:
    """Split a function into basic blocks at jump targets and after control transfers."""
    leaders = {func.start}
    for insn in insns:
        kind = insn.spec.kind
        if kind in ("ja", "gotol", "jcond", "may_goto", "exit", "callx") or insn.spec.op == "call_local":
            leaders.add(insn.pc + insn.width)
            if insn.target is not None and kind != "call":
                leaders.add(insn.target)
    blocks: list[list[Insn]] = []
    for insn in insns:
        if insn.pc in leaders or not blocks:
            blocks.append([])
        blocks[-1].append(insn)
    return blocks


def _loops(blocks: list[list[Insn]]) -> list[tuple[int, int]]:
    """Block-index intervals [h, t] closed by back edges, merged into a laminar family."""
    index = {blk[0].pc: i for i, blk in enumerate(blocks)}
    spans: list[tuple[int, int]] = []
    for i, blk in enumerate(blocks):
        for insn in blk:
            target = insn.target
            if target is not None and insn.spec.kind != "call" and index[target] <= i:
                spans.append((index[target], i))
    merged = True
    while merged:  # overlapping-but-not-nested spans become one span
        merged = False
        for x in spans:
            for y in spans:
                if x is not y and x[0] < y[0] <= x[1] < y[1]:
                    spans.remove(x)
                    spans.remove(y)
                    spans.append((x[0], y[1]))
                    merged = True
                    break
            if merged:
                break
    spans = sorted(set(spans), key=lambda s: (s[0], -s[1]))
    # Python allows 20 statically nested blocks: loops nested deeper get no ``while`` of their own,
    # their back edges restart the innermost enclosing loop that has one (which still reaches them).
    return [s for s in spans if sum(o[0] <= s[0] and s[1] <= o[1] for o in spans) <= _MAX_LOOP_NESTING]


class _FunctionWriter:
    """Emits the Python source of one BPF function."""

    def __init__(self, program: Program, func: Function, layout: Layout, hooked: bool = False) -> None:
        self.program = program
        self.hooked = hooked
        self.func = func
        self.layout = layout
        self.lines: list[str] = []
        #: Expression for the instructions left after the one being emitted (for trap counts).
        self.left = "n"
        self.blocks = _blocks(program.function_insns(func), func)
        self.starts = [blk[0].pc for blk in self.blocks]

    # -- structure ---------------------------------------------------------------------------
    def source(self) -> str:
        defaults = ", ".join(f"{name}={name}" for name in _BINDINGS)
        self.emit(0, f"def f_{self.func.start}(r1, r2, r3, r4, r5, r10, n, d, {defaults}):")
        self.emit(1, "r0 = r6 = r7 = r8 = r9 = 0")
        self.emit(1, f"b = {self.func.start}")
        self.emit(1, "while True:")
        self.emit_range(0, len(self.blocks) - 1, None, _loops(self.blocks), 2)
        return "\n".join(self.lines) + "\n"

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def emit_range(self, lo: int, hi: int, loop: tuple[int, int] | None, spans: list[tuple[int, int]],
                   depth: int) -> None:
        """Emit blocks lo..hi; ``loop`` is the innermost enclosing loop span (None: function level)."""
        i = lo
        while i <= hi:
            inner = next((s for s in spans if s[0] == i and s != loop and s[1] <= hi), None)
            if inner is None:
                self.emit_block(i, loop, depth)
                i += 1
                continue
            rest = [s for s in spans if s != inner and inner[0] <= s[0] and s[1] <= inner[1]]
            first, last = self.starts[inner[0]], self.starts[inner[1]]
            self.emit(depth, f"if {first} <= b <= {last}:")
            self.emit(depth + 1, "while True:")
            self.emit_range(inner[0], inner[1], inner, rest, depth + 2)
            self.emit(depth + 2, f"if not {first} <= b <= {last}: break")
            self.emit(depth + 1, f"if b < {first}:")
            if loop is None:
                self.emit(depth + 2, "continue")
            else:
                self.emit(depth + 2, f"if {self.starts[loop[0]]} <= b: continue")
                self.emit(depth + 2, "break")
            i = inner[1] + 1

    def goto(self, target: int, here: int, loop: tuple[int, int] | None) -> str:
        """Statement(s) that transfer control to slot ``target`` from block index ``here``."""
        if target > self.starts[here]:
            if loop is None or target <= self.starts[loop[1]]:
                return f"b = {target}"
            return f"b = {target}; break"
        if loop is None or self.starts[loop[0]] <= target:
            return f"b = {target}; continue"
        return f"b = {target}; break"

    def emit_block(self, i: int, loop: tuple[int, int] | None, depth: int) -> None:
        block = self.blocks[i]
        size = len(block)
        self.emit(depth, f"if b == {block[0].pc}:")
        body = depth + 1
        self.emit(body, f"n -= {size}")
        self.emit(body, "if n < 0:")
        self.emit_budget_tail(block, i, loop, body + 1)
        for idx, insn in enumerate(block):
            self.left = f"n + {size - 1 - idx}" if idx < size - 1 else "n"
            if self.hooked:
                self.emit(body, HOOK_CALL.format(pc=insn.pc))
            for line in self.insn_lines(insn, i, loop):
                self.emit(body, line)
        last = block[-1]
        if last.spec.kind not in ("ja", "gotol", "jcond", "may_goto", "exit"):
            nxt = last.pc + last.width
            if nxt < self.func.end:
                self.emit(body, self.goto(nxt, i, loop))
            else:  # a noreturn call returned (see Program.noreturn_tails)
                self.emit(body, f"_fell_off({last.pc}, n)")

    def emit_budget_tail(self, block: list[Insn], i: int, loop: tuple[int, int] | None, depth: int) -> None:
        """The budget runs out inside this block: run the instructions it still allows, then trap.

        ``n`` (after adding the block back) is how many instructions may still run, fewer than
        the block has; the trap's pc is the first instruction beyond the budget.
        """
        self.emit(depth, f"n += {len(block)}")
        for idx, insn in enumerate(block[:-1]):
            self.emit(depth, f"if n == {idx}: _budget({insn.pc})")
            self.left = f"n - {idx + 1}"
            if self.hooked:
                self.emit(depth, HOOK_CALL.format(pc=insn.pc))
            for line in self.insn_lines(insn, i, loop):
                self.emit(depth, line)
        self.emit(depth, f"_budget({block[-1].pc})")

    # -- instructions ------------------------------------------------------------------------
    def insn_lines(self, insn: Insn, here: int, loop: tuple[int, int] | None) -> list[str]:
        spec = insn.spec
        handler = getattr(self, f"_i_{spec.kind}")
        lines: list[str] = handler(insn, here, loop)
        return lines

    def _operand(self, insn: Insn) -> str:
        return f"r{insn.src}" if insn.spec.source == "reg" else str(imm64(insn.imm))

    def _i_alu(self, insn: Insn, here: int, loop: object) -> list[str]:
        spec = insn.spec
        expr = ALU_EXPR[(spec.op, spec.bits)].format(a=f"r{insn.dst}", b=self._operand(insn))
        return [f"r{insn.dst} = {expr}"]

    def _i_end(self, insn: Insn, here: int, loop: object) -> list[str]:
        return [f"r{insn.dst} = {END_EXPR[insn.spec.op].format(a=f'r{insn.dst}')}"]

    def _address(self, insn: Insn, base: int, size: int, write: bool) -> list[str]:
        """Statements that leave the checked guest address of a memory operand in ``a``.

        An ``r10``-relative operand is checked here, once: inside the current frame it needs no
        run-time check; outside it, reaching the instruction is a stack overflow trap.
        """
        if base == 10:
            if -self.layout.frame_size <= insn.off and insn.off + size <= 0:
                return [f"a = r10 - {-insn.off}"]
            return [f"_stack_overflow({insn.pc}, {insn.off}, {size}, {self.left})"]
        lo = self.layout.write_lo if write else self.layout.read_lo
        hi = self.layout.size - size
        expr = f"r{base}" if insn.off == 0 else f"r{base} {'+' if insn.off > 0 else '-'} {abs(insn.off)}"
        return [f"a = {expr}",
                f"if not {lo} <= a <= {hi}: a = chk(a, {size}, {write}, {insn.pc}, {self.left})"]

    def _load(self, size: int, signed: bool = False) -> str:
        if size == 1:
            return "mem[a]" if not signed else "s8(mem, a)[0] & 0xffffffffffffffff"
        if signed:
            return f"s{size * 8}(mem, a)[0] & 0xffffffffffffffff"
        return f"{_STRUCT[size]}(mem, a)[0]"

    def _store(self, size: int, value: str) -> str:
        if size == 1:
            return f"mem[a] = {value}"
        return f"p{size * 8}(mem, a, {value})"

    def _i_ldx(self, insn: Insn, here: int, loop: object) -> list[str]:
        spec = insn.spec
        return self._address(insn, insn.src, spec.size, False) + [
            f"r{insn.dst} = {self._load(spec.size, spec.signed)}"]

    def _i_st(self, insn: Insn, here: int, loop: object) -> list[str]:
        size = insn.spec.size
        return self._address(insn, insn.dst, size, True) + [
            self._store(size, str(imm64(insn.imm) & _MASK[size]))]

    def _i_stx(self, insn: Insn, here: int, loop: object) -> list[str]:
        size = insn.spec.size
        value = f"r{insn.src}" if size == 8 else f"r{insn.src} & {_MASK[size]:#x}"
        return self._address(insn, insn.dst, size, True) + [self._store(size, value)]

    def _i_atomic(self, insn: Insn, here: int, loop: object) -> list[str]:
        spec = insn.spec
        size, bits, mask = spec.size, spec.bits, f"{_MASK[spec.size]:#x}"
        lines = self._address(insn, insn.dst, size, True)
        lines.append(f"old = {self._load(size)}")
        src = f"r{insn.src}"
        if spec.op == "cmpxchg":
            lines.append(f"if old == r0 & {mask}: {self._store(size, f'{src} & {mask}')}")
            lines.append("r0 = old")
            return lines
        if spec.op == "xchg":
            lines.append(self._store(size, f"{src} & {mask}"))
        else:
            lines.append(self._store(size, ALU_EXPR[(spec.op, bits)].format(a="old", b=src) + f" & {mask}"))
        if spec.fetch:
            lines.append(f"{src} = old")
        return lines

    def _i_lddw(self, insn: Insn, here: int, loop: object) -> list[str]:
        if insn.src == 0:
            return [f"r{insn.dst} = {insn.imm64}"]
        if insn.src == LDDW_FUNC:
            return [f"r{insn.dst} = {self.layout.code_base + 8 * (insn.pc + 1 + insn.imm)}"]
        raise ProgramError(f"lddw of a {LDDW_PSEUDO[insn.src]} needs maps, which this VM does not provide",
                           insn.pc)

    def _i_ldabs(self, insn: Insn, here: int, loop: object) -> list[str]:
        return [f"r0 = _ldpkt({insn.imm}, {insn.spec.size}, {insn.pc}, {self.left})"]

    def _i_ldind(self, insn: Insn, here: int, loop: object) -> list[str]:
        return [f"r0 = _ldpkt(r{insn.src} + {insn.imm}, {insn.spec.size}, {insn.pc}, {self.left})"]

    def _i_ja(self, insn: Insn, here: int, loop: tuple[int, int] | None) -> list[str]:
        return [self.goto(insn.pc + 1 + insn.off, here, loop)]

    def _i_gotol(self, insn: Insn, here: int, loop: tuple[int, int] | None) -> list[str]:
        return [self.goto(insn.pc + 1 + insn.imm, here, loop)]

    def _i_jcond(self, insn: Insn, here: int, loop: tuple[int, int] | None) -> list[str]:
        spec = insn.spec
        cond = JMP_EXPR[(spec.op, spec.bits)].format(a=f"r{insn.dst}", b=self._operand(insn))
        return self._branch(cond, insn.pc + 1 + insn.off, insn.pc + 1, here, loop)

    def _branch(self, cond: str, taken: int, fallthrough: int, here: int,
                loop: tuple[int, int] | None) -> list[str]:
        lines = [f"if {cond}: {self.goto(taken, here, loop)}"]
        if fallthrough < self.func.end:
            lines.append(f"else: {self.goto(fallthrough, here, loop)}")
        return lines

    def _i_may_goto(self, insn: Insn, here: int, loop: tuple[int, int] | None) -> list[str]:
        return self._branch("not _may_goto()", insn.pc + 1 + insn.off, insn.pc + 1, here, loop)

    def _i_exit(self, insn: Insn, here: int, loop: object) -> list[str]:
        return ["return r0, n"]

    def _i_call(self, insn: Insn, here: int, loop: object) -> list[str]:
        op = insn.spec.op
        if insn.pc in self.program.externs:
            return [f"r0 = _intrinsic({insn.pc}, {self.left}, r10, d, r1, r2, r3, r4, r5)"]
        if op == "call":
            return [f"r0 = _helper({insn.imm}, {insn.pc}, {self.left}, r10, d, r1, r2, r3, r4, r5)"]
        if op == "call_kfunc":
            raise ProgramError(f"kfunc call (BTF id {insn.imm}) is not supported", insn.pc)
        target = insn.pc + 1 + insn.imm
        frame = self.layout.frame_size
        return [f"if d >= {self.layout.max_depth - 1}: _depth({insn.pc}, n)",
                f"r0, n = f_{target}(r1, r2, r3, r4, r5, r10 - {frame}, n, d + 1)"]

    def _i_callx(self, insn: Insn, here: int, loop: object) -> list[str]:
        reg = insn.dst or insn.imm
        return [f"r0, n = _callx(r{reg}, {insn.pc}, r1, r2, r3, r4, r5, r10 - {self.layout.frame_size},"
                f" n, d)"]


def function_source(program: Program, func: Function, layout: Layout, *, hooked: bool = False) -> str:
    """Python source of one BPF function (see the module docstring).

    ``hooked`` code calls ``_hook`` before every instruction (:data:`HOOK_CALL`); the
    instructions themselves are generated exactly as in the fast path.
    """
    return _FunctionWriter(program, func, layout, hooked).source()


def program_source(program: Program, layout: Layout, *, hooked: bool = False) -> str:
    """Python source of every function of ``program`` (``hooked``: see :func:`function_source`)."""
    return "\n".join(function_source(program, f, layout, hooked=hooked) for f in program.functions.values())
