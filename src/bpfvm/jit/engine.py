"""The LLVM JIT engine: programs lifted to LLVM IR (:mod:`.lower`), compiled with MCJIT.

:func:`compile_program` has the interpreter's signature and returns a :class:`Compiled` with
the interpreter's behaviour (same results, traps — kind, pc, address — and instruction counts).
Native code reports traps as a status in a shared ``ctx`` array (see :mod:`.lower`); the
Python side turns a status into the very exception the interpreter raises, by calling the
shared runtime's raisers (:mod:`bpfvm.runtime.calls`).  Helpers, intrinsics, ``callx``,
packet loads and ``may_goto`` reach Python through one ctypes callback; an exception raised
there is stashed, the native code unwinds by status, and :meth:`Compiled.call` re-raises it
(the wasmtime-py trampoline pattern): no Python exception ever crosses the C boundary.

The budget reaches native code in slices of :data:`SLICE` instructions; refilling a slice is
when the deadline of ``VM(timeout=…)`` is checked and a pending Ctrl-C surfaces
(:mod:`bpfvm.runtime.cancel`).  Object code is relocatable — the host callback and libm are
linked by name when it is loaded — so it is cached on disk across processes (:mod:`.cache`);
a large compilation shows a progress bar on a terminal (:mod:`.progress`).
"""

from __future__ import annotations

import ctypes
import functools
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm

from ..errors import ProgramError, TrapKind, VmTrap
from ..memory import GUARD, Memory
from ..program import Program
from ..runtime.calls import (
    MAY_GOTO_LIMIT,
    UNBOUNDED,
    Helper,
    LongJump,
    PacketAbort,
    RunState,
    check_helpers,
    intrinsic_caller,
    invoke,
    nested_target,
    runtime_namespace,
)
from ..runtime.cancel import Cancelled, timeout_trap, watch
from ..runtime.layout import Layout
from . import cache, native
from .lower import (
    CALLBACK_ARGS,
    CTX_ADDR,
    CTX_CALL,
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
from .options import fingerprint, host_cpu
from .progress import Progress, terminal_progress

__all__ = ["LARGE_PROGRAM", "Compiled", "compile_program", "listing", "optimisation_level"]

_U64 = ctypes.c_uint64
NativeFunction = Callable[..., int]
_NATIVE_TYPE = ctypes.CFUNCTYPE(_U64, ctypes.c_void_p, ctypes.c_void_p, *[_U64] * (FUNC_ARGS - 2))
_CALLBACK_TYPE = ctypes.CFUNCTYPE(_U64, _U64)
#: The host callback's arguments, read from ctx in one call (see :func:`.lower.host_call`).
_CALL_ARGS = struct.Struct(f"<{CALLBACK_ARGS}Q").unpack_from
#: The host callback's symbol.  LLVM's symbol table is process-wide: it is pointed at the
#: callback of the program being linked just before the link (under :data:`_LINKING`), which
#: resolves every reference then; so object code never depends on the callback's address.
HOST_SYMBOL = "bpfvm.host"
_LINKING = threading.Lock()
#: Callback kinds by number: indexing is ~10x cheaper than ``Callback(kind)`` on this hot path.
_CALLBACKS: dict[int, Callback] = {int(kind): kind for kind in Callback}
_HELPER, _INTRINSIC = int(Callback.HELPER), int(Callback.INTRINSIC)
#: Code generation options (part of the cache key).
_OPT_LEVEL = 2
#: Programs of at least this many instruction slots get LLVM's O1 pipeline instead of O2.
#: On DOOM (60k slots) O2 costs 11 s of a 27 s compile and buys nothing measurable (timedemo
#: 132 vs 136 fps); on small hot kernels O2's vectoriser and unrolling matter.
LARGE_PROGRAM = 16384


def optimisation_level(program: Program) -> int:
    """The LLVM pipeline (speed level) ``program`` is optimised with: 2, or 1 if it is large."""
    return 2 if len(program.insns) < LARGE_PROGRAM else 1
#: Instructions native code gets at a time (:attr:`~.lower.Callback.REFILL`): between slices it
#: returns to Python, which checks the timeout and lets a pending Ctrl-C interrupt the run.
SLICE = 1 << 20
#: Programs with at least this many instruction slots show a progress bar on a terminal.
PROGRESS_SLOTS = 4000


@functools.cache
def _init_llvm() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()  # inline assembly (native.py)


def _target_machine() -> Any:
    """A new target machine for the host (an MCJIT engine takes ownership of its own)."""
    _init_llvm()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    cpu, features = host_cpu()
    return target.create_target_machine(cpu=cpu, features=features, opt=_OPT_LEVEL, jit=True)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


@dataclass
class Compiled:
    """A program compiled to native code for one VM (the interpreter's ``Compiled`` interface)."""

    program: Program
    layout: Layout
    state: RunState
    memory: Memory
    #: The linked program the code was generated from and its natively lowered extern calls.
    linked: Program
    natives: dict[int, str] = field(default_factory=dict, repr=False)
    #: LLVM IR, lowered on demand (see :attr:`ir`).
    ir_text: str = field(default="", repr=False)
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
    #: pc of the latest host callback (where a timeout that surfaces late is reported).
    host_pc: int = -1
    mem_base: int = 0
    #: Wall-clock limit of the current run, seconds (None: unlimited), and its deadline.
    timeout: float | None = None
    deadline: float | None = None
    #: Budget of the current run not yet handed to native code as a slice.
    reserve: int = 0

    @property
    def ir(self) -> str:
        """The LLVM IR of the program, before optimisation (lowered again after a cache hit)."""
        if not self.ir_text:
            self.ir_text = str(program_module(self.linked, self.layout, HOST_SYMBOL, self.natives))
        return self.ir_text

    # -- running -----------------------------------------------------------------------------
    def call(self, start: int, args: tuple[int, ...], budget: int,
             timeout: float | None = None) -> tuple[int, int]:
        """Run the function at slot ``start``; return ``(r0, instructions executed)``.

        When the run ends by an exception (trap, :class:`~bpfvm.interpreter.ProgramExit`) the
        executed count, faulting instruction included, is left in :attr:`executed`.  A run
        longer than ``timeout`` seconds raises :class:`VmTrap` TIMEOUT; ``KeyboardInterrupt``
        stops the native code too (see :meth:`refill`).
        """
        regs = (list(args) + [0] * 5)[:5]
        state, ctx = self.state, self.ctx
        if budget < UNBOUNDED and not self.layout.bounded:
            raise ProgramError(f"{self.program.name}: compiled for runs without an instruction budget; "
                               "give the VM max_instructions when creating it")
        # Uninterruptible code refills only at calls: it gets the whole budget at once.
        first = min(budget, SLICE) if self.layout.interruptible else budget
        self.reserve, self.timeout = budget - first, timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        state.may_goto_left, state.left = MAY_GOTO_LIMIT, first
        ctx[CTX_LEFT], ctx[CTX_STATUS], self.pending = first, Status.OK, None
        try:
            r0 = self.run_native(self.functions[start], (*regs, self.layout.size, 0))
        except BaseException:
            self.executed = budget - self.reserve - state.left
            raise
        left = ctx[CTX_LEFT]
        if ctx[CTX_STATUS] != Status.OK:
            exc = self.take_trap()
            if isinstance(exc, LongJump):  # no live frame took it
                self.executed = budget - self.reserve - state.left
                raise exc.trap()
            if isinstance(exc, Cancelled):  # delivered where host() could not catch it
                exc = timeout_trap(self.host_pc, timeout)
            if not isinstance(exc, PacketAbort):
                self.executed = budget - self.reserve - state.left
                raise exc
            r0, left = 0, state.left
        self.executed = budget - self.reserve - left
        return r0, self.executed

    def run_native(self, fn: NativeFunction, args: tuple[int, ...]) -> int:
        """``fn(mem, ctx, *args)``; with a timeout, watched (:mod:`bpfvm.runtime.cancel`).

        Native code stops itself at the deadline (see :meth:`refill`); the watch is for a run
        stuck in a host function, which gets :class:`~bpfvm.runtime.cancel.Cancelled` raised
        there (turned into the TIMEOUT trap by :meth:`host`).
        """
        if self.timeout is None:
            return int(fn(self.mem_base, ctypes.addressof(self.ctx), *args))
        try:
            with watch(self.timeout, guest_only=False):
                return int(fn(self.mem_base, ctypes.addressof(self.ctx), *args))
        except Cancelled:  # it surfaced after the native code returned
            self.ctx[CTX_STATUS] = Status.OK
            self.state.left = self.ctx[CTX_LEFT]
            raise timeout_trap(self.state.pc, self.timeout) from None

    def refill(self, pc: int, left: int, need: int) -> int:
        """Native code at ``pc`` has ``left`` of its budget slice, less than the ``need`` it may
        spend before its next refill: the new budget left (all of the budget if less).

        The budget is exact: ``left`` plus :attr:`reserve` is what remains of it.  Raises
        :class:`VmTrap` TIMEOUT past the deadline; being Python code, this is also where a
        pending ``KeyboardInterrupt`` surfaces during a long native run.
        """
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.state.left = left
            raise timeout_trap(pc, self.timeout)
        more = min(self.reserve, max(SLICE, need))
        self.reserve -= more
        return left + more

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
        if status in (Status.PENDING, Status.LONGJMP):
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
    def host(self, word: int) -> int:
        """The one entry from native code into Python (``kind | pc << 8``, the other arguments
        in ctx); never lets an exception escape."""
        pc, kind = word >> 8, word & 0xFF
        try:
            self.host_pc = pc
            arg, left, r1, r2, r3, r4, r5, r10, depth = _CALL_ARGS(self.ctx, 8 * CTX_CALL)
            if kind == _HELPER:  # the hot kinds first, compared as ints (enum lookups are slow)
                self.state.left = left
                hid = arg - (1 << 64) if arg >> 63 else arg
                fn = self.helpers.get(hid)
                if fn is not None:
                    return invoke(fn, "BPF helper", hid, pc, (r1, r2, r3, r4, r5))
            elif kind == _INTRINSIC:
                assert self.intrinsic is not None
                reserve = self.reserve  # guest calls from the intrinsic are not charged to the caller
                try:
                    return self.intrinsic(pc, left, r10, depth, r1, r2, r3, r4, r5)
                finally:
                    self.reserve = reserve
            return self.dispatch(_CALLBACKS[kind], arg, pc, left, (r1, r2, r3, r4, r5), r10, depth)
        except Cancelled:  # raised into a host function by the watch of run_native()
            self.state.left = self.ctx[CTX_CALL + 1]
            self.pending = timeout_trap(pc, self.timeout)
            self.ctx[CTX_STATUS] = Status.PENDING
            return 0
        except LongJump as jump:  # native frames unwind by status to the setjmp's (see lower)
            ctx = self.ctx
            ctx[CTX_ADDR], ctx[CTX_PC], ctx[CTX_EXTRA] = jump.r10, jump.resume, jump.value
            ctx[CTX_LEFT], ctx[CTX_STATUS], self.pending = self.state.left, Status.LONGJMP, jump
            return 0
        except BaseException as exc:  # stashed here, re-raised by call() or call_nested()
            self.stash(exc)
            return 0

    def stash(self, exc: BaseException) -> None:
        """Keep ``exc`` for call() or call_nested() to raise; native code unwinds by status."""
        self.pending = exc
        self.ctx[CTX_STATUS] = Status.PENDING

    def dispatch(self, kind: Callback, arg: int, pc: int, left: int, regs: tuple[int, ...], r10: int,
                 depth: int) -> int:
        """Do what native code asked of the host (see :class:`~bpfvm.jit.lower.Callback`)."""
        rt = self.runtime
        if kind is Callback.HELPER:
            reserve = self.reserve  # guest calls from the helper (bpf_loop) are not charged twice
            try:
                return int(rt["_helper"](_signed(arg), pc, left, r10, depth, *regs))
            finally:
                self.reserve = reserve
        if kind is Callback.INTRINSIC:
            assert self.intrinsic is not None
            reserve = self.reserve  # guest calls from the intrinsic are not charged to the caller
            try:
                return self.intrinsic(pc, left, r10, depth, *regs)
            finally:
                self.reserve = reserve
        if kind is Callback.CALLX:
            return self.callx(arg, pc, left, regs, r10, depth)
        if kind is Callback.LDPKT:
            return int(rt["_ldpkt"](arg, regs[0], pc, left))
        if kind is Callback.REFILL:
            return self.refill(pc, left, arg)
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
            r0 = int(self.runtime["_helper"](target, pc, left, r10 + self.layout.frame_size, depth, *regs))
            self.ctx[CTX_LEFT] = left
            return r0
        self.state.left = left
        raise VmTrap(TrapKind.BAD_CALL_TARGET, pc, f"callx to {target:#x}, which is no function", target)


def _optimise(module: Any, machine: Any, level: int = 2) -> None:
    options = llvm.create_pipeline_tuning_options(speed_level=level)
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
                    context: Any = None, use_cache: bool | None = None,
                    progress: Progress | None = None, bounded: bool = True,
                    interruptible: bool = True) -> Compiled:
    """Compile ``program`` to native code for ``memory`` (arguments as the interpreter's).

    The object code comes from the on-disk cache when ``use_cache`` (default: the
    ``BPFVM_JIT_CACHE`` setting, on) finds it (:mod:`.cache`).  ``progress`` reports the
    compilation (default: a progress bar on a terminal for large programs, :mod:`.progress`).
    ``bounded=False`` compiles for runs without an instruction budget (``max_instructions``),
    leaving out the code that stops a block midway (:attr:`Layout.bounded`);
    ``interruptible=False`` leaves out the budget checks at loop heads
    (:attr:`Layout.interruptible`): no timeout or Ctrl-C reaches a native loop then.

    Raises :class:`~bpfvm.errors.ProgramError` (with the pc) for calls to unregistered helpers
    and for instructions this VM cannot run (map/kfunc pseudo instructions).
    """
    check_helpers(program, helpers)
    layout = Layout(read_lo=GUARD, write_lo=memory.rw_base, size=memory.size, frame_size=frame_size,
                    max_depth=max_depth, code_base=code_base, bounded=bounded,
                    interruptible=interruptible)
    state = RunState()
    compiled = Compiled(program, layout, state, memory, program, helpers=helpers,
                        runtime=runtime_namespace(program, memory, helpers, layout, state),
                        intrinsic=intrinsic_caller(program, dict(intrinsics or {}), state, context),
                        mem_base=_host_base(memory))
    compiled.natives = native.eligible(program.externs, dict(intrinsics or {}), context)
    compiled.natives.update(native.map_sites(program, helpers))
    obj = _object_code(compiled, cache.enabled(use_cache, program), progress)
    _catch_escapes()
    thunk = _CALLBACK_TYPE(compiled.host)
    engine = _link(obj, ctypes.cast(thunk, ctypes.c_void_p).value or 0)
    compiled.keep += [engine, thunk]
    for func in program.functions.values():
        fn = _NATIVE_TYPE(engine.get_function_address(function_name(func.start)))
        compiled.functions[func.start] = fn
        compiled.functions_by_address[code_base + 8 * func.start] = fn
    return compiled


@functools.cache
def _catch_escapes() -> None:
    """Stash exceptions that escape :meth:`Compiled.host` instead of losing them.

    A signal handler's exception (Ctrl-C's KeyboardInterrupt) can be raised on entry to the
    callback, before its ``try``; ctypes then reports it to :func:`sys.unraisablehook` and
    returns garbage.  This hook stashes it like any other, so native code unwinds and the
    exception is raised when the run returns.
    """
    previous = sys.unraisablehook

    def hook(info: Any) -> None:
        owner = getattr(info.object, "__self__", None)
        if isinstance(owner, Compiled) and info.exc_value is not None:
            owner.stash(info.exc_value)
        else:
            previous(info)

    sys.unraisablehook = hook


def _object_code(compiled: Compiled, use_cache: bool, progress: Progress | None) -> bytes:
    """The relocatable object code of ``compiled``'s program: from the cache, or compiled."""
    name = None
    if use_cache:
        name = cache.key(compiled.linked, compiled.layout, compiled.natives,
                         f"O{_OPT_LEVEL}/{optimisation_level(compiled.linked)}/{fingerprint()}")
        obj = cache.load(name)
        if obj is not None:
            return obj
    program = compiled.linked
    if progress is None:
        progress = terminal_progress(program, PROGRESS_SLOTS)
    if progress is None:
        obj = _compile(str(program_module(program, compiled.layout, HOST_SYMBOL, compiled.natives)),
                       optimisation_level(program))
    else:
        with progress:
            module = program_module(program, compiled.layout, HOST_SYMBOL, compiled.natives,
                                    progress=progress.lowered)
            progress.optimising()
            obj = _compile(str(module), optimisation_level(program))
    if name is not None:
        cache.store(name, obj)
    return obj


def _compile(ir_text: str, level: int) -> bytes:
    """Optimise ``ir_text`` (pipeline ``level``) and emit host object code (relocatable:
    externals by name)."""
    machine = _target_machine()
    module = llvm.parse_assembly(ir_text)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(machine.target_data)
    module.verify()
    _optimise(module, machine, level)
    return bytes(machine.emit_object(module))


def _link(obj: bytes, host: int) -> Any:
    """An MCJIT engine holding ``obj``, its externals resolved in this process now."""
    with _LINKING:
        llvm.add_symbol(HOST_SYMBOL, host)
        native.register_symbols()
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
    return engine


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
