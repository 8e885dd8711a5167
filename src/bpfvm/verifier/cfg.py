"""Structural checks before the path walk, with the kernel's messages (Linux 6.18 ``verifier.c``).

In the kernel's order: per-instruction sanity (``check_and_resolve_insns``: reserved fields of
LDX, ``lddw`` shape, opcodes outside the instruction table), subprogram boundaries and jump
ranges (``check_subprogs``), then the depth-first walk of ``check_cfg`` (back-edges, which only
unprivileged loads reject; unreachable instructions; jumps into the middle of a ``lddw``),
which also marks the prune points.  :func:`live_regs` is ``compute_live_registers`` (the
``Live regs before insn`` block of log level 2) and :func:`scc_ids` numbers the loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .disasm import RawInsn

__all__ = ["Cfg", "Reject", "analyse", "live_regs", "scc_ids"]


class Reject(Exception):
    """A verifier rejection: ``message`` is the kernel's text, ``errno`` its error number."""

    def __init__(self, message: str, errno: int = 22) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno


@dataclass
class Cfg:
    """What the structural pass learned: prune points and the successors of each instruction."""

    prune: set[int] = field(default_factory=set)
    succ: dict[int, list[int]] = field(default_factory=dict)
    subprogs: list[int] = field(default_factory=lambda: [0])


def _is_jmp(insn: RawInsn) -> bool:
    return insn.code & 7 in (5, 6)


def _jmp_off(insn: RawInsn) -> int:
    return insn.imm if insn.code == 0x06 else insn.off


def _check_insns(insns: list[RawInsn]) -> None:
    n = len(insns)
    i = 0
    while i < n:
        insn = insns[i]
        cls, mode = insn.code & 7, insn.code & 0xE0
        if cls == 1 and (mode not in (0x60, 0x80) or insn.imm != 0):
            raise Reject("BPF_LDX uses reserved fields")
        if insn.code == 0x18:
            nxt = insns[i + 1] if i + 1 < n else None
            if nxt is None or nxt.code or nxt.dst or nxt.src or nxt.off:
                raise Reject("invalid bpf_ld_imm64 insn")
            if (
                insn.src not in (0, 4)
                and not (insn.src in (1, 5) and nxt.imm == 0)
                and insn.src not in (2, 6)
            ):
                raise Reject("unrecognized bpf_ld_imm64 insn")
            i += 2
            continue
        if not _in_table(insn):
            raise Reject(f"unknown opcode {insn.code:02x}")
        i += 1


def _in_table(insn: RawInsn) -> bool:
    """``bpf_opcode_in_insntable``: the opcode byte is one the kernel knows (fields aside)."""
    code = insn.code
    cls = code & 7
    if cls in (4, 7):
        op = code & 0xF0
        if op > 0xD0:
            return False
        if op == 0x80 and code & 8:
            return False
        if op == 0xD0 and cls == 7 and code & 8:
            return False
        return True
    if cls in (5, 6):
        op = code & 0xF0
        if op in (0x80, 0x90) and (cls == 6 or code & 8):
            return False
        if op == 0x90 and code & 8:
            return False
        if op == 0xE0:
            return code == 0xE5
        if op in (0xF0,):
            return False
        if op == 0x00 and code & 8:
            return False
        return True
    if cls == 0:
        return code in (0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50)
    if cls == 1:
        return (code & 0xE0) in (0x60, 0x80)
    if cls == 2:
        return (code & 0xE0) == 0x60
    return (code & 0xE0) in (0x60, 0xC0)  # STX: MEM, ATOMIC


def _check_subprogs(insns: list[RawInsn]) -> list[int]:
    n = len(insns)
    starts = {0}
    for i, insn in enumerate(insns):
        if insn.code == 0x85 and insn.src == 1:
            t = i + insn.imm + 1
            if not 0 <= t < n:
                raise Reject("call to invalid destination")
            starts.add(t)
        elif insn.code == 0x18 and insn.src == 4:
            starts.add(i + insn.imm + 1)
    subs = sorted(starts)
    bounds = subs + [n]
    for k, start in enumerate(subs):
        end = bounds[k + 1]
        for i in range(start, end):
            insn = insns[i]
            if not _is_jmp(insn) or insn.code & 0xF0 in (0x80, 0x90):
                continue
            if i > 0 and insns[i - 1].code == 0x18:
                continue
            t = i + _jmp_off(insn) + 1
            if t < start or t >= end:
                raise Reject(f"jump out of range from insn {i} to {t}")
        last = insns[end - 1]
        if last.code not in (0x95, 0x06, 0x05):
            raise Reject("last insn is not an exit or jmp")
    return subs


def _check_abnormal_return(insns: list[RawInsn], subprogs: list[int]) -> None:
    """``check_abnormal_return``: without BTF, subprograms may not tail-call or use LD_ABS/IND."""
    bounds = subprogs + [len(insns)]
    for k in range(1, len(subprogs)):
        body = insns[bounds[k] : bounds[k + 1]]
        if any(i.code & 7 == 0 and i.code & 0xE0 in (0x20, 0x40) for i in body):
            raise Reject("LD_ABS is not allowed in subprogs without BTF")
        if any(i.code == 0x85 and i.src == 0 and i.imm == 12 for i in body):
            raise Reject("tail_call is not allowed in subprogs without BTF")


def _edges(i: int, insn: RawInsn) -> tuple[list[int], set[int]]:
    """Successors of ``i`` (fall-through first) and the prune points the edge adds."""
    code = insn.code
    cls, op = code & 7, code & 0xF0
    if insn.code == 0x18:
        return [i + 2], set()
    if cls not in (5, 6):
        return [i + 1], set()
    if op == 0x90:
        return [], set()
    if op == 0x80:
        succ = [i + 1]
        if insn.src == 1:
            succ.append(i + insn.imm + 1)
            return succ, {i + 1, i}
        return succ, {i + 1}
    if op == 0x00:
        t = i + _jmp_off(insn) + 1
        return [t], {t}
    t = i + insn.off + 1
    return [i + 1, t], {i, t}


def analyse(insns: list[RawInsn], *, privileged: bool = True) -> Cfg:
    """Run the structural checks; return prune points and successors. Raises :class:`Reject`."""
    _check_insns(insns)
    cfg = Cfg(subprogs=_check_subprogs(insns))
    _check_abnormal_return(insns, cfg.subprogs)
    n = len(insns)
    state = [0] * n  # 0 unseen, 1 discovered, 2 explored
    for start in cfg.subprogs:
        if state[start]:
            continue
        stack = [start]
        state[start] = 1
        while stack:
            t = stack[-1]
            succ, prune = _edges(t, insns[t])
            cfg.succ[t] = succ
            cfg.prune |= prune
            pushed = False
            for w in succ:
                if w < 0 or w >= n:
                    raise Reject(f"jump out of range from insn {t} to {w}")
                if state[w] == 0:
                    state[w] = 1
                    stack.append(w)
                    pushed = True
                    break
                if state[w] == 1 and not privileged:
                    raise Reject(f"back-edge from insn {t} to {w}")
            if not pushed:
                state[t] = 2
                stack.pop()
    i = 0
    while i < n:
        if state[i] != 2:
            raise Reject(f"unreachable insn {i}")
        if insns[i].code == 0x18:
            if state[i + 1]:
                raise Reject(f"jump into the middle of ldimm64 insn {i}")
            i += 1
        i += 1
    return cfg


def _use_def(insn: RawInsn) -> tuple[int, int]:
    code = insn.code
    cls, op, x = code & 7, code & 0xF0, code & 8
    d, s = 1 << insn.dst, 1 << insn.src
    if code == 0x18:
        return 0, d
    if cls in (4, 7):
        if op == 0xB0:
            return (s if x else 0), d
        if op in (0x80, 0xD0):
            return d, d
        return d | (s if x else 0), d
    if cls == 1:
        return s, d
    if cls == 2:
        return d, 0
    if cls == 3:
        if (code & 0xE0) == 0xC0:
            if insn.imm == 0xF1:
                return d | s | 1, 1
            return d | s, (s if insn.imm & 1 else 0)
        return d | s, 0
    if cls == 0:
        return (1 << 6) | (s if (code & 0xE0) == 0x40 else 0), 0x3F
    if op == 0x90:
        return 1, 0
    if op == 0x80:
        return 0x3E, 0x3F
    if op in (0x00, 0xE0):
        return 0, 0
    return d | (s if x else 0), 0


def live_regs(insns: list[RawInsn], cfg: Cfg) -> list[int]:
    """``compute_live_registers``: bit mask of r0–r9 live before each instruction."""
    n = len(insns)
    live = [0] * n
    ud = [_use_def(insn) for insn in insns]
    changed = True
    order = sorted(cfg.succ, reverse=True)
    while changed:
        changed = False
        for i in order:
            out = 0
            succ = cfg.succ[i][:1] if insns[i].code == 0x85 and insns[i].src == 1 else cfg.succ[i]
            for w in succ:
                if w < n:
                    out |= live[w]
            use, defs = ud[i]
            new = (use | (out & ~defs)) & 0x3FF
            if new != live[i]:
                live[i] = new
                changed = True
    return live


def scc_ids(cfg: Cfg, n: int) -> list[int]:
    """Loop (strongly connected component) numbers per instruction, 0 outside loops."""
    index = [-1] * n
    low = [0] * n
    on = [False] * n
    stack: list[int] = []
    ids = [0] * n
    counter = 0
    next_id = 1
    for root in sorted(cfg.succ):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            v, k = work.pop()
            if k == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on[v] = True
            succ = [w for w in cfg.succ.get(v, []) if w < n]
            if k < len(succ):
                work.append((v, k + 1))
                w = succ[k]
                if index[w] < 0:
                    work.append((w, 0))
                elif on[w]:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on[w] = False
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in cfg.succ.get(v, []):
                    for w in comp:
                        ids[w] = next_id
                    next_id += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return ids
