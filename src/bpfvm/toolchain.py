"""The C toolchain: clang (from the ``ziglang`` package) for BPF, with bpfvm's libc headers.

:func:`compile_c` turns a C file or C text into an ELF object; :func:`compile` also loads it as a
:class:`~bpfvm.program.Program`.  Ordinary programs are built freestanding against the headers
in ``bpfvm/include`` (``-nostdinc -I …``), whose functions are bpfvm's libc intrinsics,
bound by name when a VM runs the program.  ``kernel=True`` builds kernel-style programs instead:
no libc headers, ``-mcpu=v3``.

Ordinary programs go through LLVM IR: clang emits the module as text (``-S -emit-llvm``),
:func:`bpfvm.legalize.legalize` rewrites its floating-point arithmetic into calls of bpfvm's
soft-float intrinsics (the BPF backend has no FPU and rejects soft-float libcalls) and passes
arguments beyond the fifth in an argument block (:mod:`bpfvm.argblock`), llvmlite verifies the
result, and clang compiles the IR to the object.  Kernel programs skip this and are compiled
directly.

What the BPF backend cannot compile stays a :class:`CompileError` carrying clang's messages:
defining variadic functions, variadic calls with more than five arguments, structs returned by
value or passed by value beyond the fourth argument, stack frames over 512 bytes, and struct
copies or initialisations larger than 1 KiB (they would need a ``memcpy``/``memset`` libcall).
FP the legaliser cannot lower (``long double`` is double here, so this means vectors or
``_Float16``/``__float128``) is a :class:`CompileError` naming the construct and its line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BpfError
from .legalize import LegalizeError, legalize

if TYPE_CHECKING:
    from .program import Program

__all__ = ["BACKEND_FLAGS", "INCLUDE", "LIBC_FLAGS", "KERNEL_FLAGS", "CompileError", "cc_command", "compile",
           "compile_c", "compile_ir"]

#: bpfvm's libc headers.
INCLUDE = Path(__file__).with_name("include")

#: Flags for ordinary C programs on bpfvm's libc.
#:
#: * ``-I`` rather than ``-isystem``: ``zig cc`` puts clang's own headers on the system path
#:   even with ``-nostdinc``, and ``-I`` directories are searched first.
#: * ``-UNDEBUG``: ``zig cc`` defines NDEBUG when optimising, which would turn off ``assert``
#:   (a user's ``-DNDEBUG`` comes later and wins).
#: * ``-mllvm -disable-gotox``: clang 22 at ``-mcpu=v4`` lowers dense switches to ``gotox``
#:   (indirect jumps through a ``.jumptables`` section), which the engines do not run yet; and
#:   its clean-up of jump-table globals also deletes every private constant array of pointers
#:   or structs (a local ``const char *names[] = {…}``), failing with "Undefined temporary
#:   symbol .L__const…".  Without gotox, switches become branches and the arrays survive.
LIBC_FLAGS: tuple[str, ...] = (
    "-target", "bpfel-freestanding", "-mcpu=v4", "-mllvm", "-disable-gotox", "-O2", "-g",
    "-fno-sanitize=all", "-fno-stack-protector", "-fno-builtin", "-ffreestanding",
    "-UNDEBUG", "-nostdinc", "-I", str(INCLUDE),
)

#: Flags for compiling legalised IR to an object (``-mllvm -disable-gotox``: see :data:`LIBC_FLAGS`).
BACKEND_FLAGS: tuple[str, ...] = ("-target", "bpfel-freestanding", "-mcpu=v4", "-mllvm", "-disable-gotox",
                                  "-O2", "-Wno-unused-command-line-argument")

#: Flags for kernel-style programs (maps, helpers, ``SEC()``): no libc, ISA v3.
KERNEL_FLAGS: tuple[str, ...] = ("-target", "bpfel", "-mcpu=v3", "-O2", "-g", "-fno-stack-protector",
                                 "-UNDEBUG")


class CompileError(BpfError):
    """clang rejected the program; ``stderr`` holds its diagnostics."""

    def __init__(self, source: str, stderr: str) -> None:
        super().__init__(f"{source}: compilation failed\n{stderr.rstrip()}")
        self.source = source
        self.stderr = stderr


def cc_command(flags: Sequence[str] = (), *, kernel: bool = False) -> list[str]:
    """The compiler command line up to the input (clang from ziglang, base flags, ``flags``)."""
    base = KERNEL_FLAGS if kernel else LIBC_FLAGS
    return [sys.executable, "-m", "ziglang", "cc", *base, *flags]


def _is_path(source: str | os.PathLike[str]) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return "\n" not in source and (source.endswith((".c", ".h")) or Path(source).is_file())


def compile_c(source: str | os.PathLike[str], *, output: Path | None = None, flags: Sequence[str] = (),
              kernel: bool = False) -> Path:
    """Compile C (a file path, or C source text) into a BPF ELF object; return its path.

    ``output`` defaults to the source path with suffix ``.o``, or a temporary file for text.
    Warnings go to ``sys.stderr``.  Raises :class:`CompileError` with clang's messages.
    """
    if _is_path(source):
        path = Path(source)
        name, target, stdin, inputs = str(path), output or path.with_suffix(".o"), None, [str(path)]
    else:
        name, target, stdin = "<source>", output or _scratch_file(), str(source).encode()
        inputs = ["-x", "c", "-"]
    if kernel:
        return _run(cc_command(flags, kernel=True) + ["-c", *inputs, "-o", str(target)], name, stdin, target)
    with tempfile.TemporaryDirectory(prefix="bpfvm-ir-") as tmp:
        ir = Path(tmp) / "module.ll"
        _run(cc_command(flags) + ["-Wno-unused-command-line-argument", "-S", "-emit-llvm", *inputs,
                                  "-o", str(ir)], name, stdin, ir)
        return compile_ir(ir.read_text(), target, name=name, flags=_backend_flags(flags))


def _backend_flags(flags: Sequence[str]) -> list[str]:
    """The user's flags that matter to code generation: ``-O…``, ``-mcpu=…``, ``-mllvm X``."""
    kept: list[str] = []
    for i, flag in enumerate(flags):
        if flag.startswith(("-O", "-mcpu=")) or flag == "-mllvm" or (i and flags[i - 1] == "-mllvm"):
            kept.append(flag)
    return kept


def compile_ir(ir: str, output: Path, *, name: str = "<source>", flags: Sequence[str] = ()) -> Path:
    """Legalise LLVM IR text from clang (bpfel) and compile it to a BPF object at ``output``.

    Raises :class:`CompileError` if the IR holds floating point bpfvm cannot lower, if the
    rewritten module does not verify, or with clang's messages if the backend fails.
    """
    try:
        legal = legalize(ir, name)
    except LegalizeError as error:
        raise CompileError(name, str(error)) from None
    _verify(legal, name)
    with tempfile.TemporaryDirectory(prefix="bpfvm-ir-") as tmp:
        path = Path(tmp) / "legal.ll"
        path.write_text(legal)
        command = [sys.executable, "-m", "ziglang", "cc", *BACKEND_FLAGS, *flags, "-c", str(path),
                   "-o", str(output)]
        return _run(command, name, None, output)


def _verify(ir: str, name: str) -> None:
    """Check the legalised module with LLVM's verifier (llvmlite, the same LLVM as clang)."""
    from llvmlite import binding

    try:
        binding.parse_assembly(ir).verify()
    except RuntimeError as error:
        raise CompileError(name, f"bpfvm's IR legaliser produced an invalid module: {error}") from None


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []


def _scratch_file() -> Path:
    """A fresh path in a directory removed when the interpreter exits."""
    if not _SCRATCH:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="bpfvm-cc-"))
    fd, name = tempfile.mkstemp(suffix=".o", dir=_SCRATCH[0].name)
    os.close(fd)
    return Path(name)


def _run(command: list[str], name: str, stdin: bytes | None, target: Path) -> Path:
    result = subprocess.run(command, input=stdin, capture_output=True, check=False)
    stderr = result.stderr.decode(errors="replace")
    if result.returncode != 0:
        raise CompileError(name, stderr)
    if stderr:
        sys.stderr.write(stderr)
    return target


def compile(source: str | os.PathLike[str], *, flags: Sequence[str] = (), kernel: bool = False,
            name: str | None = None) -> Program:
    """Compile C (a path or source text) and load it: a :class:`~bpfvm.program.Program`.

    Raises :class:`CompileError` for compiler errors, :class:`~bpfvm.errors.ElfError` for an
    object the loader cannot handle.
    """
    from .elf import load

    with tempfile.TemporaryDirectory(prefix="bpfvm-cc-") as tmp:
        obj = compile_c(source, output=Path(tmp) / "program.o", flags=flags, kernel=kernel)
        data = obj.read_bytes()
    if name is None:
        name = Path(source).stem if _is_path(source) else "<source>"
    return load(data, name=name)
