"""The pure-Python interpreter engine (reference semantics; the engine the debugger drives)."""

from .engine import Compiled, ProgramExit, compile_program

__all__ = ["Compiled", "ProgramExit", "compile_program"]
