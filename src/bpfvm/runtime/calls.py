"""Runtime support shared by both engines: host calls, traps and per-run state.

The interpreter's generated Python code calls these functions directly; the JIT's native code
reaches them through its host callback (:mod:`bpfvm.jit.engine`).  Both therefore raise the
very same :class:`~bpfvm.errors.VmTrap` (kind, pc, reason, address) for a guest fault and count
instructions the same way: a raiser stores the budget left in :attr:`RunState.left` before
raising, so the engine can report how many instructions ran.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BpfError, ProgramError, TrapKind, VmTrap
from ..isa.arith import M64, NAMESPACE
from ..memory import Memory
from ..program import Program

if TYPE_CHECKING:
    from ..runtime.layout import Layout

__all__ = [
    "MAY_GOTO_LIMIT",
    "UNBOUNDED",
    "Helper",
    "PacketAbort",
    "ProgramExit",
    "RunState",
    "check_helpers",
    "intrinsic_caller",
    "invoke",
    "nested_target",
    "runtime_namespace",
]

#: The kernel's bound on may_goto iterations per program run (BPF_MAX_LOOPS).
MAY_GOTO_LIMIT = 8 * 1024 * 1024
#: The instruction budget of a run without ``max_instructions``: never reached.
UNBOUNDED = 1 << 62

Helper = Callable[..., Any]


class ProgramExit(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised by a helper or intrinsic to end the guest program now with ``r0 = value``."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


class PacketAbort(Exception):  # noqa: N818
    """A legacy packet load went out of bounds: the program ends with r0 = 0 (kernel rule)."""


@dataclass
class RunState:
    """Per-run facts the generated code consults: the packet buffer and may_goto budget."""

    packet_addr: int = 0
    packet_len: int = 0
    may_goto_left: int = MAY_GOTO_LIMIT
    #: Instructions of the budget left when the run ended by an exception (set by the raiser),
    #: and at the latest intrinsic call (for re-entrant guest calls from intrinsics).
    left: int = 0
    #: Frame pointer, call depth and pc at the latest intrinsic call.
    r10: int = 0
    depth: int = 0
    pc: int = 0


def nested_target(functions: Mapping[int, Any], address: int, state: RunState, layout: Layout) -> Any:
    """The function a re-entrant guest call from an intrinsic goes to (both engines).

    Raises :class:`VmTrap` BAD_CALL_TARGET if no function starts at ``address`` and
    CALL_DEPTH if the intrinsic's caller already uses the last frame (pc -1: the VM fills it in).
    """
    fn = functions.get(address)
    if fn is None:
        raise VmTrap(TrapKind.BAD_CALL_TARGET, -1, f"{address:#x} is no function", address)
    if state.depth >= layout.max_depth - 1:
        raise VmTrap(TrapKind.CALL_DEPTH, -1, f"more than {layout.max_depth} nested call frames")
    return fn


def check_helpers(program: Program, helpers: Mapping[int, Helper]) -> None:
    """Raise :class:`ProgramError` (with the pc) for a call to a helper id not in ``helpers``:
    the message names the kernel helper of that id, if there is one, and says bpfvm lacks it.

    Instructions poisoned by CO-RE (``program.core_poison``) are exempt: they trap when reached.
    """
    for insn in program.insns:
        if insn.spec.op == "call" and insn.pc not in program.externs and insn.imm not in helpers \
                and insn.pc not in program.core_poison:
            raise ProgramError(_missing_helper(insn.imm), insn.pc)


def _missing_helper(hid: int) -> str:
    from ..kernel.helpers import HELPERS

    known = HELPERS.get(hid)
    if known is None:
        return f"call to unknown helper {hid}"
    return f"call to helper {hid} ({known.name}), which bpfvm does not implement"


def invoke(fn: Callable[..., Any], kind: str, ident: object, pc: int, args: tuple[int, ...]) -> int:
    """Call a host function for the guest: errors get the pc, results become a u64.

    ``kind`` and ``ident`` ("BPF helper", 5 / "intrinsic", "'printf'") name the function in
    messages; they are only formatted when something goes wrong (this is a hot path).
    Raises :class:`ProgramError` for a result that is not an int.
    """
    try:
        value = fn(*args)
    except VmTrap as trap:
        if trap.pc >= 0:
            raise
        raise VmTrap(trap.kind, pc, trap.reason, trap.addr) from trap
    except (ProgramExit, PacketAbort, BpfError):
        raise
    except Exception as exc:
        exc.add_note(f"raised by {kind} {ident} called at pc {pc}")
        exc.bpf_pc = pc  # type: ignore[attr-defined]
        raise
    if value.__class__ is int:
        return value & M64
    if value is None:
        return 0
    if isinstance(value, bool | int):
        return int(value) & M64
    raise ProgramError(f"{kind} {ident} returned {type(value).__name__}, not int", pc)


def intrinsic_caller(program: Program, bound: dict[int, Callable[..., Any] | None], state: RunState,
                     context: Any) -> Callable[..., int]:
    """The function both engines call for an extern call: ``call(pc, left, r10, depth, *r1_r5)``.

    ``bound`` maps the pc of each extern call to its callable (None: unbound, the call traps
    UNKNOWN_INTRINSIC); ``context`` (the VM) gets ``pc`` and ``regs`` updated before the call.
    """
    regs: list[int] | None = getattr(context, "regs", None)

    def call(pc: int, left: int, r10: int, d: int, *args: int) -> int:
        state.left, state.r10, state.depth, state.pc = left, r10, d, pc
        fn = bound.get(pc)
        name = program.externs[pc]
        if fn is None:
            raise VmTrap(TrapKind.UNKNOWN_INTRINSIC, pc, f"no intrinsic is bound to {name!r}")
        if context is not None:
            context.pc = pc
            if regs is not None:
                regs[1:6] = args
                regs[10] = r10
        return invoke(fn, "intrinsic", name, pc, args)

    return call


def runtime_namespace(program: Program, memory: Memory, helpers: Mapping[int, Helper], layout: Layout,
                      state: RunState) -> dict[str, Any]:
    """The names the interpreter's generated code uses (also the JIT host callback's raisers)."""
    buf = memory.buf
    functions: dict[int, Callable[..., tuple[int, int]]] = {}
    structs = {name: struct.Struct(fmt) for name, fmt in (
        ("u16", "<H"), ("u32", "<I"), ("u64", "<Q"), ("s8", "<b"), ("s16", "<h"), ("s32", "<i"))}

    def chk(addr: int, size: int, write: bool, pc: int, left: int) -> int:
        wrapped = addr & M64
        low = layout.write_lo if write else layout.read_lo
        if low <= wrapped <= layout.size - size:
            return wrapped
        state.left = left
        raise memory.fault(wrapped, size, write=write, pc=pc)

    def budget(pc: int) -> None:
        state.left = 0
        raise VmTrap(TrapKind.BUDGET, pc, "instruction budget exhausted")

    def stack_overflow(pc: int, off: int, size: int, left: int) -> None:
        state.left = left
        raise VmTrap(TrapKind.STACK_OVERFLOW, pc, f"access of {size} bytes at r10{off:+d} is outside the "
                     f"{layout.frame_size}-byte stack frame")

    def fell_off(pc: int, left: int) -> None:
        state.left = left
        raise VmTrap(TrapKind.FELL_OFF, pc, "the call ending this function returned: execution fell off "
                     "the end of the function")

    def depth(pc: int, left: int) -> None:
        state.left = left
        raise VmTrap(TrapKind.CALL_DEPTH, pc, f"more than {layout.max_depth} nested call frames")

    def helper(hid: int, pc: int, left: int, r10: int, d: int, *args: int) -> int:
        state.left, state.r10, state.depth, state.pc = left, r10, d, pc
        fn = helpers.get(hid)
        if fn is None:
            raise VmTrap(TrapKind.UNKNOWN_HELPER, pc, f"helper {hid} is not registered")
        return invoke(fn, "BPF helper", hid, pc, args)

    def callx(target: int, pc: int, r1: int, r2: int, r3: int, r4: int, r5: int, r10: int, n: int,
              d: int) -> tuple[int, int]:
        fn = functions.get(target)
        if fn is not None:
            if d >= layout.max_depth - 1:
                depth(pc, n)
            return fn(r1, r2, r3, r4, r5, r10, n, d + 1)
        if target in helpers:
            return helper(target, pc, n, r10 + layout.frame_size, d, r1, r2, r3, r4, r5), n
        state.left = n
        raise VmTrap(TrapKind.BAD_CALL_TARGET, pc, f"callx to {target:#x}, which is no function", target)

    def ldpkt(offset: int, size: int, pc: int, left: int) -> int:
        offset = ((offset & 0xFFFF_FFFF) ^ 0x8000_0000) - 0x8000_0000
        if offset < 0 or offset + size > state.packet_len:
            state.left = left
            raise PacketAbort
        start = state.packet_addr + offset
        return int.from_bytes(buf[start:start + size], "big")

    def may_goto() -> bool:
        if state.may_goto_left <= 0:
            return False
        state.may_goto_left -= 1
        return True

    return {
        "mem": buf, "chk": chk, "_budget": budget, "_depth": depth, "_stack_overflow": stack_overflow,
        "_fell_off": fell_off,
        "_helper": helper,
        "_callx": callx, "_ldpkt": ldpkt, "_may_goto": may_goto, "_functions": functions,
        "u16": structs["u16"].unpack_from, "u32": structs["u32"].unpack_from,
        "u64": structs["u64"].unpack_from, "s8": structs["s8"].unpack_from,
        "s16": structs["s16"].unpack_from, "s32": structs["s32"].unpack_from,
        "p16": structs["u16"].pack_into, "p32": structs["u32"].pack_into, "p64": structs["u64"].pack_into,
        **NAMESPACE,
    }
