"""The debugger's terminal UI (Textual): source, disassembly, registers, stack, backtrace, output.

Keys: F5 continue (starts the program), F10 next, F11 step, shift+F11 finish, F6 stepi, F9 toggle
a breakpoint on the source cursor's line, F4 run to the cursor, F12 pause a running program, F8
lock/unlock the disassembly to the pc, F2 cycle the register format (hex / unsigned / signed);
up/down/page keys move the source cursor when the source pane has focus; selecting a register
(enter) puts ``set rN = `` on the command line, which takes every batch command
(:mod:`bpfvm.debug.commands`).

Execution commands run in a worker thread; the program's stdout/stderr go to the output pane.
"""

from __future__ import annotations

import io
import threading
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from ..asm import format_insn
from .commands import CommandLine
from .debugger import Debugger, DebuggerError

__all__ = ["DebuggerApp", "OutputSink"]

_EXECUTION = {"run", "r", "continue", "c", "next", "n", "step", "s", "stepi", "si", "finish", "fin",
              "until", "u", "advance", "start"}
_FORMATS = ("hex", "unsigned", "signed")


class OutputSink(io.RawIOBase):
    """A binary stream that collects what the guest writes, for the output pane."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        with self._lock:
            self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> str:
        """Everything written since the last drain, decoded."""
        with self._lock:
            data, self._chunks = b"".join(self._chunks), []
        return data.decode("utf-8", "replace")


class SourceView(Static, can_focus=True):
    """The current source file: current line highlighted, breakpoints marked, a movable cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-20)", show=False), Binding("pagedown", "move(20)", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = ""
        self.lines: list[str] = []
        self.cursor = 1
        self.current = 0
        self.marked: set[int] = set()

    def show(self, file: str, lines: list[str], current: int, marked: set[int]) -> None:
        if file != self.file or current:
            self.cursor = current or 1
        self.file, self.lines, self.current, self.marked = file, lines, current, marked
        self.redraw()

    def redraw(self) -> None:
        text = Text()
        for number, line in enumerate(self.lines, 1):
            mark = "●" if number in self.marked else " "
            arrow = "→" if number == self.current else " "
            style = "bold black on yellow" if number == self.current else ""
            if number == self.cursor and self.has_focus:
                style += " underline"
            text.append(f"{mark}{arrow}{number:>4} {line}\n", style=style.strip())
        self.update(text)

    def action_move(self, delta: int) -> None:
        self.cursor = max(1, min(len(self.lines), self.cursor + delta))
        self.redraw()
        parent = self.parent
        if isinstance(parent, VerticalScroll):
            parent.scroll_to(y=max(0, self.cursor - 5), animate=False)

    def on_focus(self, event: events.Focus) -> None:
        self.redraw()


class DebuggerApp(App[None]):
    """The ``bpfvm debug`` terminal UI around a :class:`Debugger`."""

    TITLE = "bpfvm debug"
    CSS = """
    #top { height: 3fr; }
    #bottom { height: 2fr; }
    #source-pane { width: 3fr; border: round $primary; }
    #side { width: 2fr; }
    #disasm-pane { height: 1fr; border: round $secondary; }
    #registers { height: 14; border: round $secondary; }
    #backtrace { width: 1fr; height: 100%; border: round $secondary; }
    #memory { width: 2fr; height: 100%; border: round $secondary; }
    #output { width: 2fr; border: round $secondary; }
    #command { dock: bottom; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "execute('continue')", "Continue"),
        Binding("f10", "execute('next')", "Next"),
        Binding("f11", "execute('step')", "Step"),
        Binding("shift+f11", "execute('finish')", "Finish"),
        Binding("f6", "execute('stepi')", "Stepi"),
        Binding("f9", "toggle_breakpoint", "Breakpoint"),
        Binding("f4", "run_to_cursor", "Run to cursor"),
        Binding("f8", "toggle_lock", "Lock disasm"),
        Binding("f2", "cycle_format", "Reg format"),
        Binding("f12", "interrupt", "Pause"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, dbg: Debugger, *, capture_output: bool = True) -> None:
        super().__init__()
        self.dbg = dbg
        self.sink = OutputSink()
        if capture_output:
            dbg.vm.stdout = self.sink
            dbg.vm.stderr = self.sink
        self.commands = CommandLine(dbg, self._say)
        self.locked = True
        self.format = 0
        self.previous_regs: tuple[int, ...] = ()
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            with VerticalScroll(id="source-pane"):
                yield SourceView(id="source")
            with Vertical(id="side"):
                with VerticalScroll(id="disasm-pane"):
                    yield Static(id="disasm")
                yield DataTable(id="registers", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="bottom"):
            yield Static(id="backtrace")
            yield Static(id="memory")
            yield RichLog(id="output", wrap=True, markup=False)
        yield Input(placeholder="gdb-like command (break, run, next, print …)", id="command",
                    select_on_focus=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#registers", DataTable)
        table.add_columns("reg", "value")
        self.query_one("#source-pane").border_title = "source"
        self.query_one("#disasm-pane").border_title = "disassembly (locked to pc)"
        table.border_title = "registers (hex)"
        self.query_one("#backtrace").border_title = "backtrace"
        self.query_one("#memory").border_title = "frame"
        self.query_one("#output").border_title = "output"
        self.refresh_views()
        self.query_one("#command", Input).focus()

    # -- commands ---------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        if threading.current_thread() is threading.main_thread():
            self._append(text)
        else:
            self.call_from_thread(self._append, text)

    def _append(self, text: str) -> None:
        log = self.query_one("#output", RichLog)
        pending = self.sink.drain()
        if pending:
            log.write(Text(pending.rstrip("\n"), style="green"))
        log.write(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value
        event.input.value = ""
        if line.strip():
            self._append(f"(bpfvm) {line}")
            self.run_command(line)

    def run_command(self, line: str) -> None:
        """Run a command line: execution commands in a worker thread, the rest at once."""
        word = line.split()[0].split("/")[0] if line.split() else ""
        if word in ("quit", "q"):
            self.exit()
            return
        if word not in _EXECUTION:
            self.commands.execute(line)
            self.refresh_views()
            return
        if self.busy:
            self._append("the program is running")
            return
        self.busy = True
        self.run_worker(lambda: self._execute(line), thread=True, exclusive=True, group="execution")

    def _execute(self, line: str) -> None:
        try:
            self.commands.execute(line)
        finally:
            self.call_from_thread(self._finished)

    def _finished(self) -> None:
        self.busy = False
        pending = self.sink.drain()
        if pending:
            self.query_one("#output", RichLog).write(Text(pending.rstrip("\n"), style="green"))
        self.refresh_views()

    def action_execute(self, command: str) -> None:
        if command == "continue" and not self.dbg.started:
            command = "run"
        self._append(f"(bpfvm) {command}")
        self.run_command(command)

    def action_toggle_breakpoint(self) -> None:
        source = self.query_one("#source", SourceView)
        if not source.file:
            return
        line = source.cursor
        pcs = set(self.dbg.resolve_quietly(f"{source.file}:{line}"))
        existing = [bp for bp in self.dbg.breakpoints.values() if pcs and set(bp.pcs) == pcs]
        if existing:
            for bp in existing:
                self.dbg.delete(bp.number)
            self._append(f"deleted breakpoint at line {line}")
        else:
            self.commands.execute(f"break {source.file}:{line}")
        self.refresh_views()

    def action_run_to_cursor(self) -> None:
        source = self.query_one("#source", SourceView)
        if source.file:
            self.run_command(f"until {source.file}:{source.cursor}")

    def action_interrupt(self) -> None:
        if self.busy:
            self.dbg.interrupt()

    def action_toggle_lock(self) -> None:
        self.locked = not self.locked
        title = "disassembly (locked to pc)" if self.locked else "disassembly (at cursor)"
        self.query_one("#disasm-pane").border_title = title
        self.refresh_views()

    def action_cycle_format(self) -> None:
        self.format = (self.format + 1) % len(_FORMATS)
        self.query_one("#registers", DataTable).border_title = f"registers ({_FORMATS[self.format]})"
        self.refresh_views()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        command = self.query_one("#command", Input)
        command.value = f"set r{event.cursor_row} = " if event.cursor_row <= 10 else ""
        command.focus()
        command.cursor_position = len(command.value)

    # -- views ------------------------------------------------------------------------------------
    def refresh_views(self) -> None:
        """Redraw every pane from the debugger's state."""
        dbg = self.dbg
        location = dbg.location if dbg.started or dbg.error_location() else None
        if location is None and dbg.stop is not None and dbg.stop.location is not None:
            location = dbg.stop.location
        self._show_source(location)
        self._show_disassembly(location)
        self._show_registers()
        self._show_backtrace()
        self._show_memory()

    def _show_source(self, location: Any) -> None:
        dbg = self.dbg
        file = location.file if location is not None and location.file else dbg.default_file()
        source = self.query_one("#source", SourceView)
        if not file:
            source.update("(no line information)")
            return
        text = dbg.source_text(file)
        marked = {dbg.lines.get(pc, ("", 0))[1] for bp in dbg.breakpoints.values() for pc in bp.pcs
                  if dbg.lines.get(pc, ("", 0))[0] == file}
        current = location.line if location is not None and location.file == file else 0
        source.show(file, text.splitlines(), current, marked)
        self.query_one("#source-pane").border_title = f"source: {file.rsplit('/', 1)[-1]}"
        if current:
            self.query_one("#source-pane", VerticalScroll).scroll_to(y=max(0, current - 8), animate=False)

    def _show_disassembly(self, location: Any) -> None:
        dbg = self.dbg
        pc = location.pc if location is not None else None
        if not self.locked or pc is None:
            source = self.query_one("#source", SourceView)
            cursor = dbg.resolve_quietly(f"{source.file}:{source.cursor}") if source.file else ()
            pc = cursor[0] if cursor else pc
        if pc is None:
            self.query_one("#disasm", Static).update("")
            return
        func = dbg.program.function_at(pc)
        current = location.pc if location is not None else -1
        breaks = {p for bp in dbg.breakpoints.values() for p in bp.pcs}
        text = Text(f"<{func.name}>:\n")
        insns = dbg.program.function_insns(func)
        for insn in insns:
            mark = "●" if insn.pc in breaks else " "
            arrow = "=>" if insn.pc == current else "  "
            style = "bold black on yellow" if insn.pc == current else ""
            text.append(f"{mark}{arrow}{insn.pc:>5}: {format_insn(insn)}\n", style=style)
        self.query_one("#disasm", Static).update(text)
        row = next((i for i, insn in enumerate(insns) if insn.pc == pc), 0)
        self.query_one("#disasm-pane", VerticalScroll).scroll_to(y=max(0, row - 3), animate=False)

    def _show_registers(self) -> None:
        table = self.query_one("#registers", DataTable)
        table.clear()
        try:
            regs = tuple(self.dbg.regs)
        except DebuggerError:
            regs = ()
        for i, value in enumerate(regs):
            changed = len(self.previous_regs) == len(regs) and self.previous_regs[i] != value
            table.add_row(f"r{i}", Text(_format(value, _FORMATS[self.format]),
                                        style="bold red" if changed else ""))
        self.previous_regs = regs

    def _show_backtrace(self) -> None:
        try:
            frames = self.dbg.backtrace()
        except DebuggerError:
            stop = self.dbg.stop
            self.query_one("#backtrace", Static).update("(not running)" if stop is None else stop.reason)
            return
        selected = self.dbg.selected
        text = "\n".join(f"{'>' if f.level == selected else ' '}#{f.level} {f.location}" for f in frames)
        self.query_one("#backtrace", Static).update(text)

    def _show_memory(self) -> None:
        dbg = self.dbg
        try:
            frame = dbg.frame()
            local_vars = dbg.locals()
        except DebuggerError:
            self.query_one("#memory", Static).update("")
            return
        lines = [f"{name} = {'<optimized out>' if v is None else v}" for name, v in local_vars.items()]
        info = dbg.info.functions.get(dbg.program.function_at(frame.location.pc).name)
        size = max(info.frame if info is not None else 0, 16)
        top = frame.regs[10]
        data = dbg.read(top - size, size)
        for offset in range(0, size, 8):
            chunk = data[offset:offset + 8]
            lines.append(f"r10-{size - offset:<4} {chunk.hex(' ')}")
        self.query_one("#memory", Static).update("\n".join(lines))


def _format(value: int, kind: str) -> str:
    if kind == "hex":
        return f"{value:#018x}"
    if kind == "signed" and value >> 63:
        return str(value - (1 << 64))
    return str(value)
