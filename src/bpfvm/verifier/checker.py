"""The path-walking abstract interpreter: the kernel's ``do_check`` for a privileged (CAP_BPF) load.

Walks every path of the program from the entry with an abstract :class:`~.state.State`,
forking at conditional jumps whose outcome depends on unknown values (the other branch goes on
a stack, popped depth-first as the kernel does), and checks each instruction: registers read
before written, pointer arithmetic, stack/ctx/map-value accesses against their bounds, jumps,
and the return value.  At prune points it compares the current state with the states already
proven safe there (``is_state_visited``: ``regsafe``/``stacksafe`` with id maps) and stops the
path when one covers it; a state still being explored that equals the current one exactly is
an infinite loop.  The log is written as the kernel writes it (see :mod:`.log`).

Differences from the kernel are listed in ``docs/verifier.md``; the main one is precision: the
kernel's backtracking marks only the scalars that matter as precise and ignores the others
when pruning, while bpfvm treats every scalar as precise — always sound, but it may walk more
paths (more processed instructions) than the kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..analysis import M32, M64, S64_MIN, Scalar, s32, s64
from ..analysis.alu import scalar_alu, scalar_end
from ..analysis.branch import branch_taken, flip, negate, refine
from ..isa.opcodes import ALU_OPS, JMP_OPS, SIZE_CODES
from .cfg import Cfg, Reject, analyse, live_regs, scc_ids
from .ctx import CONTEXTS, Context
from .disasm import ALU_SYMBOLS, RawInsn, kernel_insn
from .helpers import check_helper_call
from .helpers import helper_name as _helper_name
from .log import VLog, format_state
from .prune import reg_exact, regsafe, stacksafe
from .state import ADD_CONST, Frame, MapInfo, Reg, RegType, Slot, StackSlot, State

__all__ = ["Checker", "Stats"]

INSN_LIMIT = 1_000_000
MAX_CALL_FRAMES = 8
JMP_SEQ_LIMIT = 8192
MAX_STACK = 512
MAX_VAR_OFF = 1 << 29

#: Op bits → name / log operator / access size, from the one opcode table (isa.opcodes).
_ALU_NAMES = {code: op for op, code in ALU_OPS.items()}
_ALU_STR = ALU_SYMBOLS
_JMP_NAMES = {code: op for op, code in JMP_OPS.items()}
_SIZES = SIZE_CODES
#: ``check_ptr_alignment``'s names of the pointer types it checks.
_ALIGN_DESC = {
    RegType.PTR_TO_STACK: "stack ",
    RegType.PTR_TO_MAP_VALUE: "value ",
    RegType.PTR_TO_MAP_KEY: "key ",
    RegType.PTR_TO_CTX: "context ",
    RegType.PTR_TO_PACKET: "",
    RegType.PTR_TO_PACKET_META: "",
}
#: ``reg_not_null``: the pointer types a comparison with 0 is decided for (not ctx, not the stack).
_NOT_NULL = frozenset(
    {RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_MEM, RegType.CONST_PTR_TO_MAP}
)


@dataclass
class Stats:
    """The counters of the kernel's statistics line."""

    insn_processed: int = 0
    max_states_per_insn: int = 0
    total_states: int = 0
    peak_states: int = 0
    stack_depth: int = 0

    def line(self) -> str:
        """``processed N insns (limit 1000000) max_states_per_insn …`` as the kernel prints it."""
        return (
            f"processed {self.insn_processed} insns (limit {INSN_LIMIT}) max_states_per_insn "
            f"{self.max_states_per_insn} total_states {self.total_states} peak_states {self.peak_states} "
            f"mark_read 0\n"
        )


@dataclass
class _Explored:
    state: State
    hits: int = 0
    miss: int = 0


@dataclass
class _Pending:
    state: State
    insn_idx: int
    prev_insn_idx: int
    log_pos: int


class _PathDone(Exception):
    """The current path reached ``exit`` or was pruned."""


@dataclass
class Facts:
    """What the walk proved per instruction (for the JIT): accesses always in bounds, by pc."""

    safe_access: set[int] = field(default_factory=set)
    visited: set[int] = field(default_factory=set)


class Checker:
    """One verification run over ``insns`` (raw slots) of program type ``prog_type``."""

    def __init__(
        self,
        insns: list[RawInsn],
        prog_type: int,
        *,
        log_level: int = 0,
        maps: dict[int, MapInfo] | None = None,
        privileged: bool = True,
        helper_name: Callable[[int], str] | None = None,
    ) -> None:
        self.insns = insns
        self.prog_type = prog_type
        self.ctx: Context | None = CONTEXTS.get(prog_type)
        self.log = VLog(log_level)
        self.maps = maps or {}
        self.privileged = privileged
        self.helper_name = helper_name or _helper_name
        self.stats = Stats()
        self.facts = Facts()
        self.explored: dict[int, list[_Explored]] = {}
        self.pending: list[_Pending] = []
        self.id_gen = 0
        self.jmps_processed = 0
        self.prev_jmps = 0
        self.prev_insns = 0
        self.scratch_regs: set[int] | None = None  # None: everything scratched
        self.scratch_slots: set[int] | None = None
        self.prev_log_pos = 0
        self.prev_insn_print = 0
        self.cur = State()
        self.cfg = Cfg()
        self.live: list[int] = []
        self.subprog_of: list[int] = []
        self.stack_depths: list[int] = []
        self.do_print = False
        self.aux_ptr_type: dict[int, RegType] = {}

    # -- driver ------------------------------------------------------------------------------
    def run(self) -> tuple[bool, str, int]:
        """Verify; return (accepted, log text, errno)."""
        try:
            self._check()
            ok, errno = True, 0
        except Reject as exc:
            self.log.write(exc.message + "\n")
            ok, errno = False, exc.errno
        if ok and self.log.level == 1:
            self.log.reset(0)
        if self.log.level & 4:
            self.log.write("stack depth " + "+".join(str(d) for d in self.stack_depths or [0]) + "\n")
        if self.log.level:
            self.log.write(self.stats.line())
        return ok, self.log.text(), errno

    def _check(self) -> None:
        if not self.insns:
            raise Reject("empty program")
        self.cfg = analyse(self.insns, privileged=self.privileged)
        if self.ctx is None:  # return-code ranges, context rules … of other types are not modelled
            raise Reject(f"bpfvm: program type {self.prog_type} is not verified yet", 95)
        self.live = live_regs(self.insns, self.cfg)
        bounds = self.cfg.subprogs + [len(self.insns)]
        self.subprog_of = [0] * len(self.insns)
        for k, start in enumerate(self.cfg.subprogs):
            for i in range(start, bounds[k + 1]):
                self.subprog_of[i] = k
        self.stack_depths = [0] * len(self.cfg.subprogs)
        if self.log.level & 2:
            self._print_prologue()
        self._init_state()
        self._do_check()
        self.stats.stack_depth = self.stack_depths[0]
        self._check_max_stack_depth()

    def _check_max_stack_depth(self) -> None:
        """``check_max_stack_depth``: walk the call graph (every call site, reached or not): at
        most 8 frames, and the frames of any call chain fit in 512 bytes together."""
        calls: list[list[int]] = [[] for _ in self.cfg.subprogs]
        for i, insn in enumerate(self.insns):
            if (insn.code == 0x85 and insn.src == 1) or (insn.code == 0x18 and insn.src == 4):
                calls[self.subprog_of[i]].append(self.subprog_of[i + insn.imm + 1])

        def walk(sub: int, depth: int, frame: int) -> None:
            depth += (self.stack_depths[sub] + 15) // 16 * 16
            if depth > MAX_STACK:
                raise Reject(f"combined stack size of {frame + 1} calls is {depth}. Too large", 13)
            for callee in calls[sub]:
                if frame + 1 >= MAX_CALL_FRAMES:
                    raise Reject(f"the call stack of {frame + 1} frames is too deep !", 7)
                walk(callee, depth, frame + 1)

        walk(0, 0, 0)

    def _print_prologue(self) -> None:
        for i, start in enumerate(self.cfg.subprogs):
            self.log.write(f"func#{i} @{start}\n")
        self.log.write("Live regs before insn:\n")
        sccs = scc_ids(self.cfg, len(self.insns))
        i = 0
        while i < len(self.insns):
            regs = "".join(str(j) if self.live[i] >> j & 1 else "." for j in range(10))
            scc = f"{sccs[i]:3d} " if sccs[i] else "    "
            self.log.write(f"{scc}{i:3d}: {regs} {self._insn_text(self.insns[i])}\n")
            i += 2 if self.insns[i].code == 0x18 else 1

    def _insn_text(self, insn: RawInsn) -> str:
        return kernel_insn(insn, self.helper_name)

    def _init_state(self) -> None:
        frame = self.cur.frame
        frame.regs[1] = Reg.pointer(RegType.PTR_TO_CTX)
        fp = Reg.pointer(RegType.PTR_TO_STACK)
        frame.regs[10] = fp
        self.scratch_regs = None
        self.scratch_slots = None

    # -- scratch marks and state printing -------------------------------------------------------
    def _scratch_reg(self, regno: int) -> None:
        if self.scratch_regs is not None:
            self.scratch_regs.add(regno)

    def _scratch_slot(self, spi: int) -> None:
        if self.scratch_slots is not None:
            self.scratch_slots.add(spi)

    def _scratched(self) -> bool:
        return (
            self.scratch_regs is None
            or self.scratch_slots is None
            or bool(self.scratch_regs)
            or bool(self.scratch_slots)
        )

    def _clean(self) -> None:
        self.scratch_regs, self.scratch_slots = set(), set()

    def _print_insn_state(self, frame: Frame, idx: int) -> None:
        log = self.log
        if self.prev_log_pos and self.prev_log_pos == log.end:
            log.reset(self.prev_log_pos - 1)
            width = max(self.prev_insn_print + 4, 40)
            width = (width + 7) // 8 * 8 - self.prev_insn_print - 1
            log.write(" " * width + ";")
        else:
            log.write(f"{idx}:")
        log.write(format_state(frame, self.scratch_regs, self.scratch_slots))
        self._clean()

    # -- the main loop ---------------------------------------------------------------------------
    def _do_check(self) -> None:
        prev_idx = -1
        do_print = False
        log = self.log
        while True:
            idx = self.cur.insn_idx
            if idx >= len(self.insns):
                raise Reject(f"invalid insn idx {idx} insn_cnt {len(self.insns)}", 14)
            self.stats.insn_processed += 1
            if self.stats.insn_processed > INSN_LIMIT:
                raise Reject(f"BPF program is too large. Processed {self.stats.insn_processed} insn", 7)
            self.cur.last_insn_idx = prev_idx
            done = False
            if idx in self.cfg.prune and self._state_visited(idx):
                if log.level:
                    if do_print:
                        log.write(f"\nfrom {prev_idx} to {idx}: safe\n")
                    else:
                        log.write(f"{idx}: safe\n")
                done = True
            if not done:
                if log.level & 2 and do_print:
                    log.write(f"\nfrom {prev_idx} to {idx}:")
                    log.write(format_state(self.cur.frame, None, None))
                    do_print = False
                if log.level:
                    if self._scratched():
                        self._print_insn_state(self.cur.frame, idx)
                    self.prev_log_pos = log.end
                    log.write(f"{idx}: {self._insn_text(self.insns[idx])}\n")
                    self.prev_insn_print = log.end - self.prev_log_pos
                    self.prev_log_pos = log.end
                self.facts.visited.add(idx)
                try:
                    self._insn(idx)
                    prev_idx = idx
                    if self.do_print:
                        do_print, self.do_print = True, False
                    continue
                except _PathDone:
                    pass
            # process_bpf_exit
            self.scratch_regs = None
            self.scratch_slots = None
            self._update_branch_counts(self.cur)
            if not self.pending:
                return
            item = self.pending.pop()
            self.cur = item.state
            self.cur.insn_idx = item.insn_idx
            prev_idx = item.prev_insn_idx
            if log.level and not log.level & 2:
                log.reset(item.log_pos)
            do_print = True

    def _update_branch_counts(self, st: State) -> None:
        parent = st.parent
        while parent is not None:
            parent.branches -= 1
            if parent.branches:
                break
            parent = parent.parent

    def _push(self, insn_idx: int, prev_idx: int) -> State:
        other = self.cur.copy()
        other.insn_idx = insn_idx
        self.pending.append(_Pending(other, insn_idx, prev_idx, self.log.end))
        if len(self.pending) > JMP_SEQ_LIMIT:
            raise Reject(f"The sequence of {len(self.pending)} jumps is too complex.", 7)
        if other.parent is not None:
            other.parent.branches += 1
        return other

    # -- pruning -----------------------------------------------------------------------------------
    def _state_visited(self, idx: int) -> bool:
        cur = self.cur
        add_new = (
            self.jmps_processed - self.prev_jmps >= 2 and self.stats.insn_processed - self.prev_insns >= 8
        )
        states = self.explored.setdefault(idx, [])
        live = self.live[idx]
        for ex in states:
            old = ex.state
            if old.branches:
                if self._looping(old, cur) and self._states_equal(old, cur, live, exact=True):
                    msg = [
                        f"infinite loop detected at insn {idx}",
                        "cur state:" + format_state(cur.frame, None, None).rstrip("\n"),
                        "old state:" + format_state(old.frame, None, None).rstrip("\n"),
                    ]
                    raise Reject("\n".join(msg))
                if (
                    self.jmps_processed - self.prev_jmps < 20
                    and self.stats.insn_processed - self.prev_insns < 100
                ):
                    add_new = False
                ex.miss += 1
                continue
            if self._states_equal(old, cur, live, exact=False):
                ex.hits += 1
                return True
            ex.miss += 1
        self.stats.max_states_per_insn = max(self.stats.max_states_per_insn, len(states))
        if not add_new:
            return False
        self.stats.total_states += 1
        self.stats.peak_states += 1
        self.prev_jmps = self.jmps_processed
        self.prev_insns = self.stats.insn_processed
        new = cur.copy()
        new.insn_idx = idx
        new.branches = 1
        new.parent = cur.parent
        cur.parent = new
        states.insert(0, _Explored(new))
        return False

    def _looping(self, old: State, cur: State) -> bool:
        if len(old.frames) != len(cur.frames):
            return False
        for x, y in zip(old.frame.regs, cur.frame.regs):
            if not reg_exact(x, y):
                return False
        return True

    def _states_equal(self, old: State, cur: State, top_live: int, *, exact: bool) -> bool:
        if len(old.frames) != len(cur.frames):
            return False
        idmap: dict[int, int] = {}
        for k, (fo, fc) in enumerate(zip(old.frames, cur.frames)):
            if fo.callsite != fc.callsite:
                return False
            live = self.live[cur.frames[k + 1].callsite] if k + 1 < len(cur.frames) else top_live
            for i in range(11):
                if i < 10 and not live >> i & 1 and not exact:
                    continue
                if not regsafe(fo.regs[i], fc.regs[i], idmap, exact):
                    return False
            if not stacksafe(fo, fc, idmap, exact, self.privileged):
                return False
        return True

    # -- registers ---------------------------------------------------------------------------------
    def _reg(self, regno: int) -> Reg:
        return self.cur.frame.regs[regno]

    def _check_reg(self, regno: int, *, src: bool, mark: bool = True) -> Reg:
        if regno >= 11:
            raise Reject(f"R{regno} is invalid")
        self._scratch_reg(regno)
        reg = self._reg(regno)
        if src:
            if reg.type is RegType.NOT_INIT:
                raise Reject(f"R{regno} !read_ok", 13)
            return reg
        if regno == 10:
            raise Reject("frame pointer is read only", 13)
        if mark:
            reg.mark_unknown()
        return reg

    def _new_id(self) -> int:
        self.id_gen += 1
        return self.id_gen

    # -- instruction dispatch -------------------------------------------------------------------------
    def _insn(self, idx: int) -> None:
        insn = self.insns[idx]
        cls = insn.code & 7
        if cls in (4, 7):
            self._alu(insn)
            self.cur.insn_idx = idx + 1
        elif cls == 1:
            self._ldx(idx, insn)
            self.cur.insn_idx = idx + 1
        elif cls in (2, 3):
            self._store(idx, insn)
            self.cur.insn_idx = idx + 1
        elif cls in (5, 6):
            self.jmps_processed += 1
            self._jmp(idx, insn)
        else:
            self._ld(idx, insn)

    # -- ALU -----------------------------------------------------------------------------------------
    def _alu(self, insn: RawInsn) -> None:
        code = insn.code
        alu64 = code & 7 == 7
        op, x = code & 0xF0, bool(code & 8)
        if op in (0x80, 0xD0):
            self._alu_unary(insn, op, alu64)
        elif op == 0xB0:
            self._mov(insn, alu64, x)
        elif op > 0xD0:
            raise Reject(f"invalid BPF_ALU opcode {op:x}")
        else:
            self._alu_binary(insn, op, alu64, x)

    def _alu_unary(self, insn: RawInsn, op: int, alu64: bool) -> None:
        if op == 0x80:
            if insn.code & 8 or insn.src or insn.off or insn.imm:
                raise Reject("BPF_NEG uses reserved fields")
        elif insn.src or insn.off or insn.imm not in (16, 32, 64) or (alu64 and insn.code & 8):
            raise Reject("BPF_END uses reserved fields")
        reg = self._check_reg(insn.dst, src=True)
        self._check_reg(insn.dst, src=False, mark=False)
        if reg.type is not RegType.SCALAR:
            reg.mark_unknown()
            return
        reg.id = 0
        if op == 0x80:
            scalar_alu("neg", reg.val, reg.val, 64 if alu64 else 32)
        else:
            name = ("bswap" if alu64 else "be" if insn.code & 8 else "le") + str(insn.imm)
            scalar_end(reg.val, name)

    def _mov(self, insn: RawInsn, alu64: bool, x: bool) -> None:
        if x:
            allowed = (0, 8, 16, 32) if alu64 else (0, 8, 16)
            if insn.off not in allowed or insn.imm:
                raise Reject("BPF_MOV uses reserved fields")
            src = self._check_reg(insn.src, src=True)
        elif insn.src or insn.off:
            raise Reject("BPF_MOV uses reserved fields")
        dst = self._check_reg(insn.dst, src=False, mark=False)
        if not x:
            dst.mark_unknown()
            dst.val = Scalar.known(insn.imm if alu64 else insn.imm & M32)
            return
        if alu64 and insn.off == 0:
            if src.type is RegType.SCALAR and not src.id and not src.val.is_const():
                src.id = self._new_id()
            dst.assign(src)
            return
        if insn.off and src.type is not RegType.SCALAR:
            raise Reject(f"R{insn.src} sign-extension part of pointer", 13)
        if src.type is not RegType.SCALAR:
            dst.mark_unknown()
        elif insn.off == 0:  # w = w
            fits = src.val.width() <= 32
            if fits and not src.id and not src.val.is_const():
                src.id = self._new_id()
            dst.assign(src)
            if not fits:
                dst.id = 0
        else:
            no_sext = src.val.umax < 1 << (insn.off - 1)
            if no_sext and not src.id and not src.val.is_const():
                src.id = self._new_id()
            dst.assign(src)
            if not no_sext:
                dst.id = 0
            if alu64:
                dst.val.coerce_to_size_sx(insn.off // 8)
                return
            dst.val.coerce_subreg_to_size_sx(insn.off // 8)
        dst.val.zext_32_to_64()
        dst.val.sync()

    def _alu_binary(self, insn: RawInsn, op: int, alu64: bool, x: bool) -> None:
        if x:
            if insn.imm or insn.off not in (0, 1) or (insn.off == 1 and op not in (0x30, 0x90)):
                raise Reject("BPF_ALU uses reserved fields")
            self._check_reg(insn.src, src=True)
        elif insn.src or insn.off not in (0, 1) or (insn.off == 1 and op not in (0x30, 0x90)):
            raise Reject("BPF_ALU uses reserved fields")
        self._check_reg(insn.dst, src=True)
        if op in (0x30, 0x90) and not x and insn.imm == 0:
            raise Reject("div by zero")
        if op in (0x60, 0x70, 0xC0) and not x:
            width = 64 if alu64 else 32
            if not 0 <= insn.imm < width:
                raise Reject(f"invalid shift {insn.imm}")
        dst = self._check_reg(insn.dst, src=False, mark=False)
        self._adjust(insn, dst, op, alu64, x)

    def _adjust(self, insn: RawInsn, dst: Reg, op: int, alu64: bool, x: bool) -> None:
        name = _ALU_NAMES[op]
        if insn.off == 1:
            name = "s" + name
        src = self._reg(insn.src) if x else Reg.known(insn.imm)
        if src.type is not RegType.SCALAR:
            if dst.type is not RegType.SCALAR:
                if op == 0x10 and self.privileged:
                    dst.mark_unknown()
                    return
                raise Reject(f"R{insn.dst} pointer {_ALU_STR[op]} pointer prohibited", 13)
            self._ptr_arith(insn, dst, src, dst, op, alu64)
            return
        if dst.is_pointer:
            self._ptr_arith(insn, dst, dst, src, op, alu64)
            return
        bits = 64 if alu64 else 32
        linked = dst.id and op in (0x00, 0x10) and alu64 and src.val.is_const() and src is not dst
        old_id = dst.id
        scalar_alu(name, dst.val, src.val.copy() if src is dst else src.val, bits)
        dst.id = 0
        if linked and self.privileged:
            val = s64(src.val.value)
            if op == 0x10:
                val = -val
            if old_id & ADD_CONST or not -(1 << 31) <= val <= (1 << 31) - 1:
                dst.off = 0
            else:
                dst.id = old_id | ADD_CONST
                dst.off = val

    def _ptr_arith(self, insn: RawInsn, dst: Reg, ptr: Reg, off_reg: Reg, op: int, alu64: bool) -> None:
        """``adjust_ptr_min_max_vals``: ``dst = ptr <op> off_reg``."""
        regno = insn.dst
        scalar_minus_ptr = dst is off_reg
        off_reg = off_reg.copy()  # dst may be off_reg (scalar += pointer): keep the operand
        known = off_reg.val.is_const()
        smin_val, smax_val = off_reg.val.smin, off_reg.val.smax
        umin_val, umax_val = off_reg.val.umin, off_reg.val.umax
        if not alu64:
            if op == 0x10 and self.privileged:
                dst.mark_unknown()
                return
            raise Reject(f"R{regno} 32-bit pointer arithmetic prohibited", 13)
        if ptr.maybe_null:
            raise Reject(
                f"R{regno} pointer arithmetic on {ptr.type_str()} prohibited, null-check it first", 13
            )
        allowed = {
            RegType.PTR_TO_CTX,
            RegType.PTR_TO_MAP_VALUE,
            RegType.PTR_TO_MAP_KEY,
            RegType.PTR_TO_STACK,
            RegType.PTR_TO_PACKET_META,
            RegType.PTR_TO_PACKET,
            RegType.PTR_TO_MEM,
        }
        if ptr.type not in allowed and not (
            ptr.type is RegType.CONST_PTR_TO_MAP and known and smin_val == 0 and op == 0x00
        ):
            raise Reject(f"R{regno} pointer arithmetic on {ptr.type_str()} prohibited", 13)
        ptr_copy = ptr.copy()
        self._sane_offset(off_reg, ptr.type_str())
        self._sane_offset(ptr_copy, ptr.type_str())
        if op == 0x00:
            dst.assign(ptr_copy)
            if known and -(1 << 31) <= ptr_copy.off + smin_val < 1 << 31:
                dst.off = ptr_copy.off + smin_val
            else:
                p = ptr_copy.val
                v = Scalar(p.var_off.add(off_reg.val.var_off))
                lo, hi = p.smin + smin_val, p.smax + smax_val
                v.smin, v.smax = (lo, hi) if -(1 << 63) <= lo and hi < 1 << 63 else (S64_MIN, (1 << 63) - 1)
                ulo, uhi = p.umin + umin_val, p.umax + umax_val
                v.umin, v.umax = (ulo, uhi) if uhi <= M64 else (0, M64)
                dst.val = v
                if ptr_copy.is_pkt:
                    dst.id = self._new_id()
                    dst.range = 0
        elif op == 0x10:
            if scalar_minus_ptr:
                raise Reject(f"R{regno} tried to subtract pointer from scalar", 13)
            if ptr.type is RegType.PTR_TO_STACK:
                raise Reject(f"R{regno} subtraction from stack pointer prohibited", 13)
            dst.assign(ptr_copy)
            if known and -(1 << 31) <= ptr_copy.off - smin_val < 1 << 31:
                dst.off = ptr_copy.off - smin_val
            else:
                p = ptr_copy.val
                v = Scalar(p.var_off.sub(off_reg.val.var_off))
                lo, hi = p.smin - smax_val, p.smax - smin_val
                v.smin, v.smax = (lo, hi) if -(1 << 63) <= lo and hi < 1 << 63 else (S64_MIN, (1 << 63) - 1)
                if p.umin < umax_val:
                    v.umin, v.umax = 0, M64
                else:
                    v.umin, v.umax = p.umin - umax_val, p.umax - umin_val
                dst.val = v
                if ptr_copy.is_pkt:
                    dst.id = self._new_id()
                    if smin_val < 0:
                        dst.range = 0
        elif op in (0x40, 0x50, 0xA0):
            raise Reject(f"R{regno} bitwise operator {_ALU_STR[op]} on pointer prohibited", 13)
        else:
            raise Reject(f"R{regno} pointer arithmetic with {_ALU_STR[op]} operator prohibited", 13)
        dst.val.mark32_unbounded()
        self._sane_offset(dst, ptr.type_str())
        dst.val.sync()

    def _sane_offset(self, reg: Reg, type_str: str) -> None:
        v = reg.val
        val = s64(v.var_off.value)
        if v.is_const() and not -MAX_VAR_OFF < val < MAX_VAR_OFF:
            raise Reject(f"math between {type_str} pointer and {val} is not allowed", 13)
        if not -MAX_VAR_OFF < reg.off < MAX_VAR_OFF:
            raise Reject(f"{type_str} pointer offset {reg.off} is not allowed", 13)
        if v.smin == S64_MIN:
            raise Reject(
                f"math between {type_str} pointer and register with unbounded min value is not allowed", 13
            )
        if not -MAX_VAR_OFF < v.smin < MAX_VAR_OFF:
            raise Reject(f"value {v.smin} makes {type_str} pointer be out of bounds", 13)

    # -- loads and stores -------------------------------------------------------------------------
    def _save_ptr_type(self, idx: int, reg: Reg) -> None:
        """``save_aux_ptr_type``: one instruction may not access ctx through some paths and other
        memory through others (the kernel rewrites ctx accesses per instruction)."""
        prev = self.aux_ptr_type.setdefault(idx, reg.type)
        special = (RegType.PTR_TO_CTX,)
        if prev is not reg.type and (prev in special or reg.type in special):
            raise Reject("same insn cannot be used with different pointers")

    def _ldx(self, idx: int, insn: RawInsn) -> None:
        self._check_reg(insn.src, src=True)
        self._check_reg(insn.dst, src=False, mark=False)
        src_type = self._reg(insn.src).copy()
        size = _SIZES[insn.code & 0x18]
        self._mem_access(
            idx, insn.src, insn.off, size, write=False, value_regno=insn.dst, sign=insn.code & 0xE0 == 0x80
        )
        self._save_ptr_type(idx, src_type)

    def _store(self, idx: int, insn: RawInsn) -> None:
        size = _SIZES[insn.code & 0x18]
        if insn.code & 7 == 3:
            if insn.code & 0xE0 == 0xC0:
                self._atomic(idx, insn, size)
                return
            if insn.imm:
                raise Reject("BPF_STX uses reserved fields")
            self._check_reg(insn.src, src=True)
            self._check_reg(insn.dst, src=True)
            self._mem_access(idx, insn.dst, insn.off, size, write=True, value_regno=insn.src)
            self._save_ptr_type(idx, self._reg(insn.dst))
            return
        if insn.src:
            raise Reject("BPF_ST uses reserved fields")
        self._check_reg(insn.dst, src=True)
        self._mem_access(idx, insn.dst, insn.off, size, write=True, value_regno=-1, st_imm=insn.imm)
        self._save_ptr_type(idx, self._reg(insn.dst))

    def _atomic(self, idx: int, insn: RawInsn, size: int) -> None:
        if insn.imm not in (0x00, 0x40, 0x50, 0xA0, 0x01, 0x41, 0x51, 0xA1, 0xE1, 0xF1):
            raise Reject(f"BPF_ATOMIC uses invalid atomic opcode {insn.imm:02x}")
        self._check_reg(insn.src, src=True)
        self._check_reg(insn.dst, src=True)
        if insn.imm == 0xF1:
            self._check_reg(0, src=True)
        if self._reg(insn.src).is_pointer and not self.privileged:
            raise Reject(f"R{insn.src} leaks addr into mem", 13)
        dst = self._reg(insn.dst)
        if dst.type in (RegType.PTR_TO_CTX, RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
            raise Reject(f"BPF_ATOMIC stores into R{insn.dst} {dst.type_str()} is not allowed", 13)
        fetch = insn.imm & 1
        load_reg = 0 if insn.imm == 0xF1 else insn.src if fetch else -1
        self._mem_access(idx, insn.dst, insn.off, size, write=False, value_regno=load_reg, atomic=True)
        if load_reg >= 0 and self._reg(load_reg).type is not RegType.SCALAR:
            self._reg(load_reg).mark_unknown()
        self._mem_access(idx, insn.dst, insn.off, size, write=True, value_regno=-1, atomic=True)

    def _mem_access(
        self,
        idx: int,
        regno: int,
        off: int,
        size: int,
        *,
        write: bool,
        value_regno: int,
        sign: bool = False,
        st_imm: int | None = None,
        atomic: bool = False,
    ) -> None:
        """``check_mem_access`` for an instruction's load or store through ``regno``."""
        reg = self._reg(regno)
        self._alignment(reg, off, size, strict=atomic)
        off += reg.off
        t = reg.type
        if t is RegType.PTR_TO_STACK and not reg.maybe_null:
            self._stack_access(idx, regno, reg, off, size, write, value_regno, st_imm)
        elif t is RegType.PTR_TO_CTX:
            if sign:
                raise Reject(f"invalid bpf_context access off={off} size={size}", 13)
            self._ctx_access(regno, reg, off, size, write, value_regno)
        elif t is RegType.PTR_TO_MAP_VALUE and not reg.maybe_null:
            self._map_access(regno, reg, off, size, write, value_regno)
        elif t in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
            self._pkt_access(regno, reg, off, size, write, value_regno)
        else:
            raise Reject(f"R{regno} invalid mem access '{reg.type_str()}'", 13)
        if not write and value_regno >= 0:
            dst = self._reg(value_regno)
            if size < 8 and dst.type is RegType.SCALAR:
                if sign:
                    dst.val.coerce_to_size_sx(size)
                else:
                    dst.val.coerce_to_size(size)

    def _alignment(self, reg: Reg, off: int, size: int, *, strict: bool) -> None:
        """``check_ptr_alignment``: the stack always, other memory for atomics (x86 is not strict)."""
        desc = _ALIGN_DESC.get(reg.type)
        if desc is None or reg.maybe_null or size == 1 or not (strict or reg.type is RegType.PTR_TO_STACK):
            return
        t = reg.val.var_off
        shown = str(s64(t.value)) if t.is_const() else str(t)
        if reg.is_pkt:
            if not t.add(Scalar.known(2 + reg.off + off).var_off).is_aligned(size):
                raise Reject(f"misaligned packet access off 2+{shown}+{reg.off}+{off} size {size}", 13)
            return
        if not t.add(Scalar.known((reg.off + off) & M64).var_off).is_aligned(size):
            raise Reject(f"misaligned {desc}access off {shown}+{reg.off}+{off} size {size}", 13)

    def _stack_bounds(self, regno: int, reg: Reg, off: int, size: int, write: bool) -> tuple[int, int]:
        v = reg.val
        extra = " write to" if write else " read from"
        if v.is_const():
            lo = s64(v.value) + off
            hi = lo + size
        else:
            if v.smax >= MAX_VAR_OFF or v.smin <= -MAX_VAR_OFF:
                raise Reject(f"invalid unbounded variable-offset{extra} stack R{regno}", 13)
            lo = v.smin + off
            hi = v.smax + off + size
        if lo < -MAX_STACK or lo > -1 or hi > 0:
            if v.is_const():
                raise Reject(f"invalid{extra} stack R{regno} off={off} size={size}", 13)
            raise Reject(
                f"invalid variable-offset{extra} stack R{regno} var_off={v.var_off} off={off} size={size}", 13
            )
        frame = self.cur.frames[reg.frameno]
        frame.grow(-lo)
        self.note_stack(frame, -lo)
        return lo, hi

    def note_stack(self, frame: Frame, depth: int) -> None:
        """``update_stack_depth``: the subprogram of ``frame`` uses ``depth`` bytes of stack."""
        sub = frame.subprog
        self.stack_depths[sub] = max(self.stack_depths[sub], depth)

    def _stack_access(
        self,
        idx: int,
        regno: int,
        reg: Reg,
        off: int,
        size: int,
        write: bool,
        value_regno: int,
        st_imm: int | None,
    ) -> None:
        lo, hi = self._stack_bounds(regno, reg, off, size, write)
        frame = self.cur.frames[reg.frameno]
        if reg.val.is_const():
            start = lo
            if write:
                self._stack_write_fixed(idx, frame, start, size, value_regno, st_imm)
            else:
                self._stack_read_fixed(frame, start, size, value_regno)
        elif write:
            self._stack_write_var(frame, lo, hi, value_regno, st_imm)
        else:
            self._stack_read_var(frame, lo, hi, value_regno)

    def _stack_write_fixed(
        self, idx: int, frame: Frame, off: int, size: int, value_regno: int, st_imm: int | None
    ) -> None:
        slot = -off - 1
        spi = slot // 8
        st = frame.stack[spi]
        self._scratch_slot(spi)
        reg = self._reg(value_regno) if value_regno >= 0 else None
        if reg is not None and off % 8 == 0 and reg.type is RegType.SCALAR and self.privileged:
            fits = reg.val.width() <= 8 * size
            if fits and not reg.id and not reg.val.is_const():
                reg.id = self._new_id()
            self._save_reg(st, reg, size)
            if not fits:
                st.spilled.id = 0
        elif reg is None and off % 8 == 0 and st_imm is not None and self.privileged:
            self._save_reg(st, Reg.known(st_imm), size)
        elif reg is not None and reg.is_pointer:
            if size != 8:
                raise Reject("invalid size of register spill", 13)
            self._save_reg(st, reg, size)
        else:
            st.spilled = Reg()
            if st.is_spill() or Slot.SPILL in st.types:
                st.types = [Slot.MISC if t is Slot.SPILL else t for t in st.types]
            zero = (reg is not None and reg.is_null()) or (reg is None and st_imm == 0)
            kind = Slot.ZERO if zero else Slot.MISC
            for i in range(size):
                st.types[(slot - i) % 8] = kind

    @staticmethod
    def _save_reg(st: StackSlot, reg: Reg, size: int) -> None:
        st.spilled = reg.copy()
        for i in range(8, 8 - size, -1):
            st.types[i - 1] = Slot.SPILL
        for i in range(8 - size, 0, -1):
            if st.types[i - 1] not in (Slot.ZERO, Slot.INVALID):
                st.types[i - 1] = Slot.MISC

    def _stack_read_fixed(self, frame: Frame, off: int, size: int, value_regno: int) -> None:
        slot = -off - 1
        spi = slot // 8
        st = frame.stack[spi]
        self._scratch_slot(spi)
        types = st.types
        if st.is_spill():
            spill_size = 1
            i = 7
            while i > 0 and types[i - 1] is Slot.SPILL:
                spill_size += 1
                i -= 1
            spilled = st.spilled
            if size != 8 or spill_size != 8:
                if spilled.type is not RegType.SCALAR:
                    raise Reject("invalid size of register fill", 13)
                if value_regno < 0:
                    return
                if size <= spill_size and (off % 8 == 0 or off % 8 == 8 - size and False):
                    if (
                        size == 4
                        and spill_size == 4
                        and spilled.val.width() <= 32
                        and not spilled.id
                        and not spilled.val.is_const()
                    ):
                        spilled.id = self._new_id()
                    dst = self._reg(value_regno)
                    dst.assign(spilled)
                    if spilled.val.width() > size * 8:
                        dst.id = 0
                    return
                spill_cnt = zero_cnt = 0
                for i in range(size):
                    t = types[(slot - i) % 8]
                    if t is Slot.SPILL:
                        spill_cnt += 1
                    elif t is Slot.ZERO:
                        zero_cnt += 1
                    elif t is Slot.INVALID and not self.privileged:
                        raise Reject(f"invalid read from stack off {off}+{i} size {size}", 13)
                dst = self._reg(value_regno)
                if (spill_cnt == size and spilled.is_null()) or zero_cnt == size:
                    dst.assign(Reg.known(0))
                else:
                    dst.mark_unknown()
                return
            if value_regno >= 0:
                if (
                    self.privileged
                    and spilled.type is RegType.SCALAR
                    and not spilled.id
                    and not spilled.val.is_const()
                ):
                    spilled.id = self._new_id()
                self._reg(value_regno).assign(spilled)
            return
        zero = True
        for i in range(size):
            t = types[(slot - i) % 8]
            if t is Slot.MISC:
                zero = False
            elif t is Slot.INVALID:
                if not self.privileged:
                    raise Reject(f"invalid read from stack off {off}+{i} size {size}", 13)
                zero = False
        if value_regno >= 0:
            dst = self._reg(value_regno)
            if zero:
                dst.assign(Reg.known(0))
            else:
                dst.mark_unknown()

    def _stack_write_var(self, frame: Frame, lo: int, hi: int, value_regno: int, st_imm: int | None) -> None:
        reg = self._reg(value_regno) if value_regno >= 0 else None
        zero = (reg is not None and reg.is_null()) or (reg is None and st_imm == 0)
        for i in range(lo, hi):
            slot = -i - 1
            spi = slot // 8
            st = frame.stack[spi]
            self._scratch_slot(spi)
            t = st.types[slot % 8]
            if zero and t is Slot.SPILL and st.spilled.type is RegType.SCALAR and st.spilled.is_null():
                continue
            st.spilled = Reg()
            if t is Slot.INVALID and not self.privileged:
                raise Reject(
                    f"uninit stack in range of var-offset write prohibited for !root; insn "
                    f"{self.cur.insn_idx}, off: {i}",
                    22,
                )
            st.types[slot % 8] = Slot.ZERO if zero and t is Slot.ZERO else Slot.MISC
            if any(x is Slot.SPILL for x in st.types):
                st.types = [Slot.MISC if x is Slot.SPILL else x for x in st.types]

    def _stack_read_var(self, frame: Frame, lo: int, hi: int, value_regno: int) -> None:
        zero = True
        for i in range(lo, hi):
            slot = -i - 1
            spi = slot // 8
            st = frame.stack[spi]
            t = st.types[slot % 8]
            if t is Slot.ZERO:
                continue
            if t is Slot.SPILL and st.spilled.is_null():
                continue
            zero = False
            if t is Slot.INVALID and not self.privileged:
                raise Reject(
                    f"invalid variable-offset read from stack R? var_off off={lo} size={hi - lo}", 13
                )
        if value_regno >= 0:
            dst = self._reg(value_regno)
            if zero:
                dst.assign(Reg.known(0))
            else:
                dst.mark_unknown()

    def _ptr_off_ok(self, regno: int, reg: Reg) -> None:
        if reg.off < 0:
            raise Reject(f"negative offset {reg.type_str()} ptr R{regno} off={reg.off} disallowed", 13)
        if reg.off:
            raise Reject(
                f"dereference of modified {reg.type_str()} ptr R{regno} off={reg.off} disallowed", 13
            )
        if not reg.val.is_const() or reg.val.value:
            raise Reject(f"variable {reg.type_str()} access var_off={reg.val.var_off} disallowed", 13)

    def _ctx_access(self, regno: int, reg: Reg, off: int, size: int, write: bool, value_regno: int) -> None:
        fixed = reg.off
        reg_off = reg.copy()
        reg_off.off = fixed
        self._ptr_off_ok(regno, reg_off)
        if self.ctx is None:
            raise Reject(f"bpfvm: no context model for program type {self.prog_type} yet", 95)
        kind = self.ctx.access(off, size, write)
        if kind is None:
            raise Reject(f"invalid bpf_context access off={off} size={size}", 13)
        if not write and value_regno >= 0:
            dst = self._reg(value_regno)
            if kind is RegType.SCALAR:
                dst.mark_unknown()
            else:
                dst.assign(Reg.pointer(kind))

    def _mem_region(self, regno: int, reg: Reg, off: int, size: int, mem_size: int) -> None:
        """``check_mem_region_access`` (map values): both ends of the variable offset in bounds."""
        v = reg.val
        if v.smin < 0 and (v.smin == S64_MIN or s32(off + v.smin) != off + v.smin or v.smin + off < 0):
            raise Reject(
                f"R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.", 13
            )
        lo = v.smin + off
        if not (lo >= 0 and size > 0 and lo + size <= mem_size):
            raise Reject(
                f"invalid access to map value, value_size={mem_size} off={lo} size={size}\n"
                f"R{regno} min value is outside of the allowed memory range",
                13,
            )
        if v.umax >= MAX_VAR_OFF:
            raise Reject(f"R{regno} unbounded memory access, make sure to bounds check any such access", 13)
        hi = v.umax + off
        if not (hi + size <= mem_size):
            raise Reject(
                f"invalid access to map value, value_size={mem_size} off={hi} size={size}\n"
                f"R{regno} max value is outside of the allowed memory range",
                13,
            )

    def _map_access(self, regno: int, reg: Reg, off: int, size: int, write: bool, value_regno: int) -> None:
        assert reg.map is not None
        if write and reg.map.read_only:
            raise Reject(
                f"write into map forbidden, value_size={reg.map.value_size} off={off} size={size}", 13
            )
        self._mem_region(regno, reg, off, size, reg.map.value_size)
        self.facts.safe_access.add(self.cur.insn_idx)
        if not write and value_regno >= 0:
            self._reg(value_regno).mark_unknown()

    def _pkt_access(self, regno: int, reg: Reg, off: int, size: int, write: bool, value_regno: int) -> None:
        if reg.val.smin < 0:
            raise Reject(f"R{regno} min value is negative, either use unsigned index or 'var &= const'", 13)
        if reg.range < 0 or not (off >= 0 and size > 0 and off + size <= reg.range):
            raise Reject(
                f"invalid access to packet, off={off} size={size}, R{regno}(id={reg.id},off={off},"
                f"r={reg.range})\nR{regno} offset is outside of the packet",
                13,
            )
        self.facts.safe_access.add(self.cur.insn_idx)
        if not write and value_regno >= 0:
            self._reg(value_regno).mark_unknown()

    def _ld(self, idx: int, insn: RawInsn) -> None:
        if insn.code != 0x18:
            raise Reject("bpfvm: legacy packet loads (BPF_ABS/BPF_IND) are not verified yet", 95)
        dst = self._check_reg(insn.dst, src=False)
        if insn.src == 0:
            dst.val = Scalar.known(insn.imm64)
        elif insn.src == 1:
            info = self.maps.get(insn.imm)
            if info is None:
                raise Reject(f"fd {insn.imm} is not pointing to valid bpf_map", 9)
            dst.assign(Reg.pointer(RegType.CONST_PTR_TO_MAP))
            dst.map = info
        elif insn.src == 2:
            info = self.maps.get(insn.imm)
            if info is None:
                raise Reject(f"fd {insn.imm} is not pointing to valid bpf_map", 9)
            dst.assign(Reg.pointer(RegType.PTR_TO_MAP_VALUE, insn.imm64 >> 32))
            dst.map = info
        else:
            raise Reject("bpfvm: this lddw pseudo source is not verified yet", 95)
        self.cur.insn_idx = idx + 2

    # -- jumps ---------------------------------------------------------------------------------------
    def _jmp(self, idx: int, insn: RawInsn) -> None:
        code = insn.code
        op = code & 0xF0
        if op == 0x00:
            if (
                code == 0x05
                and (insn.src or insn.dst or insn.imm)
                or code == 0x06
                and (insn.src or insn.dst or insn.off)
            ):
                raise Reject("BPF_JA uses reserved fields")
            self.cur.insn_idx = idx + 1 + (insn.imm if code == 0x06 else insn.off)
            return
        if op == 0x90:
            if code & 8 or insn.imm or insn.src or insn.dst or insn.off or code & 7 == 6:
                raise Reject("BPF_EXIT uses reserved fields")
            if len(self.cur.frames) > 1:
                self._func_exit(idx)
                return
            self._exit()
            raise _PathDone
        if op == 0x80:
            self._call(idx, insn)
            return
        if op == 0xE0:
            raise Reject("bpfvm: may_goto is not verified yet", 95)
        self._cond_jmp(idx, insn)

    def _exit(self) -> None:
        self._check_reg(0, src=True)
        r0 = self._reg(0)
        if r0.is_pointer and not self.privileged:
            raise Reject("R0 leaks addr as return value", 13)

    def _call(self, idx: int, insn: RawInsn) -> None:
        if insn.code & 8:
            raise Reject("bpfvm: callx is not verified yet", 95)
        if insn.off or insn.dst or insn.src not in (0, 1, 2) or (insn.src != 2 and insn.off):
            raise Reject("BPF_CALL uses reserved fields")
        if insn.src == 2:
            raise Reject("bpfvm: kfunc calls are not verified yet", 95)
        if insn.src == 1:
            self._func_call(idx, idx + insn.imm + 1)
            return
        check_helper_call(self, idx, insn.imm)
        self.cur.insn_idx = idx + 1

    def _func_call(self, idx: int, target: int) -> None:
        """``check_func_call`` for a static subprogram: a new frame with r1-r5 and its own stack."""
        state = self.cur
        depth = len(state.frames)
        if depth >= MAX_CALL_FRAMES:
            raise Reject(f"the call stack of {depth + 1} frames is too deep", 7)
        caller = state.frame
        callee = Frame(depth, idx)
        callee.subprog = self.subprog_of[target]
        for r in range(1, 6):
            callee.regs[r] = caller.regs[r].copy()
        fp = Reg.pointer(RegType.PTR_TO_STACK)
        fp.frameno = depth
        callee.regs[10] = fp
        for r in range(6):
            caller.regs[r].mark_not_init()
        state.frames.append(callee)
        if self.log.level:
            self.log.write(
                "caller:\n"
                + format_state(caller, None, None)
                + "callee:\n"
                + format_state(callee, None, None)
            )
        self.scratch_regs = None
        self.scratch_slots = set()
        state.insn_idx = target

    def _func_exit(self, idx: int) -> None:
        """``prepare_func_exit``: r0 goes back to the caller, the callee's frame is dropped."""
        state = self.cur
        callee = state.frame
        r0 = callee.regs[0]
        if r0.type is RegType.PTR_TO_STACK:
            raise Reject("cannot return stack pointer to the caller")
        state.frames.pop()
        caller = state.frame
        caller.regs[0] = r0.copy()
        if self.log.level:
            self.log.write(
                "returning from callee:\n"
                + format_state(callee, None, None)
                + f"to caller at {callee.callsite + 1}:\n"
                + format_state(caller, None, None)
            )
        self.do_print = True
        state.insn_idx = callee.callsite + 1

    def _cond_jmp(self, idx: int, insn: RawInsn) -> None:
        code = insn.code
        op = code & 0xF0
        if op not in _JMP_NAMES:
            raise Reject(f"invalid BPF_JMP/JMP32 opcode {op:x}")
        name = _JMP_NAMES[op]
        bits = 32 if code & 7 == 6 else 64
        dst = self._check_reg(insn.dst, src=True)
        if code & 8:
            if insn.imm:
                raise Reject("BPF_JMP/JMP32 uses reserved fields")
            src = self._check_reg(insn.src, src=True)
        else:
            if insn.src:
                raise Reject("BPF_JMP/JMP32 uses reserved fields")
            src = Reg.known(insn.imm)
        pred = self._branch_taken(dst, src, name, bits)
        target = idx + insn.off + 1
        frame = self.cur.frame
        if pred == 1:
            if self.log.level:
                self._print_insn_state(frame, idx)
            self.cur.insn_idx = target
            return
        if pred == 0:
            if self.log.level:
                self._print_insn_state(frame, idx)
            self.cur.insn_idx = idx + 1
            return
        other = self._push(target, idx)
        oframe = other.frame
        osrc = oframe.regs[insn.src] if code & 8 else src.copy()
        odst = oframe.regs[insn.dst]
        if dst.type is RegType.SCALAR and src.type is RegType.SCALAR:
            refine(negate(name), dst.val, src.val, bits)
            refine(name, odst.val, osrc.val, bits)
            if dst.val.is_bottom() or odst.val.is_bottom():
                pass
            if code & 8 and src.type is RegType.SCALAR and src.id:
                self._sync_linked(frame, src)
                self._sync_linked(oframe, osrc)
            if dst.id:
                self._sync_linked(frame, dst)
                self._sync_linked(oframe, odst)
        if (
            bits == 64
            and code & 8
            and dst.is_pointer
            and src.is_pointer
            and dst.maybe_null != src.maybe_null
            and name in ("jeq", "jne")
        ):
            # comparing a maybe-NULL pointer with a valid one: equal means not NULL
            regs = oframe.regs if name == "jeq" else frame.regs
            regs[insn.src if src.maybe_null else insn.dst].maybe_null = False
        if bits == 64 and not code & 8 and insn.imm == 0 and name in ("jeq", "jne") and dst.maybe_null:
            ident = dst.id  # (marking this frame rewrites dst itself)
            self._mark_ptr_or_null(oframe, ident, name == "jeq")
            self._mark_ptr_or_null(frame, ident, name == "jne")
        elif self._match_pkt(insn, name, dst, src, frame, oframe):
            pass
        elif dst.is_pointer and not self.privileged:
            raise Reject(f"R{insn.dst} pointer comparison prohibited", 13)
        self.cur.insn_idx = idx + 1
        if self.log.level:
            self._print_insn_state(frame, idx)

    def _branch_taken(self, a: Reg, b: Reg, name: str, bits: int) -> int:
        if a.is_pointer or b.is_pointer:
            if a.is_pointer and b.is_pointer:
                return -1
            if not a.is_pointer:
                a, b, name = b, a, flip(name)
            if not (b.val.is_const32() if bits == 32 else b.val.is_const()):
                return -1
            if a.maybe_null or a.type not in _NOT_NULL:
                return -1
            val = b.val.value & (M32 if bits == 32 else M64)
            if val:
                return -1
            return {"jeq": 0, "jne": 1}.get(name, -1)
        return branch_taken(name, a.val, b.val, bits)

    def _sync_linked(self, frame: Frame, known: Reg) -> None:
        """``sync_linked_regs``: registers sharing ``known``'s id learn its new bounds."""
        base = known.id & ~ADD_CONST
        for reg in frame.regs + [s.spilled for s in frame.stack if s.is_spill()]:
            if reg is known or reg.type is not RegType.SCALAR or (reg.id & ~ADD_CONST) != base:
                continue
            saved_id, saved_off = reg.id, reg.off
            plain = not reg.id & ADD_CONST and not known.id & ADD_CONST
            if plain or reg.off == known.off:
                reg.val = known.val.copy()
                continue
            delta = s32(reg.off if reg.id & ADD_CONST else 0) - s32(known.off if known.id & ADD_CONST else 0)
            v = known.val.copy()
            scalar_alu("add", v, Scalar.known(delta), 64)
            reg.val = v
            reg.id, reg.off = saved_id, saved_off

    def _mark_ptr_or_null(self, frame: Frame, ident: int, is_null: bool) -> None:
        for reg in frame.regs + [s.spilled for s in frame.stack if s.is_spill()]:
            if reg.maybe_null and reg.id == ident:
                if is_null:
                    reg.assign(Reg.known(0))
                else:
                    reg.maybe_null = False
                    reg.id = 0

    def _match_pkt(self, insn: RawInsn, name: str, dst: Reg, src: Reg, frame: Frame, oframe: Frame) -> bool:
        """``try_match_pkt_pointers``: learn packet ranges from ``pkt`` vs ``pkt_end`` comparisons."""
        if not insn.code & 8 or insn.code & 7 == 6:
            return False
        pkt, end, meta = RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_END, RegType.PTR_TO_PACKET_META

        def init_pkt(r: Reg) -> bool:
            return r.type is pkt and r.off == 0 and r.val.is_const() and r.val.value == 0

        left = (dst.type is pkt and src.type is end) or (dst.type is meta and init_pkt(src))
        right = (dst.type is end and src.type is pkt) or (init_pkt(dst) and src.type is meta)
        if not (left or right) or name not in ("jgt", "jlt", "jge", "jle"):
            return False
        ptr = dst if left else src
        # (branch that learns the range: "fall" = this one, "taken" = the other; right-open)
        table = {
            ("jgt", True): (frame, False),
            ("jgt", False): (oframe, True),
            ("jlt", True): (oframe, True),
            ("jlt", False): (frame, False),
            ("jge", True): (frame, True),
            ("jge", False): (oframe, False),
            ("jle", True): (oframe, False),
            ("jle", False): (frame, True),
        }
        target, right_open = table[(name, left)]
        self._find_good_pkt_pointers(target, ptr, right_open=right_open)
        return True

    @staticmethod
    def _find_good_pkt_pointers(frame: Frame, ptr: Reg, *, right_open: bool) -> None:
        if ptr.off < 0 or (ptr.off == 0 and right_open):
            return
        if ptr.val.umax > 0xFFFF or ptr.val.umax + ptr.off > 0xFFFF:
            return
        new_range = ptr.off + (1 if right_open else 0)
        for reg in frame.regs + [s.spilled for s in frame.stack if s.is_spill()]:
            if reg.type is ptr.type and reg.id == ptr.id:
                reg.range = max(reg.range, new_range)
