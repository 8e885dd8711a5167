"""Lift BPF functions to LLVM IR (llvmlite): the JIT's code generator.

Every BPF function becomes one LLVM function (ABI of :data:`FUNC_ARGS`)::

    i64 f_<start>(ptr mem, ptr ctx, i64 r1, i64 r2, i64 r3, i64 r4, i64 r5, i64 r10, i64 depth)

``mem`` is the host address of guest address 0 (guest address = offset, see
:mod:`bpfvm.memory`); ``ctx`` is an array of u64 shared with the Python side (slots
:data:`CTX_LEFT` … :data:`CTX_EXTRA`).  The function returns r0.  A run ends early when
``ctx[CTX_STATUS]`` is not :attr:`Status.OK`: the function that traps stores the status, pc,
address and budget left and returns; every caller checks the status after a call and returns at
once, so the Python side sees the trap as soon as the outermost function returns.

A CFG pre-pass (the interpreter's ``bpfvm.interpreter.codegen._blocks``) gives one LLVM
block per BPF basic block.  Registers r0–r9 and the budget counter live in allocas that mem2reg
promotes; the budget is loaded from ``ctx[CTX_LEFT]`` on entry and stored back before every
call, trap and return.  Budget semantics are the interpreter's: a block subtracts its length on
entry; when that goes negative a slow copy of the block (the *tail*) runs the instructions the
budget still allows and traps ``BUDGET`` at the first one beyond it.  The host hands the
budget out in slices: at the function entry, loop heads and after calls the slice is topped
up through the host callback when low (:meth:`_Lowerer.refill`), which is how a long native
run gets back to Python to check its timeout and see Ctrl-C.

Helpers, intrinsics, ``callx``, legacy packet loads and ``may_goto`` call one host callback
(``kind | pc << 8`` → r0; argument, budget left, r1..r5, r10 and depth in ctx from
:data:`CTX_CALL`, see :func:`host_call`): an external symbol that the JIT linker resolves to
a ctypes thunk.  Calls bound to bpfvm's libc hot paths — float arithmetic, ``<math.h>``,
``<string.h>`` — are native code instead (:mod:`.native`; a string function whose checks
fail falls back to the callback).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from llvmlite import ir
from llvmlite.ir import _utils

from ..errors import ProgramError
from ..interpreter.codegen import _blocks as blocks
from ..interpreter.codegen import setjmp_resumes
from ..isa import Insn
from ..isa.arith import imm64
from ..isa.opcodes import LDDW_FUNC, LDDW_PSEUDO
from ..program import Function, Program
from ..runtime.layout import Layout
from . import loops, options
from .native import Natives

__all__ = [
    "CALLBACK_ARGS",
    "CTX_ADDR",
    "CTX_CALL",
    "CTX_EXTRA",
    "CTX_LEFT",
    "CTX_PC",
    "CTX_SLOTS",
    "CTX_STATUS",
    "FUNC_ARGS",
    "Callback",
    "Status",
    "function_name",
    "program_module",
]

#: ctx slots: budget left, status, trap pc, trap address, trap detail (access size | write<<8,
#: or the r10 offset of a stack overflow).
CTX_LEFT, CTX_STATUS, CTX_PC, CTX_ADDR, CTX_EXTRA = range(5)
#: ctx slots of the host callback's arguments (:data:`CALLBACK_ARGS` of them from here): argument,
#: budget left, r1..r5, r10, depth.  Native code stores them and passes the callback one word,
#: ``kind | pc << 8``: a ctypes callback costs ~70 ns per argument it converts.
CTX_CALL = 8
CALLBACK_ARGS = 9
CTX_SLOTS = CTX_CALL + CALLBACK_ARGS
_TRAP_SLOTS = (CTX_STATUS, CTX_PC, CTX_LEFT, CTX_ADDR, CTX_EXTRA)
#: Number of arguments of a lifted function.
FUNC_ARGS = 9


class Status(enum.IntEnum):
    """Why native code returned early (``ctx[CTX_STATUS]``)."""

    OK = 0
    MEMORY = 1  #: access check failed: ctx holds pc, address, size | write << 8
    BUDGET = 2  #: instruction budget exhausted at pc
    STACK_OVERFLOW = 3  #: r10-relative access outside the frame: ctx holds pc, offset, size
    CALL_DEPTH = 4  #: too many nested frames at pc
    FELL_OFF = 5  #: a noreturn call returned at pc
    PENDING = 6  #: a Python exception is stashed on the host side
    #: ``longjmp``: ctx holds the target frame's r10 (addr), resume slot (pc), value (extra)
    #: and the budget left; functions calling setjmp catch it (:meth:`_Lowerer.unwind_block`)
    LONGJMP = 7


class Callback(enum.IntEnum):
    """What the host callback is asked to do (its first argument)."""

    HELPER = 1  #: argument: helper id
    INTRINSIC = 2  #: argument: pc of the extern call
    CALLX = 3  #: argument: target address; r10 is the callee's frame; ctx[CTX_LEFT] is updated
    LDPKT = 4  #: argument: packet offset; r1: access size
    MAY_GOTO = 5  #: returns 1 while iterations are left
    REFILL = 6  #: argument: instructions needed; budget slice low before block pc: returns new left


I64 = ir.IntType(64)
I32 = ir.IntType(32)
I8 = ir.IntType(8)
PTR = ir.PointerType()
FUNC_TYPE = ir.FunctionType(I64, [PTR, PTR] + [I64] * (FUNC_ARGS - 2))
CALLBACK_TYPE = ir.FunctionType(I64, [I64])
#: A pointer to a lifted function (typed, so that llvmlite can call through it; printed ``ptr``).
_FUNC_PTR = ir.PointerType(FUNC_TYPE)
#: The module global holding every lifted function's address by slot (native ``callx``).
_FUNCTION_TABLE = "bpfvm.functions"

_CMP = {"jeq": "==", "jne": "!=", "jgt": ">", "jge": ">=", "jlt": "<", "jle": "<=",
        "jsgt": ">", "jsge": ">=", "jslt": "<", "jsle": "<="}
#: Calling convention of the budget refill: the callee saves (almost) every register.
_REFILL_CC = "preserve_mostcc"
_TERMINATORS = ("ja", "gotol", "jcond", "may_goto", "exit")
#: Instruction kinds without effects beyond their registers (no memory, no calls, no traps).
_PURE = ("alu", "end", "lddw")


def function_name(start: int) -> str:
    """Symbol of the lifted function whose first slot is ``start``."""
    return f"f_{start}"


class _Scope(_utils.NameScope):
    """llvmlite's name scope, with a fast path for unnamed values (most of them): its generic
    de-duplication was a third of the lowering time of a large program."""

    def __init__(self, previous: _utils.NameScope) -> None:
        super().__init__()
        self._useset = set(previous._useset)
        self._basenamemap = previous._basenamemap.copy()
        self.unnamed = self._basenamemap[""]

    def register(self, name: str, deduplicate: bool = False) -> str:
        if name or not deduplicate:
            return str(super().register(name, deduplicate))
        self.unnamed += 1
        return f".{self.unnamed}"


def weigh(branch: ir.Instruction, taken: int, other: int) -> ir.Instruction:
    """``branch`` with branch weights, one metadata node per module and pair (llvmlite's
    ``set_weights`` builds and hashes a new one every time)."""
    module = branch.module
    cache = module.__dict__.setdefault("_bpfvm_weights", {})
    node = cache.get((taken, other))
    if node is None:
        node = cache[(taken, other)] = module.add_metadata(
            [ir.MetaDataString(module, "branch_weights"), ir.Constant(I32, taken), ir.Constant(I32, other)])
    branch.set_metadata("prof", node)
    return branch


def _const(value: int, ty: ir.IntType = I64) -> ir.Constant:
    return ir.Constant(ty, value & ((1 << ty.width) - 1))


class _Lowerer:
    """Emits the LLVM body of one BPF function."""

    def __init__(self, program: Program, func: Function, layout: Layout, functions: dict[int, ir.Function],
                 callback: ir.Function, natives: Natives | None = None) -> None:
        self.program = program
        self.func = func
        self.layout = layout
        self.functions = functions
        self.callback = callback
        self.natives = natives
        self.fn = functions[func.start]
        self.mem, self.ctx, *args = self.fn.args
        self.args: list[ir.Argument] = args
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.regs = [self.b.alloca(I64, name=f"r{i}") for i in range(10)]
        self.n = self.b.alloca(I64, name="n")
        #: Slots a longjmp resumes at, each with r6-r9 as its setjmp left them (allocas).
        self.resumes = {pc: [self.b.alloca(I64, name=f"sj{pc}.r{r}") for r in range(6, 10)]
                        for pc in sorted(setjmp_resumes(program, func))}
        self.bblocks = blocks(program.function_insns(func), func, frozenset(self.resumes))
        self.labels = {blk[0].pc: self.fn.append_basic_block(f"b{blk[0].pc}") for blk in self.bblocks}
        self.bail = self.fn.append_basic_block("bail")
        #: Where a failed status check goes: straight out, or first to the longjmp landing.
        self.unwind = self.unwind_block() if self.resumes else self.bail
        #: First slots of the blocks that check the budget slice (see :meth:`refill`): the entry,
        #: loop heads (every cycle has a jump back in address order) and blocks after calls.
        #: Without ``layout.interruptible`` loop heads are left out: the whole budget is one
        #: slice then, so only calls can need more (see :meth:`refill`).
        loop_heads = {
            insn.target for blk in self.bblocks for insn in blk
            if insn.target is not None and insn.spec.kind != "call" and insn.target <= insn.pc}
        self.refill_points = {func.start} | (loop_heads if layout.interruptible else set()) | {
            blk[-1].pc + blk[-1].width for blk in self.bblocks
            if blk[-1].spec.kind == "callx" or blk[-1].spec.op == "call_local"}
        self.labels_made = 0
        self.shared_trap: ir.Block | None = None
        self.trap_phis: list[ir.PhiInstr] = []
        #: Offset of the budget left after the instruction being lowered, relative to ``n``.
        self.delta = 0
        #: While a check-free loop copy is lowered: the accesses proven in bounds, and where its
        #: back edge goes (see :meth:`lower_versioned`).
        self.unchecked: frozenset[int] = frozenset()
        self.retarget: dict[int, ir.Block] = {}

    # -- structure ---------------------------------------------------------------------------
    def lower(self) -> None:
        b = self.b
        for i in range(10):
            b.store(self.args[i - 1] if 1 <= i <= 5 else _const(0), self.regs[i])
        b.store(self.ctx_load(CTX_LEFT), self.n)
        b.branch(self.labels[self.func.start])
        b.position_at_end(self.bail)
        b.ret(_const(0))
        versioning = options.enabled("loop_versioning")
        for blk in self.bblocks:
            plan = loops.plan(blk) if versioning else None
            if plan is None:
                self.lower_block(blk)
            else:
                self.lower_versioned(blk, plan)
        for block in self.fn.blocks:  # the dead blocks after unconditional traps
            if not block.is_terminated:
                b.position_at_end(block)
                b.unreachable()

    def lower_versioned(self, blk: list[Insn], plan: loops.LoopPlan) -> None:
        """A simple loop twice: without the checks of ``plan``'s accesses when its guard proves
        them in bounds for every iteration the loop can run, else as usual (:mod:`.loops`)."""
        b, head = self.b, blk[0].pc
        checked, fast = self.new_block(f"b{head}.checked"), self.new_block(f"b{head}.unchecked")
        b.position_at_end(self.labels[head])
        b.cbranch(self.version_guard(plan), fast, checked)
        self.retarget = {head: checked}
        self.lower_block(blk, checked)
        self.retarget, self.unchecked = {head: fast}, plan.pcs
        self.lower_block(blk, fast)
        self.retarget, self.unchecked = {}, frozenset()

    def version_guard(self, plan: loops.LoopPlan) -> ir.Value:
        """On entry to the loop: whether every access of ``plan`` stays in bounds in every
        iteration (the iteration count from the back edge, addresses at its ends; 128-bit)."""
        g = _Guard(self.b, [self.reg(r) for r in range(11)], plan.steps)
        trips, ok = g.trips(plan.bound)
        for access in plan.accesses:
            lo = self.layout.write_lo if access.write else self.layout.read_lo
            first = g.at_entry(access.address)
            last = self.b.add(first, self.b.mul(g.slope(access.address), trips))
            ok = g.all(ok, g.within(first, lo, self.layout.size - access.size),
                       g.within(last, lo, self.layout.size - access.size))
        return ok

    def lower_block(self, blk: list[Insn], entry: ir.Block | None = None) -> None:
        b, size = self.b, len(blk)
        b.position_at_end(entry or self.labels[blk[0].pc])
        body = self.fn.append_basic_block(f"b{blk[0].pc}.body")
        # Unbounded runs never exhaust the budget (every refill point gets what the function
        # may spend before the next one): no tail, no check outside refill points.
        tail = self.fn.append_basic_block(f"b{blk[0].pc}.tail") if self.layout.bounded else None
        if blk[0].pc in self.refill_points:
            self.refill(blk, body, tail)
        else:
            n = b.sub(b.load(self.n), _const(size))
            b.store(n, self.n)
            if tail is None:
                b.branch(body)
            else:
                weigh(b.cbranch(b.icmp_signed("<", n, _const(0)), tail, body), 1, 99)
        b.position_at_end(body)
        for idx, insn in enumerate(blk):
            self.delta = size - 1 - idx
            self.lower_insn(insn)
        self.fall_through(blk[-1])
        if tail is not None:
            b.position_at_end(tail)
            self.lower_tail(blk)

    def lower_tail(self, blk: list[Insn]) -> None:
        """The budget ends inside this block: run what it allows, trap at the first pc beyond.

        Register-only instructions leave nothing observable after a trap, so only instructions
        with effects (memory, calls, traps) are guarded by ``n <= idx``; the pc of the trap is
        that of instruction ``n`` of the block, computed from ``n``.
        """
        b = self.b
        n = b.add(b.load(self.n), _const(len(blk)))
        b.store(n, self.n)
        pc = self.block_pc(blk, n)
        for idx, insn in enumerate(blk[:-1]):
            if insn.spec.kind not in _PURE:
                self.delta = 0
                stop = b.icmp_signed("<=", n, _const(idx))
                self.trap_if(stop, Status.BUDGET, 0, left=_const(0), pc_value=pc)
            self.delta = -(idx + 1)
            self.lower_insn(insn)
        self.trap(Status.BUDGET, 0, left=_const(0), pc_value=pc)

    def refill(self, blk: list[Insn], body: ir.Block, tail: ir.Block | None) -> None:
        """Budget check of a refill point: below ``need`` left, the host extends the slice.

        The host hands the budget out in slices (Callback.REFILL), so a long run returns to
        Python regularly — where timeouts are checked and Ctrl-C is seen.  Refill points are
        the function entry, loop heads and the blocks after calls: every path between two of
        them runs at most ``need`` (the function's slot count) instructions, so elsewhere the
        budget check fails only when the whole budget is spent, and traps exactly as before.
        The check costs what the plain one does: one compare, the subtraction after it.
        """
        b, size = self.b, len(blk)
        need = self.func.end - self.func.start
        refill = self.fn.append_basic_block(f"b{blk[0].pc}.refill")
        fast = self.fn.append_basic_block(f"b{blk[0].pc}.fast")
        left = b.load(self.n)
        weigh(b.cbranch(b.icmp_signed("<", left, _const(need)), refill, fast), 1, 99)
        b.position_at_end(fast)
        b.store(b.sub(left, _const(size)), self.n)
        b.branch(body)
        b.position_at_end(refill)
        more = b.call(self.refill_function(), [_const(blk[0].pc), left, _const(need), self.args[6], self.ctx],
                      cconv=_REFILL_CC)
        self.check_status()
        n = b.sub(more, _const(size))
        b.store(n, self.n)
        if tail is None:
            b.branch(body)
        else:
            b.cbranch(b.icmp_signed("<", n, _const(0)), tail, body)

    def refill_function(self) -> ir.Function:
        """``bpfvm.refill(pc, left, need, depth)``: the host callback behind a calling convention
        that preserves the caller's registers, so the rare call costs the loop around it nothing."""
        module = self.fn.module
        name = "bpfvm.refill"
        if name in module.globals:
            fn: ir.Function = module.globals[name]
            return fn
        fn = ir.Function(module, ir.FunctionType(I64, [I64] * 4 + [PTR]), name)
        fn.linkage, fn.calling_convention = "internal", _REFILL_CC
        fn.attributes.add("noinline")
        fn.attributes.add("cold")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        pc, left, need, depth, ctx = fn.args
        zero = _const(0)
        b.ret(host_call(b, self.callback, ctx, Callback.REFILL, pc,
                        [need, left, zero, zero, zero, zero, zero, zero, depth]))
        return fn

    def unwind_block(self) -> ir.Block:
        """The landing of a function calling setjmp: a LONGJMP status aimed at this frame (its
        r10) and one of its resume slots clears the status and resumes there, with r0 = the
        value, the budget left at the longjmp and r6-r9 restored; any other status returns."""
        b = self.b
        here = b.block
        land = self.fn.append_basic_block("longjmp")
        b.position_at_end(land)
        ours = b.and_(b.icmp_unsigned("==", self.ctx_load(CTX_STATUS), _const(Status.LONGJMP)),
                      b.icmp_unsigned("==", self.ctx_load(CTX_ADDR), self.args[5]))
        pick = self.fn.append_basic_block("longjmp.resume")
        b.cbranch(ours, pick, self.bail)
        b.position_at_end(pick)
        switch = b.switch(self.ctx_load(CTX_PC), self.bail)
        for pc, saved in self.resumes.items():
            block = self.fn.append_basic_block(f"longjmp.{pc}")
            switch.add_case(_const(pc), block)
            b.position_at_end(block)
            self.ctx_store(CTX_STATUS, _const(Status.OK))
            self.set_reg(0, self.ctx_load(CTX_EXTRA))
            b.store(self.ctx_load(CTX_LEFT), self.n)
            for r, slot in zip(range(6, 10), saved, strict=True):
                self.set_reg(r, b.load(slot))
            b.branch(self.labels[pc])
        b.position_at_end(here)
        return land

    def block_pc(self, blk: list[Insn], n: ir.Value) -> ir.Value:
        """The pc of instruction ``n`` of ``blk`` (slots differ from indices after an lddw)."""
        pcs = [insn.pc for insn in blk]
        if pcs == list(range(pcs[0], pcs[0] + len(pcs))):
            return self.b.add(n, _const(pcs[0]))
        table_type = ir.ArrayType(I64, len(pcs))
        name = f"pcs{pcs[0]}.{self.fn.name}"
        table = self.fn.module.globals.get(name)  # a versioned loop's two copies share it
        if table is None:
            table = ir.GlobalVariable(self.fn.module, table_type, name)
            table.global_constant, table.linkage = True, "private"
            table.initializer = ir.Constant(table_type, pcs)
        return self.b.load(self.b.gep(table, [_const(0), n], source_etype=table_type), typ=I64)

    def fall_through(self, last: Insn) -> None:
        if last.spec.kind in _TERMINATORS:
            return
        nxt = last.pc + last.width
        if nxt < self.func.end:
            self.b.branch(self.labels[nxt])
        else:  # a noreturn call returned (see Program.noreturn_tails)
            self.trap(Status.FELL_OFF, last.pc)

    def new_block(self, kind: str) -> ir.Block:
        """A fresh LLVM block, uniquely named (llvmlite's name de-duplication is quadratic)."""
        self.labels_made += 1
        return self.fn.append_basic_block(f"{kind}{self.labels_made}")

    def goto(self, target: int) -> ir.Block:
        return self.retarget.get(target) or self.labels[target]

    # -- helpers -----------------------------------------------------------------------------
    def ctx_slot(self, slot: int) -> ir.Value:
        return self.b.gep(self.ctx, [_const(slot)], source_etype=I64)

    def ctx_load(self, slot: int) -> ir.Value:
        return self.b.load(self.ctx_slot(slot), typ=I64)

    def ctx_store(self, slot: int, value: ir.Value) -> None:
        self.b.store(value, self.ctx_slot(slot))

    def left(self) -> ir.Value:
        """Budget left after the current instruction."""
        return self.b.add(self.b.load(self.n), _const(self.delta))

    def reg(self, r: int) -> ir.Value:
        return self.args[5] if r == 10 else self.b.load(self.regs[r])

    def set_reg(self, r: int, value: ir.Value) -> None:
        self.b.store(value, self.regs[r])

    def operand(self, insn: Insn) -> ir.Value:
        return self.reg(insn.src) if insn.spec.source == "reg" else _const(imm64(insn.imm))

    def trap_values(self, status: Status, pc: int, left: ir.Value | None, addr: ir.Value | None,
                    extra: int, pc_value: ir.Value | None = None) -> list[ir.Value]:
        """The ctx values of a trap (in :data:`_TRAP_SLOTS` order), computed in the current block."""
        return [_const(status), pc_value if pc_value is not None else _const(pc),
                left if left is not None else self.left(), addr if addr is not None else _const(0),
                _const(extra)]

    def trap_block(self, values: list[ir.Value]) -> ir.Block:
        """The function's one trap block (phis → ctx, return), entered from the current block."""
        if self.shared_trap is None:
            here = self.b.block
            self.shared_trap = self.new_block("trap")
            self.b.position_at_end(self.shared_trap)
            self.trap_phis = [self.b.phi(I64) for _ in _TRAP_SLOTS]
            for slot, phi in zip(_TRAP_SLOTS, self.trap_phis):
                self.ctx_store(slot, phi)
            self.b.ret(_const(0))
            self.b.position_at_end(here)
        for phi, value in zip(self.trap_phis, values):
            phi.add_incoming(value, self.b.block)
        return self.shared_trap

    def trap(self, status: Status, pc: int, *, left: ir.Value | None = None, addr: ir.Value | None = None,
             extra: int = 0, pc_value: ir.Value | None = None) -> None:
        """Trap here; code after it goes to a fresh (dead) block."""
        self.b.branch(self.trap_block(self.trap_values(status, pc, left, addr, extra, pc_value)))
        self.b.position_at_end(self.new_block("dead"))

    def trap_if(self, cond: ir.Value, status: Status, pc: int, *, left: ir.Value | None = None,
                addr: ir.Value | None = None, extra: int = 0, pc_value: ir.Value | None = None) -> None:
        good = self.new_block("ok")
        bad = self.trap_block(self.trap_values(status, pc, left, addr, extra, pc_value))
        weigh(self.b.cbranch(cond, bad, good), 1, 99)
        self.b.position_at_end(good)

    def check_status(self) -> None:
        """After a call: return at once when the callee left a trap or pending exception."""
        b = self.b
        good = self.new_block("ok")
        failed = b.icmp_unsigned("!=", self.ctx_load(CTX_STATUS), _const(0))
        weigh(b.cbranch(failed, self.unwind, good), 1, 99)
        b.position_at_end(good)

    def call_host(self, kind: Callback, arg: ir.Value, pc: int, regs: Sequence[ir.Value],
                  r10: ir.Value | None = None, left: ir.Value | None = None) -> ir.Value:
        args = [arg, left if left is not None else self.left(), *regs,
                r10 if r10 is not None else self.reg(10), self.args[6]]
        result = host_call(self.b, self.callback, self.ctx, kind, pc, args)
        self.check_status()
        return result

    def args_r1_r5(self) -> list[ir.Value]:
        return [self.reg(r) for r in range(1, 6)]

    # -- instructions ------------------------------------------------------------------------
    def lower_insn(self, insn: Insn) -> None:
        handler: Callable[[Insn], None] = getattr(self, f"_i_{insn.spec.kind}")
        handler(insn)

    def _i_alu(self, insn: Insn) -> None:
        spec = insn.spec
        ty = ir.IntType(spec.bits)
        a, b = self.reg(insn.dst), self.operand(insn)
        if spec.bits == 32:
            a, b = self.b.trunc(a, ty), self.b.trunc(b, ty)
        value = _ALU[spec.op](self.b, a, b) if spec.op in _ALU else _movsx(self.b, spec.op, b, ty)
        self.set_reg(insn.dst, self.b.zext(value, I64) if spec.bits == 32 else value)

    def _i_end(self, insn: Insn) -> None:
        b, op = self.b, insn.spec.op
        a = self.reg(insn.dst)
        width = insn.spec.bits
        if op.startswith("le"):
            value = a if width == 64 else b.and_(a, _const((1 << width) - 1))
        else:
            value = b.bswap(a) if width == 64 else b.zext(b.bswap(b.trunc(a, ir.IntType(width))), I64)
        self.set_reg(insn.dst, value)

    def host_pointer(self, addr: ir.Value) -> ir.Value:
        return self.b.gep(self.mem, [addr], source_etype=I8)

    def address(self, insn: Insn, base: int, size: int, write: bool) -> ir.Value:
        """The checked guest address of a memory operand (traps on a failed check)."""
        b = self.b
        if base == 10:
            if -self.layout.frame_size <= insn.off and insn.off + size <= 0:
                return b.add(self.reg(10), _const(insn.off))
            self.trap(Status.STACK_OVERFLOW, insn.pc, addr=_const(insn.off), extra=size)
            return _const(0)
        addr = b.add(self.reg(base), _const(insn.off))
        if insn.pc in self.unchecked:  # proven in bounds by the loop's guard (lower_versioned)
            return addr
        lo = self.layout.write_lo if write else self.layout.read_lo
        span = self.layout.size - size - lo
        bad = b.icmp_unsigned(">", b.sub(addr, _const(lo)), _const(span))
        self.trap_if(bad, Status.MEMORY, insn.pc, addr=addr, extra=size | (int(write) << 8))
        return addr

    def _i_ldx(self, insn: Insn) -> None:
        spec = insn.spec
        addr = self.address(insn, insn.src, spec.size, False)
        value = self.b.load(self.host_pointer(addr), typ=ir.IntType(8 * spec.size), align=1)
        widen = self.b.sext if spec.signed else self.b.zext
        self.set_reg(insn.dst, value if spec.size == 8 else widen(value, I64))

    def store(self, insn: Insn, value: ir.Value) -> None:
        size = insn.spec.size
        addr = self.address(insn, insn.dst, size, True)
        if size != 8:
            value = self.b.trunc(value, ir.IntType(8 * size))
        self.b.store(value, self.host_pointer(addr), align=1)

    def _i_st(self, insn: Insn) -> None:
        self.store(insn, _const(imm64(insn.imm)))

    def _i_stx(self, insn: Insn) -> None:
        self.store(insn, self.reg(insn.src))

    def _i_atomic(self, insn: Insn) -> None:
        b, spec = self.b, insn.spec
        ty = ir.IntType(8 * spec.size)
        ptr = self.host_pointer(self.address(insn, insn.dst, spec.size, True))
        src = self.reg(insn.src)
        if spec.size == 4:
            src = b.trunc(src, ty)
        if spec.op == "cmpxchg":
            expected = self.reg(0) if spec.size == 8 else b.trunc(self.reg(0), ty)
            pair = b.cmpxchg(ptr, expected, src, "seq_cst", "seq_cst")
            old = b.extract_value(pair, 0)
            self.set_reg(0, old if spec.size == 8 else b.zext(old, I64))
            return
        op = {"add": "add", "or": "or", "and": "and", "xor": "xor", "xchg": "xchg"}[spec.op]
        old = b.atomic_rmw(op, ptr, src, "seq_cst")
        if spec.fetch:
            self.set_reg(insn.src, old if spec.size == 8 else b.zext(old, I64))

    def _i_lddw(self, insn: Insn) -> None:
        if insn.src == 0:
            self.set_reg(insn.dst, _const(insn.imm64))
        elif insn.src == LDDW_FUNC:
            self.set_reg(insn.dst, _const(self.layout.code_base + 8 * (insn.pc + 1 + insn.imm)))
        else:
            raise ProgramError(f"lddw of a {LDDW_PSEUDO[insn.src]} needs maps, which this VM does not "
                               "provide", insn.pc)

    def _i_ldabs(self, insn: Insn) -> None:
        self.ldpkt(insn, _const(insn.imm))

    def _i_ldind(self, insn: Insn) -> None:
        self.ldpkt(insn, self.b.add(self.reg(insn.src), _const(insn.imm)))

    def ldpkt(self, insn: Insn, offset: ir.Value) -> None:
        regs = [_const(insn.spec.size)] + [_const(0)] * 4
        self.set_reg(0, self.call_host(Callback.LDPKT, offset, insn.pc, regs))

    def _i_ja(self, insn: Insn) -> None:
        self.b.branch(self.goto(insn.pc + 1 + insn.off))

    def _i_gotol(self, insn: Insn) -> None:
        self.b.branch(self.goto(insn.pc + 1 + insn.imm))

    def branch(self, cond: ir.Value, insn: Insn, taken: int) -> None:
        nxt = insn.pc + 1
        if nxt < self.func.end:
            self.b.cbranch(cond, self.goto(taken), self.goto(nxt))
            return
        stay = self.new_block("fell")
        self.b.cbranch(cond, self.goto(taken), stay)
        self.b.position_at_end(stay)
        self.trap(Status.FELL_OFF, insn.pc)

    def _i_jcond(self, insn: Insn) -> None:
        b, spec = self.b, insn.spec
        a, v = self.reg(insn.dst), self.operand(insn)
        if spec.bits == 32:
            a, v = b.trunc(a, ir.IntType(32)), b.trunc(v, ir.IntType(32))
        if spec.op == "jset":
            cond = b.icmp_unsigned("!=", b.and_(a, v), ir.Constant(a.type, 0))
        elif spec.op.startswith("js"):
            cond = b.icmp_signed(_CMP[spec.op], a, v)
        else:
            cond = b.icmp_unsigned(_CMP[spec.op], a, v)
        self.branch(cond, insn, insn.pc + 1 + insn.off)

    def _i_may_goto(self, insn: Insn) -> None:
        more = self.call_host(Callback.MAY_GOTO, _const(0), insn.pc, [_const(0)] * 5)
        self.branch(self.b.icmp_unsigned("==", more, _const(0)), insn, insn.pc + 1 + insn.off)

    def _i_exit(self, insn: Insn) -> None:
        self.ctx_store(CTX_LEFT, self.b.load(self.n))
        self.b.ret(self.reg(0))

    def _i_call(self, insn: Insn) -> None:
        op = insn.spec.op
        if insn.pc in self.program.externs:
            r0 = self.call_intrinsic(insn)
            for r, slot in zip(range(6, 10), self.resumes.get(insn.pc + 1, ()), strict=False):
                self.b.store(self.reg(r), slot)  # a setjmp: what a longjmp restores
        elif op == "call":
            r0 = self.call_intrinsic(insn, Callback.HELPER, _const(insn.imm))
        elif op == "call_kfunc":
            raise ProgramError(f"kfunc call (BTF id {insn.imm}) is not supported", insn.pc)
        else:
            r0 = self.call_local(insn)
        self.set_reg(0, r0)

    def call_intrinsic(self, insn: Insn, kind: Callback = Callback.INTRINSIC,
                       arg: ir.Value | None = None) -> ir.Value:
        """An extern (or helper) call: native code for bpfvm's libc hot paths and map lookups
        (:mod:`.native`), falling back to the host callback when a native check fails; else the
        host callback."""
        b, args = self.b, self.args_r1_r5()
        arg = _const(insn.pc) if arg is None else arg
        native = self.natives.emit(b, self.mem, insn.pc, args) if self.natives else None
        if native is None:
            return self.call_host(kind, arg, insn.pc, args)
        value, ok = native
        if ok is None:
            return value
        fast, slow, done = b.block, self.new_block("slow"), self.new_block("native")
        weigh(b.cbranch(ok, done, slow), 99, 1)
        b.position_at_end(slow)
        host = self.call_host(kind, arg, insn.pc, args)
        slow_end = b.block
        b.branch(done)
        return self.merge(done, (value, fast), (host, slow_end))

    def merge(self, done: ir.Block, *incoming: tuple[ir.Value, ir.Block]) -> ir.Value:
        """Continue at ``done`` with the i64 each predecessor block brings (a phi)."""
        self.b.position_at_end(done)
        phi = self.b.phi(I64)
        for value, block in incoming:
            phi.add_incoming(value, block)
        return phi

    def call_local(self, insn: Insn) -> ir.Value:
        b = self.b
        depth = self.args[6]
        too_deep = b.icmp_signed(">=", depth, _const(self.layout.max_depth - 1))
        self.trap_if(too_deep, Status.CALL_DEPTH, insn.pc)
        self.ctx_store(CTX_LEFT, self.left())
        callee = self.functions[insn.pc + 1 + insn.imm]
        r10 = b.sub(self.reg(10), _const(self.layout.frame_size))
        r0 = b.call(callee, [self.mem, self.ctx, *self.args_r1_r5(), r10, b.add(depth, _const(1))])
        self.check_status()
        b.store(b.sub(self.ctx_load(CTX_LEFT), _const(self.delta)), self.n)
        return r0

    def _i_callx(self, insn: Insn) -> None:
        """``callx``: a native call when the target is a function of the program (found in
        :meth:`function_table`), else the host callback (helpers by id, BAD_CALL_TARGET)."""
        b = self.b
        target = self.reg(insn.dst or insn.imm)
        r10 = b.sub(self.reg(10), _const(self.layout.frame_size))
        table = self.function_table()
        offset = b.sub(target, _const(self.layout.code_base))
        inside = b.icmp_unsigned("<", offset, _const(8 * table.count))
        slot = b.select(inside, b.lshr(offset, _const(3)), _const(0))
        callee = b.load(b.gep(self.fn.module.globals[_FUNCTION_TABLE], [_const(0), slot]), typ=_FUNC_PTR)
        aligned = b.icmp_unsigned("==", b.and_(offset, _const(7)), _const(0))
        known = b.icmp_unsigned("!=", callee, ir.Constant(_FUNC_PTR, None))
        is_function = b.and_(b.and_(inside, aligned), known)
        direct, host = self.new_block("callx"), self.new_block("callx.host")
        done = self.new_block("callx.done")
        weigh(b.cbranch(is_function, direct, host), 99, 1)
        b.position_at_end(direct)
        depth = self.args[6]
        too_deep = b.icmp_signed(">=", depth, _const(self.layout.max_depth - 1))
        self.trap_if(too_deep, Status.CALL_DEPTH, insn.pc)
        self.ctx_store(CTX_LEFT, self.left())
        args = [self.mem, self.ctx, *self.args_r1_r5(), r10, b.add(depth, _const(1))]
        native = b.call(callee, args, cconv=None)
        self.check_status()
        native_end = b.block
        b.branch(done)
        b.position_at_end(host)
        hosted = self.call_host(Callback.CALLX, target, insn.pc, self.args_r1_r5(), r10=r10)
        host_end = b.block
        b.branch(done)
        r0 = self.merge(done, (native, native_end), (hosted, host_end))
        b.store(b.sub(self.ctx_load(CTX_LEFT), _const(self.delta)), self.n)
        self.set_reg(0, r0)

    def function_table(self) -> ir.ArrayType:
        """The module's table of lifted functions by slot (null between function starts)."""
        module = self.fn.module
        if _FUNCTION_TABLE in module.globals:
            table_type: ir.ArrayType = module.globals[_FUNCTION_TABLE].value_type
            return table_type
        last = self.program.insns[-1]
        table_type = ir.ArrayType(PTR, last.pc + last.width)
        null = ir.Constant(PTR, None)
        entries = [null] * table_type.count
        for start, fn in self.functions.items():
            entries[start] = fn
        table = ir.GlobalVariable(module, table_type, _FUNCTION_TABLE)
        table.global_constant, table.linkage = True, "private"
        table.initializer = ir.Constant(table_type, entries)
        return table_type


def host_call(b: ir.IRBuilder, callback: ir.Function, ctx: ir.Value, kind: Callback, pc: int | ir.Value,
              args: Sequence[ir.Value]) -> ir.Value:
    """Call the host: ``args`` (:data:`CALLBACK_ARGS` of them) into ctx from :data:`CTX_CALL`,
    then ``callback(kind | pc << 8)``."""
    for slot, value in enumerate(args, CTX_CALL):
        b.store(value, b.gep(ctx, [_const(slot)], source_etype=I64))
    word = _const(kind | pc << 8) if isinstance(pc, int) else b.or_(b.shl(pc, _const(8)), _const(kind))
    return b.call(callback, [word])


I128 = ir.IntType(128)
_U64_MAX, _S64_MIN, _S64_MAX = (1 << 64) - 1, -(1 << 63), (1 << 63) - 1
#: Longest loop (iterations) a guard vouches for: keeps its 128-bit products exact.
_MAX_TRIPS = 1 << 32


class _Guard:
    """128-bit arithmetic on :class:`~.loops.Affine` forms for a versioned loop's guard."""

    def __init__(self, b: ir.IRBuilder, entry: list[ir.Value], steps: dict[int, loops.Affine]) -> None:
        self.b = b
        self.entry = [b.zext(v, I128) for v in entry]  # any representative: forms are mod 2^64
        self.steps = steps

    def k(self, value: int) -> ir.Constant:
        return ir.Constant(I128, value)

    def at_entry(self, form: loops.Affine) -> ir.Value:
        """The form's value in the first iteration."""
        value: ir.Value = self.k(form.const)
        for r, coef in form.terms:
            value = self.b.add(value, self.b.mul(self.entry[r], self.k(coef)))
        return value

    def slope(self, form: loops.Affine) -> ir.Value:
        """How much the form grows per iteration."""
        value: ir.Value = self.k(0)
        for r, coef in form.terms:
            if r in self.steps:
                value = self.b.add(value, self.b.mul(self.at_entry(self.steps[r]), self.k(coef)))
        return value

    def wrap(self, value: ir.Value, signed: bool) -> ir.Value:
        """``value`` mod 2^64 as the unsigned or signed representative."""
        narrow = self.b.trunc(value, I64)
        return self.b.sext(narrow, I128) if signed else self.b.zext(narrow, I128)

    def within(self, value: ir.Value, lo: int, hi: int) -> ir.Value:
        b = self.b
        return b.and_(b.icmp_signed(">=", value, self.k(lo)), b.icmp_signed("<=", value, self.k(hi)))

    def all(self, *conds: ir.Value) -> ir.Value:
        out = conds[0]
        for cond in conds[1:]:
            out = self.b.and_(out, cond)
        return out

    def divide(self, x: ir.Value, y: ir.Value) -> ir.Value:
        """``x / y`` for ``0 <= x < 2^64`` and ``0 < y < 2^64``, as a 64-bit division (a 128-bit
        one would need a runtime library the JIT does not link); 0 when ``y`` is 0."""
        b = self.b
        divisor = b.trunc(y, I64)
        safe = b.select(b.icmp_unsigned("==", divisor, _const(0)), _const(1), divisor)
        return b.zext(b.udiv(b.trunc(x, I64), safe), I128)

    def ceil_divide(self, x: ir.Value, y: ir.Value) -> ir.Value:
        """``ceil(x / y)`` for ``0 < x < 2^64``, ``0 < y < 2^64``."""
        return self.b.add(self.divide(self.b.sub(x, self.k(1)), y), self.k(1))

    def trips(self, bound: loops.Bound) -> tuple[ir.Value, ir.Value]:
        """(T, ok): the back edge is taken T times at most, with ok; the loop runs T + 1 times.

        ``value`` takes v0 + B·k in iteration k (mod 2^64); ``ok`` also says that the integer
        sequence does not wrap before the comparison fails, so T is exact.
        """
        b, op = self.b, bound.op
        signed = op.startswith("js")
        v0 = self.wrap(self.at_entry(bound.value), signed)
        step = self.wrap(self.slope(bound.value), True)
        limit = self.wrap(self.at_entry(bound.limit), signed)
        lo, hi = (_S64_MIN, _S64_MAX) if signed else (0, _U64_MAX)
        zero = self.k(0)
        if op == "jne":
            up = b.icmp_signed(">", step, zero)
            gap = b.and_(b.select(up, b.sub(limit, v0), b.sub(v0, limit)), self.k(_U64_MAX))
            size = b.select(up, step, b.neg(step))
            trips = self.divide(gap, size)
            exact = b.icmp_signed("==", b.mul(trips, size), gap)
            ok = b.and_(b.icmp_signed("!=", step, zero), exact)
        elif op in ("jlt", "jslt", "jle", "jsle"):
            end = limit if op in ("jlt", "jslt") else b.add(limit, self.k(1))
            more = b.icmp_signed("<", v0, end)
            trips = b.select(more, self.ceil_divide(b.sub(end, v0), step), zero)
            last = b.add(v0, b.mul(step, trips))
            ok = b.and_(b.icmp_signed(">", step, zero), b.icmp_signed("<=", last, self.k(hi)))
        else:  # jgt, jsgt, jge, jsge: a falling value
            end = limit if op in ("jgt", "jsgt") else b.sub(limit, self.k(1))
            size = b.neg(step)
            more = b.icmp_signed(">", v0, end)
            trips = b.select(more, self.ceil_divide(b.sub(v0, end), size), zero)
            last = b.add(v0, b.mul(step, trips))
            ok = b.and_(b.icmp_signed("<", step, zero), b.icmp_signed(">=", last, self.k(lo)))
        return trips, b.and_(ok, b.icmp_signed("<", trips, self.k(_MAX_TRIPS)))


# -- ALU operations (RFC 9669 §4.1, as bpfvm.isa.arith defines them) --------------------------
def _shift_mask(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    return b.and_(v, ir.Constant(v.type, v.type.width - 1))


def _div(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """Unsigned division; ``x / 0`` is 0."""
    zero = b.icmp_unsigned("==", y, ir.Constant(y.type, 0))
    safe = b.select(zero, ir.Constant(y.type, 1), y)
    return b.select(zero, ir.Constant(y.type, 0), b.udiv(x, safe))


def _mod(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """Unsigned remainder; ``x % 0`` is ``x``."""
    zero = b.icmp_unsigned("==", y, ir.Constant(y.type, 0))
    safe = b.select(zero, ir.Constant(y.type, 1), y)
    return b.select(zero, x, b.urem(x, safe))


def _signed_guard(b: ir.IRBuilder, y: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(y == 0, y == -1, a divisor LLVM may divide by without UB)."""
    zero = b.icmp_unsigned("==", y, ir.Constant(y.type, 0))
    minus1 = b.icmp_unsigned("==", y, ir.Constant(y.type, (1 << y.type.width) - 1))
    safe = b.select(b.or_(zero, minus1), ir.Constant(y.type, 1), y)
    return zero, minus1, safe


def _sdiv(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """Signed division truncating toward zero; ``x / 0`` is 0, ``INT_MIN / -1`` wraps."""
    zero, minus1, safe = _signed_guard(b, y)
    q = b.select(minus1, b.neg(x), b.sdiv(x, safe))
    return b.select(zero, ir.Constant(y.type, 0), q)


def _smod(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """Signed remainder with the dividend's sign; ``x % 0`` is ``x``, ``x % -1`` is 0."""
    zero, minus1, safe = _signed_guard(b, y)
    r = b.select(minus1, ir.Constant(y.type, 0), b.srem(x, safe))
    return b.select(zero, x, r)


def _movsx(b: ir.IRBuilder, op: str, v: ir.Value, ty: ir.IntType) -> ir.Value:
    """``movsx8``/``16``/``32``: sign-extend the low bits of the source."""
    return b.sext(b.trunc(v, ir.IntType(int(op[5:]))), ty)


_Op = Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value]
_ALU: dict[str, _Op] = {
    "add": lambda b, x, y: b.add(x, y),
    "sub": lambda b, x, y: b.sub(x, y),
    "mul": lambda b, x, y: b.mul(x, y),
    "or": lambda b, x, y: b.or_(x, y),
    "and": lambda b, x, y: b.and_(x, y),
    "xor": lambda b, x, y: b.xor(x, y),
    "lsh": lambda b, x, y: b.shl(x, _shift_mask(b, y)),
    "rsh": lambda b, x, y: b.lshr(x, _shift_mask(b, y)),
    "arsh": lambda b, x, y: b.ashr(x, _shift_mask(b, y)),
    "neg": lambda b, x, y: b.neg(x),
    "mov": lambda b, x, y: y,
    "div": _div,
    "mod": _mod,
    "sdiv": _sdiv,
    "smod": _smod,
}


def program_module(program: Program, layout: Layout, callback_symbol: str,
                   natives: dict[int, str] | None = None,
                   progress: Callable[[Function], None] | None = None) -> ir.Module:
    """The LLVM module of every function of ``program`` (see the module docstring).

    ``callback_symbol`` names the host callback (an external the JIT linker resolves);
    ``natives`` (pc → symbol) are the extern calls to lower as native code (:mod:`.native`);
    ``progress`` is called with each function once it is lowered.

    Raises :class:`ProgramError` (with the pc) for instructions this VM cannot run.
    """
    module = ir.Module(name=program.name)
    functions = {f.start: ir.Function(module, FUNC_TYPE, function_name(f.start))
                 for f in program.functions.values()}
    for fn in functions.values():
        fn.scope = _Scope(fn.scope)
    callback = ir.Function(module, CALLBACK_TYPE, callback_symbol)
    lowered = Natives(module, layout, natives) if natives else None
    for func in program.functions.values():
        _Lowerer(program, func, layout, functions, callback, lowered).lower()
        if progress is not None:
            progress(func)
    return module
