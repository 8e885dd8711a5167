"""The VM: one sandbox (memory, helpers, limits) that runs programs on a chosen engine."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .errors import ProgramError
from .interpreter import Compiled, ProgramExit, compile_program
from .isa import encode
from .memory import Memory
from .program import Program

__all__ = ["ENGINES", "VM"]

#: Engines a VM can run programs on.
ENGINES = ("interpreter",)

_UNBOUNDED = 1 << 62
_MIB = 1 << 20


class VM:
    """A BPF sandbox.

    ``stack_size`` is the stack of each call frame (512 like the kernel) and
    ``max_call_depth`` the number of frames (8 like the kernel); ``max_instructions`` bounds
    every run (:class:`~bpfvm.errors.VmTrap` of kind ``BUDGET`` when exceeded).  Helpers are
    Python callables registered by id in :attr:`helpers`: they receive r1..r5 as ints and return
    r0 (``None`` counts as 0); they may use :attr:`memory` to touch guest memory and raise
    :class:`~bpfvm.interpreter.ProgramExit` to end the program.
    """

    def __init__(self, engine: str = "interpreter", *, stack_size: int = 512, max_call_depth: int = 8,
                 max_instructions: int | None = None, memory_size: int = 256 * _MIB,
                 helpers: dict[int, Callable[..., Any]] | None = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if stack_size <= 0 or stack_size % 8 or max_call_depth <= 0:
            raise ValueError("stack_size must be a positive multiple of 8 and max_call_depth positive")
        self.engine = engine
        self.stack_size = stack_size
        self.max_call_depth = max_call_depth
        self.max_instructions = max_instructions
        self.helpers: dict[int, Callable[..., Any]] = dict(helpers or {})
        self.memory = Memory(memory_size, ro_size=min(64 * _MIB, memory_size // 4),
                             stack_size=stack_size * max_call_depth)
        #: Instructions executed by the last run.
        self.instructions = 0
        self._programs: OrderedDict[bytes, Program] = OrderedDict()
        self._compiled: dict[int, Compiled] = {}

    # -- loading -----------------------------------------------------------------------------
    def program(self, code: bytes | bytearray | memoryview | Program) -> Program:
        """Decode raw bytecode into a Program (cached), or return a Program as is."""
        if isinstance(code, Program):
            return code
        key = bytes(code)
        prog = self._programs.get(key)
        if prog is None:
            prog = Program.from_bytes(key)
            self._programs[key] = prog
            if len(self._programs) > 64:
                self._programs.popitem(last=False)
        return prog

    def compile(self, program: Program) -> Compiled:
        """Compile ``program`` for this VM's engine (once per program)."""
        compiled = self._compiled.get(id(program))
        if compiled is not None and compiled.program is program:
            return compiled
        mark = self.memory.mark()
        code = self.memory.map(f"code:{program.name}", _code_bytes(program), writable=False, align=8)
        try:
            compiled = compile_program(program, self.memory, self.helpers, frame_size=self.stack_size,
                                       max_depth=self.max_call_depth, code_base=code.base)
        except BaseException:
            self.memory.release(mark)
            raise
        self._compiled[id(program)] = compiled
        return compiled

    # -- running -----------------------------------------------------------------------------
    def run(self, program: bytes | bytearray | memoryview | Program, *args: int,
            mem: bytes | bytearray | memoryview | None = None, entry: str | None = None) -> int:
        """Run ``program`` and return r0.

        With ``mem``, its bytes are copied into guest memory, r1 is their guest address and r2
        their length; a writable ``mem`` receives the final bytes back, even after a trap.
        Otherwise ``args`` (at most 5 ints) go to r1..r5.  Raises :class:`VmTrap` on a guest
        fault, :class:`DecodeError`/:class:`ProgramError` for bad programs.
        """
        prog = self.program(program)
        if mem is not None and args:
            raise ValueError("pass either mem or register arguments, not both")
        if len(args) > 5:
            raise ValueError(f"at most 5 register arguments, got {len(args)}")
        name = entry or prog.entry
        func = prog.functions.get(name)
        if func is None:
            raise ProgramError(f"no function {name!r} in {prog.name}; have {', '.join(prog.functions)}")
        compiled = self.compile(prog)
        mark = self.memory.mark()
        try:
            regs = tuple(a & 0xFFFF_FFFF_FFFF_FFFF for a in args)
            if mem is not None:
                region = self.memory.map("mem", bytes(mem), writable=True)
                regs = (region.base, region.size)
                compiled.state.packet_addr, compiled.state.packet_len = region.base, region.size
            try:
                budget = _UNBOUNDED if self.max_instructions is None else self.max_instructions
                r0, _ = compiled.call(func.start, regs, budget)
            except ProgramExit as stop:
                r0 = stop.value & 0xFFFF_FFFF_FFFF_FFFF
            finally:
                self.instructions = compiled.executed
                if mem is not None and isinstance(mem, bytearray | memoryview) and not _readonly(mem):
                    mem[:] = self.memory.buf[regs[0]:regs[0] + len(mem)]
            return r0
        finally:
            compiled.state.packet_addr = compiled.state.packet_len = 0
            self.memory.release(mark)


def _readonly(mem: bytearray | memoryview) -> bool:
    return isinstance(mem, memoryview) and mem.readonly


def _code_bytes(program: Program) -> bytes:
    return encode(program.insns)
