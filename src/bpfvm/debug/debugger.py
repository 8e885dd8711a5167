"""A source-level step debugger for BPF programs on the interpreter.

The program runs on the interpreter's *hooked* code (:data:`bpfvm.interpreter.codegen.HOOK_CALL`):
the same generated instructions as the fast path, with a call before each instruction that sees
and may change r0..r9.  The guest runs in a worker thread; when the hook decides to stop
(breakpoint, finished step, watchpoint) it hands control to the caller of :meth:`Debugger.cont`
(or ``step`` …) and waits until the next resume command — so a stop is a point *before* the
instruction at ``pc`` executes, as in gdb.

Stepping follows gdb's rules on the line table: a *statement* begins at an ``is_stmt`` row;
``step`` runs until a different line's statement begins (entering a callee: its first
statement after the prologue); returning into the middle of a caller's line continues to the
end of that line; ``next`` is ``step`` that does not stop in deeper frames; ``finish`` runs until
the current frame returns.  Frames are tracked from the hook's call depth: each frame keeps the
registers before its latest instruction (for callers: at the call), so backtraces and
variables of callee-saved registers (r6..r9) and of the stack (r10-relative) are exact.
"""

from __future__ import annotations

import dataclasses
import linecache
import queue
import re
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import BpfError, VmTrap
from ..interpreter.codegen import program_source
from ..program import Program, data_patches, link
from .expr import ADDRESS_PREFIX, ExprError, evaluate
from .info import DebugInfo, FunctionInfo, InlinedCall, TypeInfo, Variable, read_debug_info

__all__ = [
    "Breakpoint", "Debugger", "DebuggerError", "Frame", "Location", "Stop", "Watchpoint", "format_value",
]

_M64 = (1 << 64) - 1


class DebuggerError(BpfError):
    """A debugger command that cannot be done now (no such location, program not running …)."""


class _Killed(BaseException):  # noqa: N818 - unwinds the guest thread, not an error
    """Raised by the hook to end the guest run when the session is closed or restarted."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where the program is: source position (empty/0 without line information), function, slot."""

    file: str
    line: int
    function: str
    pc: int

    def __str__(self) -> str:
        where = f"{_short(self.file)}:{self.line}" if self.line else "??"
        return f"{self.function} ({where}) pc={self.pc}"


@dataclass(frozen=True, slots=True)
class Frame:
    """One call frame: level 0 is the innermost.  ``regs`` are r0..r10 before the frame's latest
    instruction (for a caller: its call instruction, so r6..r10 are its own)."""

    level: int
    location: Location
    regs: tuple[int, ...]
    #: An intrinsic (``qsort`` …) that called the next inner frame: ``location.function`` names
    #: it, ``location.pc`` is the call; it has no source position, registers or variables.
    intrinsic: bool = False
    #: The frame of a call the compiler inlined (DWARF ``DW_TAG_inlined_subroutine``): it shares
    #: the pc and registers of the frame of the out-of-line function that holds its code.
    inlined: bool = False


@dataclass
class Breakpoint:
    """A breakpoint: its number, what was asked (``spec``), the slots it stops at, its condition."""

    number: int
    spec: str
    pcs: tuple[int, ...]
    condition: str | None = None
    enabled: bool = True
    temporary: bool = False
    hits: int = 0


@dataclass
class Watchpoint:
    """A write watchpoint on ``size`` bytes of guest memory at ``address``."""

    number: int
    spec: str
    address: int
    size: int
    old: bytes = b""
    hits: int = 0


@dataclass(frozen=True)
class Stop:
    """Why and where the program stopped.

    ``reason`` is ``"breakpoint"``, ``"watchpoint"``, ``"step"`` (stepi/step/next/until ended),
    ``"finish"`` (``value`` is the returned r0), ``"exited"`` (``exit_code``), ``"trap"`` (the
    :class:`~bpfvm.errors.VmTrap` in ``trap``; ``location`` is the faulting instruction) or
    ``"error"`` (a host exception in ``error``), ``"interrupted"`` (:meth:`Debugger.interrupt`) or
    ``"killed"`` (the run was ended by :meth:`Debugger.close` or a new :meth:`Debugger.run`).
    """

    reason: str
    location: Location | None = None
    number: int | None = None
    exit_code: int | None = None
    trap: VmTrap | None = None
    error: BaseException | None = None
    value: int | None = None
    detail: str = ""

    @property
    def alive(self) -> bool:
        """Whether the program can still continue."""
        return self.reason not in ("exited", "trap", "error", "killed")


@dataclass
class _Mode:
    """What the hook is running for: ``kind`` stepi/step/next/finish/run, and the reference frame."""

    kind: str
    depth: int = 0
    line: tuple[str, int] | None = None
    file_line_pc: int = -1
    #: Inlined calls enclosing the pc where a step/next began (``next`` steps over deeper ones).
    nesting: int = 0
    #: The inlined call a ``finish`` runs out of.
    call: InlinedCall | None = None


@dataclass
class _Guest:
    """The worker thread and its channels."""

    thread: threading.Thread
    to_guest: queue.Queue[str] = field(default_factory=queue.Queue)
    to_host: queue.Queue[Stop] = field(default_factory=queue.Queue)


class Debugger:
    """Debug ``program`` in ``vm`` (an interpreter VM): breakpoints, stepping, registers, memory.

    The program runs as ``vm.run_main`` runs it when it has a ``main`` (``argv`` default: its
    name) or ``entry`` is ``"main"``, else as ``vm.run(program, *args, mem=mem, entry=entry)``,
    or as ``runner()`` does when given (a kernel program: ``vm.test_run`` on a packet, an event).
    ``elf`` is the object's bytes, for DWARF variables and statement boundaries (default:
    ``program.name`` read as a path, if it exists) — for a program linked from several objects,
    their bytes in link order. Nothing runs until :meth:`run`, :meth:`cont` or a step; every one of
    those returns the :class:`Stop` it ended with. Raises :class:`DebuggerError` for a VM that does
    not run the interpreter.
    """

    def __init__(self, vm: Any, program: Program, *, entry: str | None = None,
                 argv: Sequence[str] | None = None, args: Sequence[int] = (),
                 mem: bytes | None = None, elf: bytes | Sequence[bytes] | None = None,
                 runner: Callable[[], int] | None = None) -> None:
        if vm.engine != "interpreter":
            raise DebuggerError("the debugger runs programs on the interpreter engine")
        self.vm = vm
        self.program = program
        self.entry = entry
        self.argv = list(argv) if argv is not None else None
        self.args = tuple(args)
        self.mem = mem
        #: What a run does instead of main/entry (``lambda: vm.test_run(prog, data=p).retval``):
        #: any way of running the program in ``vm`` — an XDP program on a packet, a tracepoint.
        self.runner = runner
        self.info: DebugInfo = read_debug_info(elf if elf is not None else _read(program.name), program)
        #: pc → (file, line) of every instruction (DWARF, else BTF line_info).
        self.lines = self.info.lines
        self.statements = self._statement_slots()
        self.breakpoints: dict[int, Breakpoint] = {}
        self.watchpoints: dict[int, Watchpoint] = {}
        self.stop: Stop | None = None
        self.selected = 0  #: frame level that variables and registers refer to
        self._numbers = 0
        self._bp_pcs: dict[int, list[Breakpoint]] = {}
        self._until: Breakpoint | None = None
        self._frames: list[tuple[int, int, tuple[int, ...]]] = []
        self._depth = 0
        #: Inlined calls entered exactly at the innermost frame's pc that are not shown yet (gdb's
        #: skip_inline_frames: a ``step`` reveals them one at a time without running).
        self._hidden = 0
        self._target: str | None = None  #: the function a breakpoint that just hit was set on
        self._regs: list[int] = [0] * 11
        self._mode = _Mode("run")
        self._slow = False
        self._in_hook = False  #: evaluating a breakpoint condition inside the guest thread
        self._interrupt = False
        self._killing = False
        self._guest: _Guest | None = None
        self._restore: Callable[[], None] | None = None
        self._install()

    # -- setup -----------------------------------------------------------------------------------
    def _statement_slots(self) -> set[int]:
        """Slots where a statement begins (outside prologues); without DWARF rows, line changes."""
        prologues = {pc for f in self.info.functions.values() for pc in range(f.start, f.body)}
        if self.info.rows:
            return self.info.statements - prologues
        lines = self.lines
        return {pc for pc in lines if lines.get(pc - 1) != lines[pc] and pc not in prologues}

    def _install(self) -> None:
        """Compile the program in the VM, then swap in hooked functions (undone by :meth:`close`)."""
        compiled = self.vm.compile(self.program)
        namespace = dict(next(iter(compiled.functions.values())).__globals__)
        linked = dataclasses.replace(self.program, insns=link(self.program, self._addresses()))
        source = program_source(linked, compiled.layout, hooked=True)
        namespace["_hook"] = self._hook
        exec(compile(source, f"<bpf {self.program.name} (debug)>", "exec"), namespace)  # noqa: S102
        hooked = {s: namespace[f"f_{s}"] for s in compiled.functions}
        base = compiled.layout.code_base
        saved_functions, saved_addresses = dict(compiled.functions), dict(compiled.functions_by_address)
        compiled.functions.update(hooked)
        compiled.functions_by_address.update({base + 8 * s: fn for s, fn in hooked.items()})

        def restore() -> None:
            compiled.functions.update(saved_functions)
            compiled.functions_by_address.update(saved_addresses)

        self._restore = restore

    def _addresses(self) -> dict[str, int]:
        addresses: dict[str, int] = self.vm._addresses[id(self.program)]  # noqa: SLF001 - placement facts
        return addresses

    # -- the hook (guest thread) --------------------------------------------------------------------
    def _hook(self, pc: int, d: int, r10: int, *regs: int) -> tuple[int, ...]:
        frames = self._frames
        if d < len(frames):
            frames[d] = (pc, r10, regs)
        else:
            frames.append((pc, r10, regs))
        self._depth = d
        if self._slow or pc in self._bp_pcs:
            reason = self._should_stop(pc, d)
            if reason is not None:
                return self._pause(reason, pc, d, r10, regs)
        return regs

    def _pause(self, stop: Stop, pc: int, d: int, r10: int, regs: tuple[int, ...]) -> tuple[int, ...]:
        self._regs = [*regs, r10]
        self._hidden = self._hidden_at(pc, self._target)
        self._target = None
        if stop.location is not None:
            stop = dataclasses.replace(stop, location=self._frame_location(pc, self._hidden))
        guest = self._guest
        assert guest is not None  # noqa: S101 - the hook only runs inside a guest thread
        guest.to_host.put(stop)
        if guest.to_guest.get() == "kill":
            raise _Killed
        return tuple(self._regs[:10])

    def _should_stop(self, pc: int, d: int) -> Stop | None:
        """The stop this instruction causes, if any (breakpoints first, then watchpoints, then the mode)."""
        if self._killing:
            raise _Killed
        if self._interrupt:
            self._interrupt = False
            self._update_slow()
            return Stop("interrupted", self.location_of(pc))
        hit = self._breakpoint_hit(pc)
        if hit is not None:
            return hit
        watch = self._watch_hit(pc)
        if watch is not None:
            return watch
        mode = self._mode
        kind = mode.kind
        if kind == "stepi":
            return Stop("step", self.location_of(pc))
        if kind == "finish":
            if d >= mode.depth:
                return None
            return Stop("finish", self.location_of(pc), value=self._frames[d][2][0])
        if kind == "finish-inline":
            if d > mode.depth or (d == mode.depth and mode.call is not None and pc in mode.call):
                return None
            return Stop("finish", self.location_of(pc), detail="inlined")
        if kind in ("step", "next"):
            return self._step_stop(mode, pc, d)
        return None

    def _step_stop(self, mode: _Mode, pc: int, d: int) -> Stop | None:
        here = self.lines.get(pc)
        if d > mode.depth:
            if mode.kind == "step" and pc in self.statements:
                return Stop("step", self.location_of(pc))
            return None
        nesting = len(self._chain(pc)) if d == mode.depth else 0
        if mode.kind == "next" and nesting > mode.nesting:
            return None  # inside an inlined call made from the line being stepped over
        if pc in self.statements and here != mode.line:
            return Stop("step", self.location_of(pc))
        if d < mode.depth:  # returned into the middle of a caller's line: finish that line
            mode.depth, mode.line, mode.nesting = d, here, len(self._chain(pc))
        mode.nesting = min(mode.nesting, nesting) if d == mode.depth else mode.nesting
        return None

    def _breakpoint_hit(self, pc: int) -> Stop | None:
        for bp in self._bp_pcs.get(pc, ()):
            if not bp.enabled or (bp.condition and not self._condition(bp.condition, pc, bp.spec.strip())):
                continue
            bp.hits += 1
            self._target = bp.spec.strip()
            if bp.number == 0:  # run_to's target
                return Stop("step", self.location_of(pc), detail="until")
            if bp.temporary:
                self.delete(bp.number)
            return Stop("breakpoint", self.location_of(pc), number=bp.number,
                        detail="temporary" if bp.temporary else "")
        return None

    def _condition(self, text: str, pc: int, target: str) -> bool:
        """Evaluate a breakpoint condition in the innermost frame (for a breakpoint on a function
        that is inlined here, in the frame of that inlined call)."""
        pc_, r10, regs = self._frames[self._depth]
        self._regs = [*regs, r10]
        self._in_hook = True
        saved = self.selected, self._hidden
        self.selected, self._hidden = 0, self._hidden_at(pc, target)
        try:
            return bool(self._evaluate_in(text, self._depth))
        except BpfError:
            return True  # like gdb: a condition that cannot be evaluated stops
        finally:
            self._in_hook = False
            self.selected, self._hidden = saved

    def _watch_hit(self, pc: int) -> Stop | None:
        for wp in self.watchpoints.values():
            new = bytes(self.vm.memory.buf[wp.address:wp.address + wp.size])
            if new != wp.old:
                old, wp.old = wp.old, new
                wp.hits += 1
                detail = f"Old value = {_le(old)}\nNew value = {_le(new)}"
                return Stop("watchpoint", self.location_of(pc), number=wp.number, detail=detail)
        return None

    def _update_slow(self) -> None:
        self._slow = self._mode.kind not in ("run", "start") or bool(self.watchpoints) or self._interrupt

    def interrupt(self) -> None:
        """Ask the running program to stop before its next instruction (from another thread, like
        gdb's ctrl-C); the pending :meth:`cont` or step returns a stop of reason ``"interrupted"``."""
        self._interrupt = self._slow = True

    # -- the guest thread -------------------------------------------------------------------------
    def _start(self) -> None:
        self._kill()
        self._reset_data()
        self._frames, self._depth, self._hidden = [], 0, 0
        guest = _Guest(threading.Thread(target=self._guest_main, name="bpfvm-debug", daemon=True))
        self._guest = guest
        for wp in self.watchpoints.values():
            wp.old = bytes(self.vm.memory.buf[wp.address:wp.address + wp.size])
        guest.thread.start()

    def _guest_main(self) -> None:
        guest = self._guest
        assert guest is not None  # noqa: S101
        try:
            code = self._run_program()
        except _Killed:
            guest.to_host.put(Stop("killed"))
            return
        except VmTrap as trap:
            pc = trap.pc if trap.pc >= 0 else self._frames[self._depth][0] if self._frames else 0
            guest.to_host.put(Stop("trap", self.location_of(pc), trap=trap, detail=str(trap)))
            return
        except BaseException as exc:  # noqa: BLE001 - reported to the host as the stop reason
            guest.to_host.put(Stop("error", error=exc, detail=f"{type(exc).__name__}: {exc}"))
            return
        guest.to_host.put(Stop("exited", exit_code=code))

    def _run_program(self) -> int:
        vm, program = self.vm, self.program
        if self.runner is not None:
            return int(self.runner())
        entry = self.entry or ("main" if "main" in program.functions and not self.args and self.mem is None
                               else None)
        if entry == "main":
            argv = self.argv if self.argv is not None else [program.name]
            return int(vm.run_main(program, argv))
        mem = bytearray(self.mem) if self.mem is not None else None
        return int(vm.run(program, *self.args, mem=mem, entry=entry))

    def _reset_data(self) -> None:
        """Put the program's data segments back to their initial contents (a fresh ``run``)."""
        addresses = self._addresses()
        buf = self.vm.memory.buf
        for seg in self.program.segments:
            if seg.writable and seg.name in addresses:
                buf[addresses[seg.name]:addresses[seg.name] + len(seg.data)] = seg.data
        for address, data in data_patches(self.program, addresses):
            buf[address:address + len(data)] = data

    def _resume(self, mode: _Mode) -> Stop:
        self._mode = mode
        self._update_slow()
        if self._guest is None or not self._running():
            if self.stop is not None and not self.stop.alive and mode.kind != "start":
                raise DebuggerError("The program is not being run.")
            self._start()
        else:
            self._guest.to_guest.put("resume")
        guest = self._guest
        assert guest is not None  # noqa: S101
        stop = guest.to_host.get()
        self.stop = stop
        self.selected = 0
        if not stop.alive and guest.thread is not threading.current_thread():
            guest.thread.join()
        return stop

    def _running(self) -> bool:
        return self._guest is not None and self._guest.thread.is_alive()

    def _kill(self) -> None:
        guest = self._guest
        if guest is not None and guest.thread.is_alive():
            self._killing = self._slow = True  # a running guest stops at its next instruction
            guest.to_guest.put("kill")  # a paused one when it reads this
            guest.thread.join()
            self._killing = False
        self._guest = None

    def close(self) -> None:
        """End the guest run (if any) and give the VM its unhooked code back."""
        self._kill()
        if self._restore is not None:
            self._restore()
            self._restore = None

    def __enter__(self) -> Debugger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- execution commands -----------------------------------------------------------------------
    @property
    def started(self) -> bool:
        """Whether the program is stopped inside a run (it can be stepped and examined)."""
        return self._running() and self.stop is not None and self.stop.alive

    def run(self) -> Stop:
        """Start the program from the beginning (killing a current run); stop at a breakpoint or end."""
        self._kill()
        return self._resume(_Mode("start"))

    def cont(self) -> Stop:
        """Continue (start the program if it is not running) until a breakpoint, watchpoint or the end."""
        return self._resume(_Mode("run"))

    def stepi(self) -> Stop:
        """Execute one instruction."""
        self._need_stop()
        return self._resume(_Mode("stepi"))

    def step(self) -> Stop:
        """Run to the next source line, entering calls (gdb ``step``).  At the entry of an
        inlined call that is not shown yet, show its frame instead, without running."""
        self._need_stop()
        if self._hidden and self.stop is not None and self.stop.alive:
            self._hidden -= 1
            self.selected = 0
            self.stop = Stop("step", self._frame_location(self._frames[self._depth][0], self._hidden))
            return self.stop
        return self._line_step("step")

    def next(self) -> Stop:
        """Run to the next source line of this frame or a caller, over calls (gdb ``next``)."""
        return self._line_step("next")

    def _line_step(self, kind: str) -> Stop:
        self._need_stop()
        pc = self._frames[self._depth][0]
        line = self.lines.get(pc)
        if self._hidden:  # the line being stepped is the call site of the hidden inlined calls
            shown = self._frame_location(pc, self._hidden)
            line = (shown.file, shown.line)
        nesting = len(self._chain(pc)) - self._hidden
        return self._resume(_Mode(kind, self._depth, line, nesting=nesting))

    def finish(self) -> Stop:
        """Run until the selected frame returns; the stop's ``value`` is the returned r0 (None
        for the frame of an inlined call: it has no return of its own)."""
        self._need_stop()
        depth = self._selected_depth()
        call = self._selected_call()
        if call is not None:
            return self._resume(_Mode("finish-inline", depth, call=call))
        if depth == 0:
            raise DebuggerError('"finish" not meaningful in the outermost frame.')
        return self._resume(_Mode("finish", depth))

    def run_to(self, spec: str) -> Stop:
        """Continue to ``spec`` (a location, as for :meth:`break_at`): gdb ``until``/``advance``."""
        self._until = Breakpoint(0, spec, self.resolve(spec), temporary=True)
        self._index_breakpoints()
        try:
            return self.cont()
        finally:
            self._until = None
            self._index_breakpoints()

    def _need_stop(self) -> None:
        if not self.started:
            raise DebuggerError("The program is not being run.")

    # -- breakpoints and watchpoints ----------------------------------------------------------------
    def break_at(self, spec: str, condition: str | None = None, *, temporary: bool = False) -> Breakpoint:
        """Set a breakpoint at ``FILE:LINE``, ``LINE`` (current file), a function name or ``*PC``.

        Raises :class:`DebuggerError` when the location has no code.
        """
        if condition is not None:
            evaluate(condition, lambda name: 0)  # syntax check now, not at the first hit
        self._numbers += 1
        bp = Breakpoint(self._numbers, spec, self.resolve(spec), condition, temporary=temporary)
        self.breakpoints[bp.number] = bp
        self._index_breakpoints()
        return bp

    def watch(self, spec: str, size: int | None = None) -> Watchpoint:
        """Stop when the bytes of variable ``spec`` (or at the address ``spec`` evaluates to;
        ``size`` bytes, default 8) change.  Raises :class:`DebuggerError` for an unknown variable."""
        address, width = self._watch_target(spec, size)
        self._numbers += 1
        wp = Watchpoint(self._numbers, spec, address, width,
                        bytes(self.vm.memory.buf[address:address + width]))
        self.watchpoints[wp.number] = wp
        self._update_slow()
        return wp

    def _watch_target(self, spec: str, size: int | None) -> tuple[int, int]:
        text = spec.strip()
        if text.isidentifier() and not _register(text):
            place = self._variable_place(text)
            if place is not None:
                return place
        try:
            return self.evaluate(text) & _M64, size or 8
        except BpfError as exc:
            raise DebuggerError(f"cannot watch {spec!r}: {exc}") from exc

    def delete(self, number: int) -> None:
        """Delete breakpoint or watchpoint ``number``.  Raises :class:`DebuggerError` if there is none."""
        if self.breakpoints.pop(number, None) is None and self.watchpoints.pop(number, None) is None:
            raise DebuggerError(f"No breakpoint number {number}.")
        self._index_breakpoints()
        self._update_slow()

    def _index_breakpoints(self) -> None:
        index: dict[int, list[Breakpoint]] = {}
        for bp in [*self.breakpoints.values(), *([self._until] if self._until is not None else [])]:
            for pc in bp.pcs:
                index.setdefault(pc, []).append(bp)
        self._bp_pcs = index

    def resolve(self, spec: str) -> tuple[int, ...]:
        """The slots of a location spec (see :meth:`break_at`).  Raises :class:`DebuggerError`."""
        text = spec.strip()
        if text.startswith("*"):
            return (self._pc_spec(text[1:]),)
        if text in self.info.functions or self.info.inlined_calls(text):
            return self._function_pcs(text)
        file, sep, line = text.rpartition(":")
        if not line.isdigit():
            raise DebuggerError(f'Function "{text}" not defined.')
        if not sep:
            file = self.location.file if self.started else self.default_file()
        return self._line_pcs(file, int(line))

    def _function_pcs(self, name: str) -> tuple[int, ...]:
        """Where ``break NAME`` stops: after the prologue of the out-of-line function (if there
        is one) and at the entry of each inlined instance, as gdb places its locations."""
        pcs = {call.entry for call in self.info.inlined_calls(name)}
        func = self.info.functions.get(name)
        if func is not None:
            pcs.add(func.body)
        return tuple(sorted(pcs))

    def _pc_spec(self, text: str) -> int:
        try:
            pc = int(text, 0)
        except ValueError as exc:
            raise DebuggerError(f"bad instruction index {text!r}") from exc
        if pc not in self.program._by_pc:  # noqa: SLF001
            raise DebuggerError(f"no instruction starts at slot {pc}")
        return pc

    def resolve_quietly(self, spec: str) -> tuple[int, ...]:
        """:meth:`resolve`, but no slots instead of an error."""
        try:
            return self.resolve(spec)
        except DebuggerError:
            return ()

    def default_file(self) -> str:
        """The source file of the entry function (what ``list`` and ``break LINE`` use first)."""
        main = self.info.functions.get(self.entry or "main") or next(iter(self.info.functions.values()), None)
        return main.file if main is not None else ""

    def _line_pcs(self, file: str, line: int) -> tuple[int, ...]:
        """gdb's choice: the statement rows of ``line`` (else the next line that has code), the
        lowest slot per function."""
        rows = [r for r in self.info.rows if r.is_stmt and r.line >= line and _same_file(r.file, file)]
        if not rows and not self.info.rows:
            rows_pcs = sorted(pc for pc, (f, n) in self.lines.items()
                              if n >= line and _same_file(f, file))
            best = min((self.lines[pc][1] for pc in rows_pcs), default=None)
            pcs = [pc for pc in rows_pcs if self.lines[pc][1] == best and pc in self.statements]
        else:
            best = min((r.line for r in rows), default=None)
            pcs = sorted(r.pc for r in rows if r.line == best)
        if not pcs:
            raise DebuggerError(f"No line {line} in file \"{file}\".")
        per_function: dict[str, int] = {}
        for pc in pcs:
            per_function.setdefault(self.program.function_at(pc).name, pc)
        return tuple(sorted(per_function.values()))

    # -- state --------------------------------------------------------------------------------------
    def location_of(self, pc: int, function: str | None = None) -> Location:
        """The source position and function of slot ``pc``: the innermost inlined call there, or
        with ``function``, the frame of that function (an inlined call of it) if it holds ``pc``."""
        return self._frame_location(pc, self._hidden_at(pc, function) if function else 0)

    def _frame_location(self, pc: int, level: int, chain: list[InlinedCall] | None = None) -> Location:
        """Where the ``level``-th frame at slot ``pc`` is, counting from the innermost inlined call
        there (``level == len(chain)``: the out-of-line function): an inlined call's caller is at
        the call site."""
        chain = self._chain(pc) if chain is None else chain
        name = chain[level].name if level < len(chain) else self.program.function_at(pc).name
        if level == 0:
            file, line = self.lines.get(pc, ("", 0))
        else:
            file, line = chain[level - 1].call_file, chain[level - 1].call_line
        return Location(file, line, name, pc)

    def _chain(self, pc: int) -> list[InlinedCall]:
        """The inlined calls whose code holds slot ``pc``, innermost first."""
        func = self._function_info(pc)
        return func.inline_chain(pc) if func is not None else []

    def _hidden_at(self, pc: int, target: str | None) -> int:
        """How many innermost inlined calls at ``pc`` are entered exactly there and so not shown
        yet — all of them, or down to the one of function ``target`` (a breakpoint's)."""
        hidden = 0
        for call in self._chain(pc):
            if call.entry != pc or call.name == target:
                break
            hidden += 1
        return hidden

    @property
    def location(self) -> Location:
        """Where the selected frame is.  Raises :class:`DebuggerError` when not stopped in a run."""
        return self.frame().location

    @property
    def pc(self) -> int:
        """The selected frame's instruction slot."""
        return self.location.pc

    def frame(self, level: int | None = None) -> Frame:
        """Frame ``level`` (default: the selected one).  Raises :class:`DebuggerError`."""
        frames = self.backtrace()
        level = self.selected if level is None else level
        if not 0 <= level < len(frames):
            raise DebuggerError(f"No frame at level {level}.")
        return frames[level]

    def backtrace(self) -> list[Frame]:
        """The call frames, innermost first (BPF-to-BPF calls and guest calls made by intrinsics)."""
        stop = self.stop
        if stop is None or not self._frames or stop.reason in ("exited", "error") or (
                stop.alive and not self._running()):
            raise DebuggerError("No stack.")
        out: list[Frame] = []
        for level, (depth, k) in enumerate(self._levels()):
            if depth is None:  # the intrinsic that the next inner frame was called from
                pc = self._caller_pc(out)
                out.append(Frame(level, Location("", 0, self.program.externs[pc], pc), (), intrinsic=True))
                continue
            pc, r10, regs = self._frames[depth]
            if depth == self._depth and stop.alive:
                values = tuple(self._regs)
            else:
                values = (*regs, r10)
            chain = self._chain(pc)
            out.append(Frame(level, self._frame_location(pc, k, chain), values, inlined=k < len(chain)))
        return out

    def _levels(self) -> list[tuple[int | None, int]]:
        """Frame level → (call depth, inline level): the depth is None for an intrinsic between
        a guest callback and its caller; the inline level counts the inlined calls at that
        depth's pc from the innermost (their number: the out-of-line function's own frame)."""
        out: list[tuple[int | None, int]] = []
        for depth in range(self._depth, -1, -1):
            pc = self._frames[depth][0]
            if depth < self._depth and pc in self.program.externs:
                out.append((None, 0))
            first = self._hidden if depth == self._depth else 0
            out.extend((depth, k) for k in range(first, len(self._chain(pc)) + 1))
        return out

    def _caller_pc(self, inner: list[Frame]) -> int:
        """The extern call of the depth below the innermost frame listed so far."""
        depth = self._depth - sum(1 for f in inner if not f.intrinsic)
        return self._frames[depth][0]

    def _selected_depth(self) -> int:
        """The call depth of the selected frame.  Raises :class:`DebuggerError` for an intrinsic."""
        if not self._frames:
            return self._depth
        levels = self._levels()
        depth = levels[self.selected][0] if self.selected < len(levels) else None
        if depth is None:
            raise DebuggerError("No symbol table info available (the frame is an intrinsic).")
        return depth

    def _selected_call(self) -> InlinedCall | None:
        """The inlined call whose frame is selected (None: an out-of-line function's frame)."""
        return self._scope_call(self._selected_depth())

    def _scope_call(self, depth: int) -> InlinedCall | None:
        """The inlined call whose variables are in scope at call depth ``depth``: the selected
        frame's if it is at that depth, else the innermost one shown there."""
        if not self._frames:
            return None
        levels = self._levels()
        selected = levels[self.selected] if self.selected < len(levels) else (None, 0)
        k = selected[1] if selected[0] == depth else (self._hidden if depth == self._depth else 0)
        chain = self._chain(self._frames[depth][0])
        return chain[k] if k < len(chain) else None

    def select(self, level: int) -> Frame:
        """Select frame ``level`` for registers and variables (gdb ``frame N``)."""
        frame = self.frame(level)
        self.selected = level
        return frame

    @property
    def regs(self) -> _Registers:
        """r0..r10 of the selected frame; assigning to one of the innermost frame changes it."""
        return _Registers(self)

    def set_register(self, index: int, value: int) -> None:
        """Write r0..r9 of the innermost frame.  Raises :class:`DebuggerError` otherwise."""
        if not self.started or self.selected != 0:
            raise DebuggerError("registers can only be written in the innermost frame of a stopped program")
        if not 0 <= index <= 9:
            raise DebuggerError("r10 (the frame pointer) is read-only")
        self._regs[index] = value & _M64

    # -- memory -------------------------------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        """Guest memory.  Raises :class:`~bpfvm.errors.VmTrap` for addresses outside it."""
        data: bytes = self.vm.memory.read(address & _M64, size)
        return data

    def write(self, address: int, data: bytes) -> None:
        """Write guest memory (read-only regions included, as a debugger may)."""
        address &= _M64
        self.vm.memory.check(address, len(data), write=False)
        self.vm.memory.buf[address:address + len(data)] = data

    # -- expressions and variables ------------------------------------------------------------------
    def evaluate(self, text: str) -> int:
        """Evaluate a C-like expression (registers, ``pc``, variables) in the selected frame."""
        return self._evaluate_in(text, self._selected_depth())

    def _evaluate_in(self, text: str, depth: int) -> int:
        return evaluate(text, lambda name: self._name_value(name, depth))

    def _name_value(self, name: str, depth: int) -> int:
        if name.startswith(ADDRESS_PREFIX):
            place = self._variable_place(name[len(ADDRESS_PREFIX):], depth)
            if place is None:
                raise ExprError(f'No symbol "{name[len(ADDRESS_PREFIX):]}" in current context.')
            return place[0]
        index = _register(name)
        if index is not None or name == "pc":
            if not self._has_stack():
                raise DebuggerError("No registers.")
            return self._frame_regs(depth)[index] if index is not None else self._frames[depth][0]
        if "->" in name or "." in name:
            return self._member_value(name, depth)
        value = self.variable(name, depth=depth)
        if value is None:
            raise ExprError(f'No symbol "{name}" in current context.')
        return value

    def _member_value(self, path: str, depth: int) -> int:
        """The value of ``base->member.member…`` (DWARF member offsets and types); a struct or
        array member's value is its address, as for variables."""
        parts = re.split(r"\s*(->|\.)\s*", path.strip())
        base = parts[0]
        found = [v for v in self._visible(depth) if v.name == base] if self._frames else []
        vtype = found[-1].type if found else self.info.globals.get(base)
        value = self._name_value(base, depth)
        for op, name in zip(parts[1::2], parts[2::2]):
            record = vtype.pointee() if op == "->" and vtype is not None else vtype
            if record is None or record.kind != "struct":
                what = "a pointer to a struct or union" if op == "->" else "a struct or union"
                raise ExprError(f"{path}: the left of {op}{name} is not {what}")
            member = record.member(name)
            if member is None:
                raise ExprError(f"There is no member named {name}.")
            offset, vtype = member
            address = (value + offset) & _M64
            size = vtype.size if vtype.size in (1, 2, 4, 8) else 8
            value = address if vtype.kind in ("struct", "array") else \
                _convert(self.vm.memory.load(address, size), vtype, size)
        return value

    def _frame_regs(self, depth: int) -> list[int]:
        if depth == self._depth:
            return self._regs
        pc, r10, regs = self._frames[depth]
        return [*regs, r10]

    def _has_stack(self) -> bool:
        stop = self.stop
        if self._in_hook:
            return True
        return bool(self._frames) and stop is not None and (self.started or stop.reason == "trap")

    def _visible(self, depth: int) -> list[Variable]:
        if not self._has_stack():
            return []
        pc = self._frames[depth][0]
        func = self._function_info(pc)
        if func is None:
            return []
        call = self._scope_call(depth)
        return [v for v in (call.variables if call is not None else func.variables) if v.visible(pc)]

    def _function_info(self, pc: int) -> FunctionInfo | None:
        return self.info.functions.get(self.program.function_at(pc).name)

    def locals(self) -> dict[str, int | None]:
        """Parameters and locals in scope in the selected frame (None: optimised out here)."""
        self.frame()  # raises when there is no stack
        depth = self._selected_depth()
        out: dict[str, int | None] = {}
        for var in self._visible(depth):
            if not var.name.startswith("__bpfvm"):
                out[var.name] = self._read_variable(var, depth)
        return out

    def variable(self, name: str, *, depth: int | None = None) -> int | None:
        """Value of variable ``name`` in the selected frame (innermost scope wins), else of a
        global.  None if the name is unknown; raises :class:`DebuggerError` if it is optimised out."""
        depth = self._selected_depth() if depth is None else depth
        candidates = [v for v in self._visible(depth) if v.name == name]
        if candidates:
            value = self._read_variable(candidates[-1], depth)
            if value is None:
                raise DebuggerError(f"{name} = <optimized out>")
            return value
        return self._global(name)

    def set_variable(self, name: str, value: int) -> None:
        """Assign a variable of the innermost frame that lives in a register or in memory, or a
        global.  Raises :class:`DebuggerError` when it has no location to write."""
        depth = self._selected_depth()
        found = [v for v in self._visible(depth) if v.name == name] if self._frames else []
        if found:
            var = found[-1]
            size = var.type.size if var.type.size in (1, 2, 4, 8) else 8
            ops = var.location(self._frames[depth][0]) or ()
            first = ops[0].op_name if ops else ""
            if len(ops) == 1 and first.startswith("DW_OP_reg") and first != "DW_OP_regx":
                self.set_register(int(first[9:]), value)
                return
            loc = self._locate(var, depth)
            if loc is None or loc[0] != "mem":
                raise DebuggerError(f"cannot assign to {name}: it has no location here")
            self.vm.memory.store(loc[1], size, value & ((1 << (8 * size)) - 1))
            return
        sym = self.program.symbols.get(name)
        if sym is None or sym.segment == "code" or sym.size not in (1, 2, 4, 8):
            raise DebuggerError(f'No symbol "{name}" in current context.')
        address = self.vm.address_of(self.program, name)
        self.write(address, (value & ((1 << (8 * sym.size)) - 1)).to_bytes(sym.size, "little"))

    def type_of(self, name: str) -> TypeInfo | None:
        """The type of variable ``name`` as the selected frame sees it (None: unknown)."""
        depth = self._selected_depth()
        found = [v for v in self._visible(depth) if v.name == name] if self._frames else []
        return found[-1].type if found else self.info.globals.get(name)

    def _global(self, name: str) -> int | None:
        sym = self.program.symbols.get(name)
        if sym is None or sym.segment == "code":
            return None
        address = self.vm.address_of(self.program, name)
        vtype = self.info.globals.get(name)
        size = vtype.size if vtype is not None and vtype.size in (1, 2, 4, 8) else sym.size
        if size not in (1, 2, 4, 8):
            return address
        return _convert(self.vm.memory.load(address, size), vtype, size)

    def _variable_place(self, name: str, depth: int | None = None) -> tuple[int, int] | None:
        """(address, size) of a memory-resident variable (of the frame at ``depth``; default: the
        selected one) or global."""
        if self._frames:
            depth = self._selected_depth() if depth is None else depth
            for var in reversed(self._visible(depth)):
                if var.name == name:
                    loc = self._locate(var, depth)
                    if loc is not None and loc[0] == "mem":
                        return loc[1], var.type.size or 8
                    raise DebuggerError(f"{name} is not in memory here")
        sym = self.program.symbols.get(name)
        if sym is not None and sym.segment != "code":
            return self.vm.address_of(self.program, name), sym.size or 8
        return None

    def _read_variable(self, var: Variable, depth: int) -> int | None:
        if var.const is not None:
            return var.const
        loc = self._locate(var, depth)
        if loc is None:
            return None
        kind, value = loc
        size = var.type.size if var.type.size in (1, 2, 4, 8) else 8
        if kind == "mem":
            if var.type.kind in ("array", "struct"):
                return value
            value = self.vm.memory.load(value, size)
        return _convert(value, var.type, size)

    def _locate(self, var: Variable, depth: int) -> tuple[str, int] | None:
        """Evaluate the variable's location expression: ("reg"/"value", value) or ("mem", address)."""
        pc = self._frames[depth][0]
        ops = var.location(pc)
        if not ops:
            return None
        regs = self._frame_regs(depth)
        func = self._function_info(pc)
        frame = func.frame if func is not None else 0
        stack: list[int] = []
        for op in ops:
            name, args = op.op_name, op.args
            if name.startswith("DW_OP_reg") and name != "DW_OP_regx":
                return "reg", regs[int(name[9:])]
            if name == "DW_OP_regx":
                return "reg", regs[args[0]]
            if name.startswith("DW_OP_breg") and name != "DW_OP_bregx":
                stack.append((regs[int(name[10:])] + args[0]) & _M64)
            elif name == "DW_OP_fbreg":
                stack.append((regs[10] - frame + args[0]) & _M64)
            elif name.startswith("DW_OP_lit"):
                stack.append(int(name[9:]))
            elif name.startswith("DW_OP_const"):
                stack.append(args[0])
            elif name == "DW_OP_plus_uconst" and stack:
                stack.append((stack.pop() + args[0]) & _M64)
            elif name in _DW_BINARY and len(stack) > 1:
                b, a = stack.pop(), stack.pop()
                result = _DW_BINARY[name](a, b)
                if result is None:
                    return None
                stack.append(result & _M64)
            elif name in ("DW_OP_neg", "DW_OP_not") and stack:
                top = stack.pop()
                stack.append((-top if name == "DW_OP_neg" else ~top) & _M64)
            elif name == "DW_OP_dup" and stack:
                stack.append(stack[-1])
            elif name == "DW_OP_drop" and stack:
                stack.pop()
            elif name == "DW_OP_swap" and len(stack) > 1:
                stack[-1], stack[-2] = stack[-2], stack[-1]
            elif name == "DW_OP_stack_value" and stack:
                return "value", stack[-1] & _M64
            elif name == "DW_OP_piece":
                break
            else:
                return None
        return ("mem", stack[-1]) if stack else None

    def source_text(self, file: str) -> str:
        """The whole text of source ``file`` (empty when it cannot be read)."""
        text = "".join(linecache.getlines(file))
        if text or not self.info.texts:
            return text
        known = {line: body for (name, line), body in self.info.texts.items() if name == file}
        return "".join(known.get(n, "") + "\n" for n in range(1, max(known, default=0) + 1))

    def source_line(self, file: str, line: int) -> str:
        """The text of ``line`` of ``file`` (empty when the file cannot be read)."""
        return linecache.getline(file, line).rstrip("\n") or self.info.texts.get((file, line), "")

    def error_location(self) -> Location | None:
        """Where the program trapped, if its last run ended with a guest fault."""
        return self.stop.location if self.stop is not None and self.stop.reason == "trap" else None


class _Registers:
    """r0..r10 of a debugger's selected frame, as a sequence; item assignment writes them."""

    def __init__(self, dbg: Debugger) -> None:
        self._dbg = dbg

    def _values(self) -> tuple[int, ...]:
        frame = self._dbg.frame()
        if frame.intrinsic:
            raise DebuggerError(f"No registers in the intrinsic frame {frame.location.function}.")
        return frame.regs

    def __getitem__(self, index: int) -> int:
        return self._values()[index]

    def __setitem__(self, index: int, value: int) -> None:
        self._dbg.set_register(index, value)

    def __len__(self) -> int:
        return 11

    def __iter__(self) -> Any:
        return iter(self._values())

    def __repr__(self) -> str:
        return " ".join(f"r{i}={v:#x}" for i, v in enumerate(self._values()))


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def _dw_div(a: int, b: int) -> int | None:
    """DW_OP_div: signed division truncating toward zero (DWARF 5 §2.5.1.4); None for b = 0."""
    sa, sb = _signed(a), _signed(b)
    if sb == 0:
        return None
    q = abs(sa) // abs(sb)
    return -q if (sa < 0) != (sb < 0) else q


#: The binary DWARF stack operations (DWARF 5 §2.5.1.4) on 64-bit generic values: a is the
#: second entry, b the top; None: the value cannot be computed.
_DW_BINARY: dict[str, Callable[[int, int], int | None]] = {
    "DW_OP_plus": lambda a, b: a + b,
    "DW_OP_minus": lambda a, b: a - b,
    "DW_OP_mul": lambda a, b: a * b,
    "DW_OP_div": _dw_div,
    "DW_OP_mod": lambda a, b: a % b if b else None,
    "DW_OP_and": lambda a, b: a & b,
    "DW_OP_or": lambda a, b: a | b,
    "DW_OP_xor": lambda a, b: a ^ b,
    "DW_OP_shl": lambda a, b: a << b if b < 64 else 0,
    "DW_OP_shr": lambda a, b: a >> b,
    "DW_OP_shra": lambda a, b: _signed(a) >> min(b, 63),
}


def _register(name: str) -> int | None:
    name = name.lstrip("$")
    if name.startswith(("r", "w")) and name[1:].isdigit() and int(name[1:]) <= 10:
        return int(name[1:])
    return None


def _convert(raw: int, vtype: TypeInfo | None, size: int) -> int:
    """A register or memory value as the C type sees it (width, signedness)."""
    raw &= (1 << (8 * size)) - 1
    if vtype is not None and vtype.kind == "signed" and raw >> (8 * size - 1):
        return raw - (1 << (8 * size))
    return raw


def format_value(value: int, vtype: TypeInfo | None) -> str:
    """How gdb prints a value of ``vtype``: decimal, hex pointers, floats, chars."""
    if vtype is None:
        return str(value)
    if vtype.kind == "pointer":
        return f"{value & _M64:#x}"
    if vtype.kind == "float" and vtype.size in (4, 8):
        fmt = "<f" if vtype.size == 4 else "<d"
        raw = (value & ((1 << (8 * vtype.size)) - 1)).to_bytes(vtype.size, "little")
        return repr(struct.unpack(fmt, raw)[0])
    if vtype.kind == "bool":
        return "true" if value else "false"
    if vtype.size == 1 and "char" in vtype.name:
        char = chr(value & 0xFF)
        return f"{value} {char!r}" if char.isprintable() else f"{value} '\\{value & 0xFF:03o}'"
    if vtype.kind in ("array", "struct"):
        return f"<{vtype.name} at {value:#x}>"
    return str(value)


def _le(data: bytes) -> int:
    return int.from_bytes(data, "little")


def _same_file(path: str, spec: str) -> bool:
    return path == spec or path.endswith("/" + spec) or spec.endswith("/" + path)


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return b""
    return data if data[:4] == b"\x7fELF" else b""

