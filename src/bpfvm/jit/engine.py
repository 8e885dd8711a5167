"""The LLVM JIT engine: programs lifted to LLVM IR (:mod:`.lower`), compiled with MCJIT.

:func:`compile_program` has the interpreter's signature and returns a :class:`Compiled` with
the interpreter's behaviour (same results, traps — kind, pc, address — and instruction counts).
Native code reports traps as a status in a shared ``ctx`` array (see :mod:`.lower`); the
Python side turns a status into the very exception the interpreter raises, by calling the
interpreter runtime's raisers.  Helpers, intrinsics, ``callx``, packet loads and ``may_goto``
reach Python through one ctypes callback; an exception raised there is stashed, the native
code unwinds by status, and :meth:`Compiled.call` re-raises it (the wasmtime-py trampoline
pattern): no Python exception ever crosses the C boundary.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm

from ..errors import TrapKind, VmTrap
from ..interpreter.codegen import Layout
from ..interpreter.engine import (
    MAY_GOTO_LIMIT,
    Helper,
    RunState,
    _check_helpers,
    _intrinsic_caller,
    _PacketAbort,
    _runtime,
    nested_target,
)
from ..memory import GUARD, Memory
from ..program import Program
from .lower import (
    CALLBACK_ARGS,
    CTX_ADDR,
    CTX_EXTRA,
    CTX_LEFT,
    CTX_PC,
    CTX_SLOTS,
    CTX_STATUS,
    FUNC_ARGS,
    Callback,
    Status,
    function_name,
    program_module,
)

__all__ = ["Compiled", "compile_program", "listing"]

_U64 = ctypes.c_uint64
NativeFunction = Callable[..., int]
_NATIVE_TYPE = ctypes.CFUNCTYPE(_U64, ctypes.c_void_p, ctypes.c_void_p, *[_U64] * (FUNC_ARGS - 2))
_CALLBACK_TYPE = ctypes.CFUNCTYPE(_U64, *[_U64] * CALLBACK_ARGS)
#: Unique names of the host callbacks (LLVM's symbol table is process-wide).
_SYMBOLS = itertools.count()


@functools.cache
def _init_llvm() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def _target_machine() -> Any:
    """A new target machine for the host (an MCJIT engine takes ownership of its own)."""
    _init_llvm()
    return llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine(opt=2, jit=True)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


@dataclass
class Compiled:
    """A program compiled to native code for one VM (the interpreter's ``Compiled`` interface)."""

    program: Program
    layout: Layout
    state: RunState
    memory: Memory
    #: The LLVM IR of the program, before optimisation (for inspection).
    ir: str = field(repr=False)
    #: Instructions executed by the last :meth:`call`, however it ended.
    executed: int = 0
    functions: dict[int, NativeFunction] = field(default_factory=dict, repr=False)
    functions_by_address: dict[int, NativeFunction] = field(default_factory=dict, repr=False)
    runtime: dict[str, Any] = field(default_factory=dict, repr=False)
    intrinsic: Callable[..., int] | None = field(default=None, repr=False)
    helpers: Mapping[int, Helper] = field(default_factory=dict, repr=False)
    #: Keep-alive references: the execution engine owning the code and the callback thunk.
    keep: list[Any] = field(default_factory=list, repr=False)
    ctx: Any = field(default_factory=lambda: (_U64 * CTX_SLOTS)(), repr=False)
    pending: BaseException | None = field(default=None, repr=False)
    mem_base: int = 0

    # -- running -----------------------------------------------------------------------------
    def call(self, start: int, args: tuple[int, ...], budget: int) -> tuple[int, int]:
        """Run the function at slot ``start``; return ``(r0, instructions executed)``.

        When the run ends by an exception (trap, :class:`~bpfvm.interpreter.ProgramExit`) the
        executed count, faulting instruction included, is left in :attr:`executed`.
        """
        regs = (list(args) + [0] * 5)[:5]
        state, ctx = self.state, self.ctx
        state.may_goto_left, state.left = MAY_GOTO_LIMIT, budget
        ctx[CTX_LEFT], ctx[CTX_STATUS], self.pending = budget, Status.OK, None
        r0 = self.functions[start](self.mem_base, ctypes.addressof(ctx), *regs, self.layout.size, 0)
        left = ctx[CTX_LEFT]
        if ctx[CTX_STATUS] != Status.OK:
            exc = self.take_trap()
            if not isinstance(exc, _PacketAbort):
                self.executed = budget - state.left
                raise exc
            r0, left = 0, state.left
        self.executed = budget - left
        return r0, self.executed

    def call_nested(self, address: int, args: tuple[int, ...]) -> int:
        """Call the guest function at code ``address`` from inside an intrinsic; return r0.

        The callee gets a new frame below the intrinsic caller's and the budget left then.
        Raises :class:`VmTrap` BAD_CALL_TARGET if no function starts at ``address``, and
        whatever the callee raises.
        """
        state, ctx = self.state, self.ctx
        fn = nested_target(self.functions_by_address, address, state, self.layout)
        saved = state.r10, state.depth
        regs = (list(args) + [0] * 5)[:5]
        ctx[CTX_LEFT] = state.left
        try:
            r0 = fn(self.mem_base, ctypes.addressof(ctx), *regs, state.r10 - self.layout.frame_size,
                    state.depth + 1)
            if ctx[CTX_STATUS] != Status.OK:
                raise self.take_trap()
            state.left = ctx[CTX_LEFT]
        finally:
            state.r10, state.depth = saved
        return r0

    def take_trap(self) -> BaseException:
        """The exception for the status native code left in ctx (the status is cleared)."""
        ctx = self.ctx
        status = Status(ctx[CTX_STATUS])
        ctx[CTX_STATUS] = Status.OK
        if status is Status.PENDING:
            exc, self.pending = self.pending, None
            assert exc is not None, "native code reported a pending exception but none was stashed"
            return exc
        pc, left, addr, extra = ctx[CTX_PC], ctx[CTX_LEFT], ctx[CTX_ADDR], ctx[CTX_EXTRA]
        raisers: dict[Status, Callable[[], Any]] = {
            Status.MEMORY: lambda: self.runtime["chk"](addr, extra & 0xFF, bool(extra >> 8), pc, left),
            Status.BUDGET: lambda: self.runtime["_budget"](pc),
            Status.STACK_OVERFLOW: lambda: self.runtime["_stack_overflow"](pc, _signed(addr), extra, left),
            Status.CALL_DEPTH: lambda: self.runtime["_depth"](pc, left),
            Status.FELL_OFF: lambda: self.runtime["_fell_off"](pc, left),
        }
        try:
            raisers[status]()
        except VmTrap as trap:
            return trap
        raise AssertionError(f"status {status!r} raised nothing")  # pragma: no cover

    # -- the host callback -------------------------------------------------------------------
    def host(self, kind: int, arg: int, pc: int, left: int, r1: int, r2: int, r3: int, r4: int, r5: int,
             r10: int, depth: int) -> int:
        """The one entry from native code into Python; never lets an exception escape."""
        try:
            return self.dispatch(Callback(kind), arg, pc, left, (r1, r2, r3, r4, r5), r10, depth)
        except BaseException as exc:  # stashed here, re-raised by call() or call_nested()
            self.pending = exc
            self.ctx[CTX_STATUS] = Status.PENDING
            return 0

    def dispatch(self, kind: Callback, arg: int, pc: int, left: int, regs: tuple[int, ...], r10: int,
                 depth: int) -> int:
        """Do what native code asked of the host (see :class:`~bpfvm.jit.lower.Callback`)."""
        rt = self.runtime
        if kind is Callback.HELPER:
            return int(rt["_helper"](_signed(arg), pc, left, *regs))
        if kind is Callback.INTRINSIC:
            assert self.intrinsic is not None
            return self.intrinsic(pc, left, r10, depth, *regs)
        if kind is Callback.CALLX:
            return self.callx(arg, pc, left, regs, r10, depth)
        if kind is Callback.LDPKT:
            return int(rt["_ldpkt"](arg, regs[0], pc, left))
        return int(bool(rt["_may_goto"]()))

    def callx(self, target: int, pc: int, left: int, regs: tuple[int, ...], r10: int, depth: int) -> int:
        """``callx``: a guest function (native, on a new frame) or a helper by id; sets ctx left."""
        fn = self.functions_by_address.get(target)
        if fn is not None:
            if depth >= self.layout.max_depth - 1:
                self.runtime["_depth"](pc, left)
            self.ctx[CTX_LEFT] = left
            return fn(self.mem_base, ctypes.addressof(self.ctx), *regs, r10, depth + 1)
        if target in self.helpers:
            r0 = int(self.runtime["_helper"](target, pc, left, *regs))
            self.ctx[CTX_LEFT] = left
            return r0
        self.state.left = left
        raise VmTrap(TrapKind.BAD_CALL_TARGET, pc, f"callx to {target:#x}, which is no function", target)


def _optimise(module: Any, machine: Any) -> None:
    options = llvm.create_pipeline_tuning_options(speed_level=2)
    builder = llvm.create_pass_builder(machine, options)
    builder.getModulePassManager().run(module, builder)


def _host_base(memory: Memory) -> int:
    """Host address of guest address 0 (the mmap is never moved; no export is kept)."""
    view = ctypes.c_char.from_buffer(memory.buf)
    try:
        return ctypes.addressof(view)
    finally:
        del view


def compile_program(program: Program, memory: Memory, helpers: Mapping[int, Helper], *,
                    frame_size: int, max_depth: int, code_base: int,
                    intrinsics: Mapping[int, Callable[..., Any] | None] | None = None,
                    context: Any = None) -> Compiled:
    """Compile ``program`` to native code for ``memory`` (arguments as the interpreter's).

    Raises :class:`~bpfvm.errors.ProgramError` (with the pc) for calls to unregistered helpers
    and for instructions this VM cannot run (map/kfunc pseudo instructions).
    """
    _check_helpers(program, helpers)
    layout = Layout(read_lo=GUARD, write_lo=memory.rw_base, size=memory.size, frame_size=frame_size,
                    max_depth=max_depth, code_base=code_base)
    state = RunState()
    compiled = Compiled(program, layout, state, memory, ir="", helpers=helpers,
                        runtime=_runtime(program, memory, helpers, layout, state),
                        intrinsic=_intrinsic_caller(program, dict(intrinsics or {}), state, context),
                        mem_base=_host_base(memory))
    thunk = _CALLBACK_TYPE(compiled.host)
    symbol = f"bpfvm_host_{next(_SYMBOLS)}"
    llvm.add_symbol(symbol, ctypes.cast(thunk, ctypes.c_void_p).value or 0)
    module = program_module(program, layout, symbol)
    compiled.ir = str(module)
    engine = _native(compiled.ir)
    compiled.keep += [engine, thunk]
    for func in program.functions.values():
        fn = _NATIVE_TYPE(engine.get_function_address(function_name(func.start)))
        compiled.functions[func.start] = fn
        compiled.functions_by_address[code_base + 8 * func.start] = fn
    return compiled


def listing(ir_text: str, *, asm: bool = False, function: str | None = None) -> str:
    """The optimised LLVM IR (or, with ``asm``, the host assembly) of a compiled program.

    ``function`` restricts the IR listing to one LLVM function (``f_<slot>``); for assembly the
    whole module is printed (the assembler output has no per-function API).
    """
    machine = _target_machine()
    module = llvm.parse_assembly(ir_text)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(machine.target_data)
    _optimise(module, machine)
    if asm:
        return str(machine.emit_assembly(module))
    if function is None:
        return str(module)
    return str(module.get_function(function))


def _native(ir_text: str) -> Any:
    """An MCJIT execution engine holding the optimised machine code of ``ir_text``."""
    machine = _target_machine()
    module = llvm.parse_assembly(ir_text)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(machine.target_data)
    module.verify()
    _optimise(module, machine)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    return engine
