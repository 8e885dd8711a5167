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
from collections.abc import Sequence
from typing import Any

from .cc import CompileError
from .compat import BpfVm
from .debug import Debugger
from .errors import AsmError, BpfError, DecodeError, ElfError, MapError, ProgramError, TrapKind, VmTrap
from .isa import Insn, decode, encode
from .kernel.bcc import BPF
from .kernel.maps import Map
from .linker import LinkError, link_programs
from .memory import Memory
from .program import Function, Program
from .runtime.calls import ProgramExit
from .vm import VM

__version__ = "0.1.0"

__all__ = [
    "AsmError",
    "BPF",
    "BpfError",
    "BpfVm",
    "CompileError",
    "Debugger",
    "DecodeError",
    "ElfError",
    "Function",
    "Insn",
    "LinkError",
    "Map",
    "MapError",
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
    "link_programs",
    "load",
    "verify",
]


def assemble(text: str) -> bytes:
    """Assemble text in llvm-objdump or uBPF syntax into bytecode. Raises :class:`AsmError`."""
    from .asm import assemble as _assemble

    return _assemble(text)


def disassemble(code: bytes | bytearray | memoryview) -> str:
    """Disassemble bytecode into llvm-objdump syntax, one instruction per line."""
    from .asm import disassemble as _disassemble

    return _disassemble(bytes(code))


def load(path_or_bytes: str | bytes | os.PathLike[str] | Sequence[str | bytes | os.PathLike[str]], *,
         name: str | None = None, target_btf: Any = None, verify: bool = False) -> Program:
    """Load a BPF ELF object (as clang emits it) into a Program; given a list of objects, load
    each and link them (:func:`link_programs`) into one.

    CO-RE relocations are applied against ``target_btf`` (a BTF file or object path, or a
    :class:`bpfvm.btf.Btf`; see :func:`bpfvm.btf.core.relocate_object` for the default).
    With ``verify``, every kernel program of the object must pass :func:`bpfvm.verify`.
    Raises :class:`ElfError` for a bad object, :class:`LinkError` for objects that do not link,
    :class:`bpfvm.errors.BtfError` for relocations that cannot be applied,
    :class:`bpfvm.verifier.VerifierError` for a program the verifier rejects.
    """
    from .btf.core import relocate_object
    from .elf import load as _load

    if isinstance(path_or_bytes, (str, bytes, bytearray, memoryview, os.PathLike)):
        source = bytes(path_or_bytes) if isinstance(path_or_bytes, (bytearray, memoryview)) else path_or_bytes
        program = relocate_object(_load(path_or_bytes, name=name), source, target_btf)
    else:
        program = link_programs([relocate_object(_load(p), bytes(p) if isinstance(p, (bytearray, memoryview))
                                                 else p, target_btf) for p in path_or_bytes], name=name)
    if verify:
        from .verifier import VerifierError, verify_object

        for prog_name, result in verify_object(program).items():
            if not result.ok:
                raise VerifierError(result, prog_name)
    return program


def verify(program: Program | bytes | bytearray | memoryview, prog_type: int | str | None = None, *,
           name: str | None = None, log_level: int = 0, maps: Any = None, privileged: bool = True) -> Any:
    """Verify a program as the kernel's verifier would; return a :class:`bpfvm.verifier.VerifyResult`.

    ``program`` is bytecode (``prog_type`` default: socket filter; ``maps``: fd → MapInfo of its
    ``lddw`` map references) or a loaded object, of which ``name`` picks the program (required if
    it has several).  Raises :class:`ProgramError` if ``name`` matches no program.
    """
    from .verifier import verify as _verify
    from .verifier import verify_object

    if not isinstance(program, Program):
        return _verify(program, 1 if prog_type is None else prog_type, log_level=log_level, maps=maps,
                       privileged=privileged)
    results = verify_object(program, name=name, prog_type=prog_type, log_level=log_level,
                            privileged=privileged)
    if len(results) != 1:
        raise ProgramError(f"{program.name}: {len(results)} programs ({', '.join(results)}); name one")
    return next(iter(results.values()))


def compile(source: str | os.PathLike[str], **options: Any) -> Program:  # noqa: A001 - bcc's name
    """Compile C source text (or a path to a .c file) to BPF with the bundled clang and load it.

    ``options`` go to :func:`bpfvm.cc.compile` (``flags=[...]``, ``kernel=True``).
    Raises :class:`bpfvm.cc.CompileError` with clang's messages.
    """
    from .cc import compile as _compile

    return _compile(source, **options)
