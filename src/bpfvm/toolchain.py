"""The C toolchain: clang (from the ``ziglang`` package) for BPF, with bpfvm's libc headers.

:func:`compile_c` turns a C file or C text into an ELF object; :func:`compile` also loads it as a
:class:`~bpfvm.program.Program`.  Ordinary programs are built freestanding against the headers
in ``bpfvm/include`` (``-nostdinc -I …``), whose functions are bpfvm's libc intrinsics,
bound by name when a VM runs the program.  ``kernel=True`` builds kernel-style programs instead:
no libc headers, ``-mcpu=v3``.

What the BPF backend cannot compile stays a :class:`CompileError` carrying clang's messages:
floating-point arithmetic, defining variadic functions, calls with more than five arguments,
structs returned by value, stack frames over 512 bytes, and struct copies or initialisations
larger than 1 KiB (they would need a ``memcpy``/``memset`` libcall).
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

if TYPE_CHECKING:
    from .program import Program

__all__ = ["INCLUDE", "LIBC_FLAGS", "KERNEL_FLAGS", "CompileError", "cc_command", "compile", "compile_c"]

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
        target = output or path.with_suffix(".o")
        return _run(cc_command(flags, kernel=kernel) + ["-c", str(path), "-o", str(target)], str(path),
                    None, target)
    target = output or _scratch_file()
    return _run(cc_command(flags, kernel=kernel) + ["-x", "c", "-c", "-", "-o", str(target)], "<source>",
                str(source).encode(), target)


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
