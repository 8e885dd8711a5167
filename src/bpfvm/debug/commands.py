"""gdb-like debugger commands, one per line: the batch mode and the TUI's command line.

Commands (gdb's abbreviations work)::

    break LOCATION [if COND]   tbreak LOCATION   watch EXPR   delete [N]   info breakpoints
    run   continue   next   step   stepi   finish   until LOCATION   advance LOCATION
    bt    frame N    up    down   info registers   info locals   info frame
    print[/x] EXPR    set rN = V    set var NAME = V    x/NFU ADDR   list [LOCATION]
    disassemble   quit

LOCATION is ``FILE:LINE``, ``LINE``, a function name or ``*PC`` (an instruction index).  Every
stop prints ``FUNCTION (FILE:LINE) pc=N`` and the source line, as gdb prints a stop.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import BpfError
from .debugger import Debugger, DebuggerError, Frame, Stop, format_value

__all__ = ["CommandLine"]

_SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
_ALIASES = {
    "b": "break", "br": "break", "c": "continue", "cont": "continue", "n": "next", "s": "step",
    "si": "stepi", "ni": "stepi", "fin": "finish", "r": "run", "bt": "backtrace", "where": "backtrace",
    "i": "info", "p": "print", "q": "quit", "l": "list", "disas": "disassemble", "f": "frame",
    "d": "delete", "u": "until", "start": "start", "k": "kill",
}


class CommandLine:
    """Executes debugger commands against a :class:`Debugger`, writing gdb-like text to ``out``."""

    def __init__(self, dbg: Debugger, out: Callable[[str], None]) -> None:
        self.dbg = dbg
        self.out = out
        self.history: list[int] = []  #: values printed as $1, $2 …
        self.listed: tuple[str, int] | None = None

    def execute(self, line: str) -> bool:
        """Run one command line; return False when it was ``quit``.  Errors are printed, not raised."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        word, _, rest = text.partition(" ")
        fmt = ""
        if "/" in word:
            word, _, fmt = word.partition("/")
        name = _ALIASES.get(word, word)
        if name == "quit":
            return False
        handler = getattr(self, f"_c_{name}", None)
        if handler is None:
            self.out(f'Undefined command: "{word}".  Try "help".')
            return True
        try:
            handler(rest.strip(), fmt)
        except BpfError as exc:
            self.out(str(exc))
        return True

    # -- breakpoints ---------------------------------------------------------------------------
    def _c_break(self, rest: str, fmt: str, temporary: bool = False) -> None:
        spec, _, cond = rest.partition(" if ")
        if not spec.strip():
            spec = f"*{self.dbg.pc}"
        bp = self.dbg.break_at(spec.strip(), cond.strip() or None, temporary=temporary)
        kind = "Temporary breakpoint" if temporary else "Breakpoint"
        info = self.dbg.info
        function = bp.spec if bp.spec in info.functions or info.inlined_calls(bp.spec) else None
        if function is not None and len(bp.pcs) > 1:  # gdb: one breakpoint, several locations
            where = ", ".join(f"pc={pc}" for pc in bp.pcs)
            self.out(f"{kind} {bp.number} at {where}: {function}. ({len(bp.pcs)} locations)")
            return
        for pc in bp.pcs:
            self.out(f"{kind} {bp.number} at pc={pc}: {self.dbg.location_of(pc, function)}")

    def _c_tbreak(self, rest: str, fmt: str) -> None:
        self._c_break(rest, fmt, temporary=True)

    def _c_watch(self, rest: str, fmt: str) -> None:
        wp = self.dbg.watch(rest)
        self.out(f"Watchpoint {wp.number}: {rest} ({wp.size} bytes at {wp.address:#x})")

    def _c_delete(self, rest: str, fmt: str) -> None:
        numbers = [int(n) for n in rest.split()] if rest else [*self.dbg.breakpoints, *self.dbg.watchpoints]
        for number in numbers:
            self.dbg.delete(number)

    # -- execution -----------------------------------------------------------------------------
    def _c_run(self, rest: str, fmt: str) -> None:
        self.report(self.dbg.run())

    def _c_continue(self, rest: str, fmt: str) -> None:
        self.report(self.dbg.cont())

    def _c_next(self, rest: str, fmt: str) -> None:
        for _ in range(int(rest or 1)):
            if not self.report(self.dbg.next()):
                break

    def _c_step(self, rest: str, fmt: str) -> None:
        for _ in range(int(rest or 1)):
            if not self.report(self.dbg.step()):
                break

    def _c_stepi(self, rest: str, fmt: str) -> None:
        for _ in range(int(rest or 1)):
            if not self.report(self.dbg.stepi(), insn=True):
                break

    def _c_finish(self, rest: str, fmt: str) -> None:
        frame = self.dbg.frame()
        if frame.level == len(self.dbg.backtrace()) - 1:
            raise DebuggerError('"finish" not meaningful in the outermost frame.')
        self.out(f"Run till exit from {_frame_text(frame)}")
        stop = self.dbg.finish()
        self.report(stop)
        if stop.reason == "finish" and stop.value is not None:
            self.out(f"Value returned is ${self._remember(stop.value)} = {stop.value}")

    def _c_until(self, rest: str, fmt: str) -> None:
        if not rest:
            self._c_next(rest, fmt)
            return
        self.report(self.dbg.run_to(rest))

    _c_advance = _c_until

    def _c_kill(self, rest: str, fmt: str) -> None:
        self.dbg.close()
        self.out("[Inferior 1 (bpfvm) killed]")

    def report(self, stop: Stop, insn: bool = False) -> bool:
        """Print a stop as gdb does; return whether the program can go on."""
        loc = stop.location
        if stop.reason == "exited":
            code = stop.exit_code or 0
            self.out("[Inferior 1 (bpfvm) exited normally]" if code == 0 else
                     f"[Inferior 1 (bpfvm) exited with code {code}]")
            return False
        if stop.reason == "error":
            self.out(f"Program failed: {stop.detail}")
            return False
        if stop.reason == "killed":
            self.out("[Inferior 1 (bpfvm) killed]")
            return False
        if stop.reason == "interrupted":
            self.out("\nProgram interrupted.")
        if stop.reason == "trap":
            self.out(f"\nProgram trapped: {stop.detail}")
        elif stop.reason == "breakpoint":
            kind = "Temporary breakpoint" if stop.detail == "temporary" else "Breakpoint"
            self.out(f"\n{kind} {stop.number}, {loc}")
        elif stop.reason == "watchpoint":
            spec = self.dbg.watchpoints[stop.number].spec if stop.number in self.dbg.watchpoints else ""
            self.out(f"\nWatchpoint {stop.number}: {spec}\n\n{stop.detail}\n")
        if loc is not None:
            if stop.reason not in ("breakpoint",):
                self.out(str(loc))
            self._source(loc.file, loc.line)
            if insn:
                from ..asm import format_insn

                self.out(f"=> {loc.pc}:\t{format_insn(self.dbg.program.insn_at(loc.pc))}")
        return stop.alive

    def _source(self, file: str, line: int) -> None:
        if line:
            self.out(f"{line}\t{self.dbg.source_line(file, line)}")
            self.listed = (file, line)

    # -- stack and data ---------------------------------------------------------------------------
    def _c_backtrace(self, rest: str, fmt: str) -> None:
        for frame in self.dbg.backtrace():
            self.out(_frame_text(frame))

    def _c_frame(self, rest: str, fmt: str) -> None:
        frame = self.dbg.select(int(rest)) if rest else self.dbg.frame()
        self.out(_frame_text(frame))
        self._source(frame.location.file, frame.location.line)

    def _c_up(self, rest: str, fmt: str) -> None:
        self._c_frame(str(self.dbg.selected + int(rest or 1)), fmt)

    def _c_down(self, rest: str, fmt: str) -> None:
        self._c_frame(str(self.dbg.selected - int(rest or 1)), fmt)

    def _c_info(self, rest: str, fmt: str) -> None:
        what = rest.split()[0] if rest else ""
        if "registers".startswith(what) and what:
            for i, value in enumerate(self.dbg.regs):
                signed = value - (1 << 64) if value >> 63 else value
                self.out(f"r{i:<14}{value:<#19x}{signed}")
            self.out(f"{'pc':<15}{self.dbg.pc:<#19x}{self.dbg.pc}")
        elif "breakpoints".startswith(what) and what:
            self._info_breakpoints()
        elif what == "locals" or what == "args":
            for name, value in self.dbg.locals().items():
                shown = "<optimized out>" if value is None else format_value(value, self.dbg.type_of(name))
                self.out(f"{name} = {shown}")
        elif what == "frame":
            self._c_frame("", fmt)
        else:
            self.out(f'Undefined info command: "{rest}".')

    def _info_breakpoints(self) -> None:
        if not self.dbg.breakpoints and not self.dbg.watchpoints:
            self.out("No breakpoints or watchpoints.")
            return
        self.out("Num     Type           Disp Enb What")
        for bp in self.dbg.breakpoints.values():
            disp = "del " if bp.temporary else "keep"
            where = ", ".join(str(self.dbg.location_of(pc, bp.spec)) for pc in bp.pcs)
            self.out(f"{bp.number:<8}breakpoint     {disp} {'y' if bp.enabled else 'n'}   {where}")
            if bp.condition:
                self.out(f"\tstop only if {bp.condition}")
            if bp.hits:
                self.out(f"\tbreakpoint already hit {bp.hits} time{'s' if bp.hits > 1 else ''}")
        for wp in self.dbg.watchpoints.values():
            self.out(f"{wp.number:<8}watchpoint     keep y   {wp.spec}")

    def _c_print(self, rest: str, fmt: str) -> None:
        value = self.dbg.evaluate(rest)
        number = self._remember(value)
        if fmt == "x":
            shown = f"{value & ((1 << 64) - 1):#x}"
        elif rest.strip().isidentifier():
            shown = format_value(value, self.dbg.type_of(rest.strip()))
        else:
            shown = str(value)
        self.out(f"${number} = {shown}")

    def _remember(self, value: int) -> int:
        self.history.append(value)
        return len(self.history)

    def _c_set(self, rest: str, fmt: str) -> None:
        if rest.startswith("var "):
            rest = rest[4:]
        target, sep, expr = rest.partition("=")
        target = target.strip().lstrip("$")
        if not sep:
            raise DebuggerError(f"cannot parse {rest!r}: expected NAME = VALUE")
        value = self.dbg.evaluate(expr)
        match = re.fullmatch(r"[rw](\d+)", target)
        if match:
            self.dbg.set_register(int(match.group(1)), value)
            return
        self.dbg.set_variable(target, value)

    def _c_x(self, rest: str, fmt: str) -> None:
        match = re.fullmatch(r"(\d*)([xdu]?)([bhwg]?)", fmt)
        if match is None:
            raise DebuggerError(f"bad format /{fmt}")
        count, kind, unit = int(match.group(1) or 1), match.group(2) or "x", match.group(3) or "w"
        size = _SIZES[unit]
        address = self.dbg.evaluate(rest) & ((1 << 64) - 1)
        data = self.dbg.read(address, count * size)
        per_line = 8 if size == 1 else 16 // size
        for row in range(0, count, per_line):
            items = []
            for i in range(row, min(count, row + per_line)):
                value = int.from_bytes(data[i * size:(i + 1) * size], "little")
                if kind == "x":
                    items.append(f"{value:#0{2 + 2 * size}x}")
                elif kind == "d" and value >> (8 * size - 1):
                    items.append(str(value - (1 << (8 * size))))
                else:
                    items.append(str(value))
            self.out(f"{address + row * size:#x}:\t" + "\t".join(items))

    def _c_list(self, rest: str, fmt: str) -> None:
        if rest:
            pc = self.dbg.resolve(rest)[0]
            file, line = self.dbg.lines.get(pc, ("", 0))
            center = line
        elif self.listed is not None:
            file, line = self.listed
            center = line
        else:
            loc = self.dbg.location if self.dbg.started else None
            if loc is None:
                raise DebuggerError("No default source file.")
            file, center = loc.file, loc.line
        first = max(1, center - 5)
        for number in range(first, first + 10):
            text = self.dbg.source_line(file, number)
            if not text and number > center:
                break
            self.out(f"{number}\t{text}")
        self.listed = (file, first + 15)

    def _c_disassemble(self, rest: str, fmt: str) -> None:
        pc = self.dbg.pc if not rest else self.dbg.resolve(rest)[0]
        func = self.dbg.program.function_at(pc)
        self.out(f"Dump of assembler code for function {func.name}:")
        from ..asm import format_insn

        symbols = sorted((f.start * 8, f.name) for f in self.dbg.program.functions.values())
        current = self.dbg.pc if self.dbg.started else -1
        for insn in self.dbg.program.function_insns(func):
            marker = "=> " if insn.pc == current else "   "
            self.out(f"{marker}{insn.pc:>5}:\t{format_insn(insn, symbols=symbols)}")
        self.out("End of assembler dump.")

    def _c_help(self, rest: str, fmt: str) -> None:
        self.out(__doc__.split("::", 1)[1].split("LOCATION is", 1)[0].strip("\n") if __doc__ else "")


def _frame_text(frame: Frame) -> str:
    """A backtrace line: ``#N  FUNCTION (FILE:LINE) pc=N``; intrinsics as ``#N  qsort () [intrinsic]``."""
    if frame.intrinsic:
        return f"#{frame.level}  {frame.location.function} () [intrinsic] pc={frame.location.pc}"
    return f"#{frame.level}  {frame.location}{' [inlined]' if frame.inlined else ''}"
