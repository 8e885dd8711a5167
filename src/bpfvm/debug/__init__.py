"""Source-level step debugger: Python API (:class:`Debugger`), gdb-like batch commands, Textual TUI.

See ``docs/debugger.md``.
"""

from .commands import CommandLine
from .debugger import Breakpoint, Debugger, DebuggerError, Frame, Location, Stop, Watchpoint

__all__ = [
    "Breakpoint", "CommandLine", "Debugger", "DebuggerError", "Frame", "Location", "Stop", "Watchpoint",
]
