"""The pure-Python interpreter engine: reference semantics, compiled to Python source once.

:func:`compile_program` turns a :class:`~bpfvm.program.Program` into Python functions (see
:mod:`.codegen`) bound to one VM's memory and helpers; :class:`Compiled` runs them.  The
runtime support the generated code calls — slow-path address checks, traps, helper calls,
``callx``, packet loads, ``may_goto`` — is shared with the JIT (:mod:`bpfvm.runtime.calls`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ..memory import GUARD, Memory
from ..program import Program
from ..runtime.calls import (
    MAY_GOTO_LIMIT,
    Helper,
    LongJump,
    PacketAbort,
    ProgramExit,
    RunState,
    check_helpers,
    intrinsic_caller,
    nested_target,
    runtime_namespace,
)
from ..runtime.cancel import Cancelled, is_guest_frame, timeout_trap, watch
from ..runtime.layout import Layout
from .codegen import program_source

__all__ = ["MAY_GOTO_LIMIT", "Compiled", "ProgramExit", "RunState", "compile_program", "nested_target"]


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

    def call(self, start: int, args: tuple[int, ...], budget: int,
             timeout: float | None = None) -> tuple[int, int]:
        """Run the function at slot ``start``; return ``(r0, instructions executed)``.

        When the run ends by an exception (trap, :class:`ProgramExit`) the executed count,
        faulting instruction included, is left in :attr:`executed`.  A run longer than
        ``timeout`` seconds raises :class:`VmTrap` TIMEOUT (see :mod:`bpfvm.runtime.cancel`).
        """
        regs = (list(args) + [0] * 5)[:5]
        self.state.may_goto_left = MAY_GOTO_LIMIT
        self.state.left = budget
        try:
            if timeout is None:
                r0, left = self.functions[start](*regs, self.layout.size, budget, 0)
            else:
                r0, left = self.call_watched(self.functions[start], regs, budget, timeout)
        except PacketAbort:
            r0, left = 0, self.state.left
        except LongJump as jump:  # no live frame took it
            self.executed = budget - self.state.left
            raise jump.trap() from None
        except BaseException:
            self.executed = budget - self.state.left
            raise
        self.executed = budget - left
        return r0, self.executed

    def call_watched(self, fn: Callable[..., tuple[int, int]], regs: list[int], budget: int,
                     timeout: float) -> tuple[int, int]:
        """``fn(*regs)`` cancelled after ``timeout`` seconds (raises :class:`VmTrap` TIMEOUT)."""
        try:
            with watch(timeout):
                return fn(*regs, self.layout.size, budget, 0)
        except Cancelled as stop:
            pc, self.state.left = _stop_point(stop.__traceback__, self.state)
            raise timeout_trap(pc, timeout) from None

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


def _stop_point(tb: TracebackType | None, state: RunState) -> tuple[int, int]:
    """(pc, budget left) where a cancelled run stopped: the innermost guest frame's next block.

    The generated code keeps the current block's first slot in ``b`` and the budget in ``n``;
    without a guest frame (stopped in host code) the latest intrinsic call is the place.
    """
    where = (state.pc, state.left)
    while tb is not None:
        if is_guest_frame(tb.tb_frame):
            local = tb.tb_frame.f_locals
            where = (local.get("b", state.pc), local.get("n", state.left))
        tb = tb.tb_next
    return where


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
    check_helpers(program, helpers)
    layout = Layout(read_lo=GUARD, write_lo=memory.rw_base,
                    size=memory.size, frame_size=frame_size, max_depth=max_depth, code_base=code_base)
    source = program_source(program, layout)
    state = RunState()
    namespace = runtime_namespace(program, memory, helpers, layout, state)
    namespace["_intrinsic"] = intrinsic_caller(program, dict(intrinsics or {}), state, context)
    exec(compile(source, f"<bpf {program.name}>", "exec"), namespace)  # noqa: S102 - generated by us
    functions = {f.start: namespace[f"f_{f.start}"] for f in program.functions.values()}
    by_address = namespace["_functions"]
    by_address.update({code_base + 8 * s: fn for s, fn in functions.items()})
    return Compiled(program, layout, functions, state, source, functions_by_address=by_address)
