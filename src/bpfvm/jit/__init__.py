"""The LLVM JIT engine (llvmlite): BPF functions lifted to native code with the interpreter's
semantics, traps and instruction counts."""

from .engine import Compiled, compile_program, listing

__all__ = ["Compiled", "compile_program", "listing"]
