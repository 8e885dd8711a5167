"""bpfvm — a userspace BPF virtual machine for Python.

Load BPF bytecode (and, soon, the ELF objects clang emits), run it in a sandbox, and let Python
supply the helpers it calls::

    import bpfvm
    code = bpfvm.assemble("mov r0, 42\\nexit")
    print(bpfvm.disassemble(code))
    vm = bpfvm.VM()
    assert vm.run(code) == 42
"""

from __future__ import annotations

import os
from typing import Any

from .compat import BpfVm
from .errors import AsmError, BpfError, DecodeError, ElfError, ProgramError, TrapKind, VmTrap
from .interpreter import ProgramExit
from .isa import Insn, decode, encode
from .memory import Memory
from .program import Function, Program
from .toolchain import CompileError
from .vm import VM

__version__ = "0.1.0"

__all__ = [
    "AsmError",
    "BpfError",
    "BpfVm",
    "CompileError",
    "DecodeError",
    "ElfError",
    "Function",
    "Insn",
    "Memory",
    "Program",
    "ProgramError",
    "ProgramExit",
    "TrapKind",
    "VM",
    "VmTrap",
    "__version__",
    "assemble",
    "decode",
    "disassemble",
    "compile",
    "encode",
    "load",
]


def assemble(text: str) -> bytes:
    """Assemble text in llvm-objdump or uBPF syntax into bytecode. Raises :class:`AsmError`."""
    from .asm import assemble as _assemble

    return _assemble(text)


def disassemble(code: bytes | bytearray | memoryview) -> str:
    """Disassemble bytecode into llvm-objdump syntax, one instruction per line."""
    from .asm import disassemble as _disassemble

    return _disassemble(bytes(code))


def load(path_or_bytes: str | bytes | os.PathLike[str], *, name: str | None = None) -> Program:
    """Load a BPF ELF object (as clang emits it) into a Program. Raises :class:`ElfError`."""
    from .elf import load as _load

    return _load(path_or_bytes, name=name)


def compile(source: str | os.PathLike[str], **options: Any) -> Program:  # noqa: A001 - bcc's name
    """Compile C source text (or a path to a .c file) to BPF with the bundled clang and load it.

    ``options`` go to :func:`bpfvm.toolchain.compile` (``flags=[...]``, ``kernel=True``).
    Raises :class:`bpfvm.toolchain.CompileError` with clang's messages.
    """
    from .toolchain import compile as _compile

    return _compile(source, **options)
