"""Progress of a JIT compilation: a rich progress bar on stderr for large programs.

:func:`bpfvm.jit.compile_program` reports to a :class:`Progress` (any object with its
methods): every function lowered to LLVM IR, then the start of LLVM's optimisation and code
generation (one step LLVM does not report on).  By default a :class:`TerminalProgress` is
shown when stderr is a terminal and the program has at least
:data:`~bpfvm.jit.engine.PROGRESS_SLOTS` instruction slots; otherwise nothing is reported.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from ..program import Function, Program

__all__ = ["Progress", "TerminalProgress", "terminal_progress"]


class Progress(Protocol):
    """What a compilation reports (a context manager around the whole compilation)."""

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...

    def lowered(self, func: Function) -> None:
        """``func`` is lowered to LLVM IR."""

    def optimising(self) -> None:
        """Every function is lowered; LLVM optimises and generates code now."""


class TerminalProgress:
    """A rich progress bar on stderr: instruction slots lowered, then LLVM's step."""

    def __init__(self, program: Program) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                            transient=True)
        slots = sum(f.end - f.start for f in program.functions.values())
        self.task = self.bar.add_task(f"JIT {program.name}: lowering", total=slots)

    def __enter__(self) -> TerminalProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def lowered(self, func: Function) -> None:
        self.bar.advance(self.task, func.end - func.start)

    def optimising(self) -> None:
        self.bar.update(self.task, description="JIT: LLVM optimisation and code generation")


def terminal_progress(program: Program, min_slots: int) -> TerminalProgress | None:
    """A progress bar for compiling ``program`` if stderr is a terminal and it is large."""
    if not sys.stderr.isatty() or len(program.insns) < min_slots:
        return None
    return TerminalProgress(program)
