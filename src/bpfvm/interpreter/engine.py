"""The pure-Python interpreter engine: reference semantics, compiled to Python source once.

:func:`compile_program` turns a :class:`~bpfvm.program.Program` into Python functions (see
:mod:`.codegen`) bound to one VM's memory and helpers; :class:`Compiled` runs them.  The
runtime support the generated code calls — slow-path address checks, traps, helper calls,
``callx``, packet loads, ``may_goto`` — lives here.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import BpfError, ProgramError, TrapKind, VmTrap
from ..isa.arith import M64, NAMESPACE
from ..memory import GUARD, Memory
from ..program import Program
from .codegen import Layout, program_source

__all__ = ["Compiled", "ProgramExit", "RunState", "compile_program", "nested_target"]

#: The kernel's bound on may_goto iterations per program run (BPF_MAX_LOOPS).
MAY_GOTO_LIMIT = 8 * 1024 * 1024

Helper = Callable[..., Any]


class ProgramExit(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised by a helper or intrinsic to end the guest program now with ``r0 = value``."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


class _PacketAbort(Exception):  # noqa: N818
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
    #: Frame pointer and call depth at the latest intrinsic call.
    r10: int = 0
    depth: int = 0


@dataclass
class Compiled:
    """A program compiled for one VM: Python functions keyed by their first slot."""

    program: Program
    layout: Layout
    functions: dict[int, Callable[..., tuple[int, int]]]
    state: RunState
    source: str = field(repr=False)
    #: Instructions executed by the last :meth:`call`, however it ended.
    executed: int = 0
    #: Functions by guest code address (for callx and :meth:`call_nested`).
    functions_by_address: dict[int, Callable[..., tuple[int, int]]] = field(default_factory=dict)

    def call(self, start: int, args: tuple[int, ...], budget: int) -> tuple[int, int]:
        """Run the function at slot ``start``; return ``(r0, instructions executed)``.

        When the run ends by an exception (trap, :class:`ProgramExit`) the executed count,
        faulting instruction included, is left in :attr:`executed`.
        """
        regs = (list(args) + [0] * 5)[:5]
        self.state.may_goto_left = MAY_GOTO_LIMIT
        self.state.left = budget
        try:
            r0, left = self.functions[start](*regs, self.layout.size, budget, 0)
        except _PacketAbort:
            r0, left = 0, self.state.left
        except BaseException:
            self.executed = budget - self.state.left
            raise
        self.executed = budget - left
        return r0, self.executed

    def call_nested(self, address: int, args: tuple[int, ...]) -> int:
        """Call the guest function at code ``address`` from inside an intrinsic; return r0.

        The callee gets a new frame below the intrinsic caller's and the budget left then.
        Raises :class:`VmTrap` BAD_CALL_TARGET if no function starts at ``address``.
        """
        state = self.state
        fn = nested_target(self.functions_by_address, address, state, self.layout)
        saved = state.r10, state.depth
        regs = (list(args) + [0] * 5)[:5]
        try:
            r0, state.left = fn(*regs, state.r10 - self.layout.frame_size, state.left, state.depth + 1)
        finally:
            state.r10, state.depth = saved
        return r0


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


def compile_program(program: Program, memory: Memory, helpers: Mapping[int, Helper], *,
                    frame_size: int, max_depth: int, code_base: int,
                    intrinsics: Mapping[int, Callable[..., Any] | None] | None = None,
                    context: Any = None) -> Compiled:
    """Compile ``program`` for ``memory``; helpers are looked up in ``helpers`` at call time.

    ``intrinsics`` maps the pc of each extern call to the callable bound to it (r1..r5 in, r0
    out) or None (unbound: the call traps UNKNOWN_INTRINSIC).  Before each intrinsic call,
    ``context.pc`` and ``context.regs`` (r1..r5, r10) are updated when a context is given.
    Raises :class:`ProgramError` (with the pc) for calls to unregistered helpers and for
    instructions this VM cannot run (map/kfunc pseudo instructions).
    """
    _check_helpers(program, helpers)
    layout = Layout(read_lo=GUARD, write_lo=memory.rw_base,
                    size=memory.size, frame_size=frame_size, max_depth=max_depth, code_base=code_base)
    source = program_source(program, layout)
    state = RunState()
    namespace = _runtime(program, memory, helpers, layout, state)
    namespace["_intrinsic"] = _intrinsic_caller(program, dict(intrinsics or {}), state, context)
    exec(compile(source, f"<bpf {program.name}>", "exec"), namespace)  # noqa: S102 - generated by us
    functions = {f.start: namespace[f"f_{f.start}"] for f in program.functions.values()}
    by_address = namespace["_functions"]
    by_address.update({code_base + 8 * s: fn for s, fn in functions.items()})
    return Compiled(program, layout, functions, state, source, functions_by_address=by_address)


def _check_helpers(program: Program, helpers: Mapping[int, Helper]) -> None:
    for insn in program.insns:
        if insn.spec.op == "call" and insn.pc not in program.externs and insn.imm not in helpers:
            raise ProgramError(f"call to unknown helper {insn.imm}", insn.pc)


def _invoke(fn: Callable[..., Any], kind: str, ident: object, pc: int, args: tuple[int, ...]) -> int:
    """Call a host function for the guest: errors get the pc, results become a u64.

    ``kind`` and ``ident`` ("BPF helper", 5 / "intrinsic", "'printf'") name the function in
    messages; they are only formatted when something goes wrong (this is a hot path).
    """
    try:
        value = fn(*args)
    except VmTrap as trap:
        if trap.pc >= 0:
            raise
        raise VmTrap(trap.kind, pc, trap.reason, trap.addr) from trap
    except (ProgramExit, _PacketAbort, BpfError):
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


def _intrinsic_caller(program: Program, bound: dict[int, Callable[..., Any] | None], state: RunState,
                      context: Any) -> Callable[..., int]:
    regs: list[int] | None = getattr(context, "regs", None)

    def call(pc: int, left: int, r10: int, d: int, *args: int) -> int:
        state.left, state.r10, state.depth = left, r10, d
        fn = bound.get(pc)
        name = program.externs[pc]
        if fn is None:
            raise VmTrap(TrapKind.UNKNOWN_INTRINSIC, pc, f"no intrinsic is bound to {name!r}")
        if context is not None:
            context.pc = pc
            if regs is not None:
                regs[1:6] = args
                regs[10] = r10
        return _invoke(fn, "intrinsic", name, pc, args)

    return call


def _runtime(program: Program, memory: Memory, helpers: Mapping[int, Helper], layout: Layout,
             state: RunState) -> dict[str, Any]:
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

    def helper(hid: int, pc: int, left: int, *args: int) -> int:
        state.left = left
        fn = helpers.get(hid)
        if fn is None:
            raise VmTrap(TrapKind.UNKNOWN_HELPER, pc, f"helper {hid} is not registered")
        return _invoke(fn, "BPF helper", hid, pc, args)

    def callx(target: int, pc: int, r1: int, r2: int, r3: int, r4: int, r5: int, r10: int, n: int,
              d: int) -> tuple[int, int]:
        fn = functions.get(target)
        if fn is not None:
            if d >= layout.max_depth - 1:
                depth(pc, n)
            return fn(r1, r2, r3, r4, r5, r10, n, d + 1)
        if target in helpers:
            return helper(target, pc, n, r1, r2, r3, r4, r5), n
        state.left = n
        raise VmTrap(TrapKind.BAD_CALL_TARGET, pc, f"callx to {target:#x}, which is no function", target)

    def ldpkt(offset: int, size: int, pc: int, left: int) -> int:
        offset = ((offset & 0xFFFF_FFFF) ^ 0x8000_0000) - 0x8000_0000
        if offset < 0 or offset + size > state.packet_len:
            state.left = left
            raise _PacketAbort
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
