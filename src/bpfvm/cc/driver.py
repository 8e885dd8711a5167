"""The C toolchain: clang (from the ``ziglang`` package) for BPF, with bpfvm's libc headers.

:func:`compile_c` turns a C file or C text into an ELF object; :func:`compile` also loads it as a
:class:`~bpfvm.program.Program`.  Ordinary programs are built freestanding against the headers
in ``bpfvm/include`` (``-nostdinc -I …``), whose functions are bpfvm's libc intrinsics,
bound by name when a VM runs the program.  ``kernel=True`` builds kernel-style programs instead:
no libc headers, ``-mcpu=v3``.

Ordinary programs go through LLVM IR: clang emits the module as text (``-S -emit-llvm``),
:func:`bpfvm.cc.legalize.legalize` rewrites its floating-point arithmetic into calls of bpfvm's
soft-float intrinsics (the BPF backend has no FPU and rejects soft-float libcalls) and passes
arguments beyond the fifth in an argument block (:mod:`bpfvm.cc.argblock`), llvmlite verifies the
result, and clang compiles the IR to the object.  Kernel programs skip this and are compiled
directly.

It also passes structs by value as pointers (:mod:`bpfvm.cc.aggregates`) and variadic arguments
in blocks (:mod:`bpfvm.cc.varargs`).  Stack frames may be as large as ``stack_size`` (default
:data:`STACK_SIZE`, 16 KiB): the backend gets ``-mllvm -bpf-stack-size=N`` and the object
records ``N`` in a ``.bpfvm.stack`` section (:func:`stack_size_of`, ``Program.frame_size``); a
VM runs it with frames that large (``VM()`` follows the program up to
:data:`bpfvm.vm.MAX_FRAME`; ``VM(stack_size=N)`` and ``bpfvm run --stack-size N`` beyond).

Variable-length arrays and ``alloca`` go to a shadow stack (:mod:`bpfvm.cc.vla`), and struct copies
too big to expand inline call libc's ``memcpy`` (:func:`bpfvm.cc.aggregates.lower_memory_intrinsics`).
What the BPF backend still cannot compile (frames larger than ``stack_size``, ``__int128``
multiplication and division, 8- and 16-bit atomics, computed ``goto``) is a
:class:`CompileError` naming the source line and what to change (:mod:`bpfvm.cc.diagnose`).
FP the legaliser cannot lower (``long double`` is double here, so this means vectors or
``_Float16``/``__float128``) is a :class:`CompileError` naming the construct and its line.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..elf.loader import STACK_SECTION as _LOADER_STACK_SECTION
from ..errors import BpfError
from .diagnose import explain
from .legalize import LegalizeError, legalize

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["BACKEND_FLAGS", "INCLUDE", "LIBC_FLAGS", "KERNEL_FLAGS", "STACK_SECTION", "STACK_SIZE",
           "CompileError", "cc_command", "compile", "compile_c", "compile_ir", "fingerprint", "stack_size_of"]

#: bpfvm's libc headers.
INCLUDE = Path(__file__).parent.parent / "include"

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
#: ``-fno-crash-diagnostics``: clang treats backend errors (a frame over the stack limit) as a
#: crash and would leave a reproducer ``legal-*.ll``/``.sh`` in the temporary directory each time.
BACKEND_FLAGS: tuple[str, ...] = ("-target", "bpfel-freestanding", "-mcpu=v4", "-mllvm", "-disable-gotox",
                                  "-O2", "-Wno-unused-command-line-argument", "-fno-crash-diagnostics")

#: bpfvm's headers for kernel-style programs (``bpfvm_kernel.h``: ``bpf_for``, kfunc declarations).
KERNEL_INCLUDE = Path(__file__).parent.parent / "kernel" / "include"

#: Flags for kernel-style programs (maps, helpers, ``SEC()``): no libc, ISA v3.
#: ``bpfel-freestanding``: ``zig cc`` rejects a target without an OS ("MissingOperatingSystem");
#: the object is the same.  The system headers come last (``-idirafter``), as with plain
#: ``clang -target bpf``: ``<linux/bpf.h>``, libbpf's ``<bpf/bpf_helpers.h>``.
KERNEL_FLAGS: tuple[str, ...] = ("-target", "bpfel-freestanding", "-mcpu=v3", "-O2", "-g",
                                 "-fno-stack-protector", "-UNDEBUG",
                                 # zig's clang adds .eh_frame otherwise: libbpf and bpftool refuse it
                                 "-fno-unwind-tables", "-fno-asynchronous-unwind-tables",
                                 "-I", str(KERNEL_INCLUDE),
                                 "-idirafter", "/usr/include",
                                 "-idirafter", f"/usr/include/{os.uname().machine}-linux-gnu")


#: The default limit on one function's stack frame, in bytes (the kernel's is 512).  Ordinary C
#: keeps buffers on the stack (``char path[PATH_MAX]`` is 4 KiB, ``BUFSIZ`` 8 KiB) and the BPF
#: backend, with ten registers, spills more than x86 does (DOOM's ``sha1.c`` needs 536 bytes),
#: so 16 KiB compiles ordinary programs; it is :data:`bpfvm.vm.MAX_FRAME`, the largest frame a
#: default ``VM()`` runs with, and 128 such frames (the default call depth) take 2 MiB of the
#: guest's 256 MiB, committed only where touched.
STACK_SIZE = 16384

#: The non-loaded section in which objects from the IR pipeline record their frame limit: one
#: little-endian u32 per compiled module (linking concatenates them; the largest counts).
#: The loader reads it into ``Program.frame_size``.
STACK_SECTION = _LOADER_STACK_SECTION

_STACK_FLAG = "-bpf-stack-size="


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


#: The modules that rewrite IR: what they do shapes every object (:func:`fingerprint`).
_REWRITERS = ("driver.py", "legalize.py", "argblock.py", "varargs.py", "aggregates.py", "thunks.py",
              "vla.py")


@functools.cache
def _toolchain_digest() -> str:
    h = hashlib.sha256("\0".join((*LIBC_FLAGS, *BACKEND_FLAGS, str(STACK_SIZE))).encode())
    h.update(importlib.metadata.version("ziglang").encode())
    package = Path(__file__).parent
    files = [(str(p.relative_to(INCLUDE)), p) for p in sorted(INCLUDE.rglob("*.h"))]
    for name, path in [*files, *((name, package / name) for name in _REWRITERS)]:
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(flags: Sequence[str] = ()) -> str:
    """A hex digest of everything besides the source that shapes an object :func:`compile_c`
    makes with ``flags``: the base flags, the clang version (ziglang's), bpfvm's headers and the
    IR rewriting code.  Caches of compiled objects key on it (with their sources)."""
    return hashlib.sha256((_toolchain_digest() + "\0" + "\0".join(flags)).encode()).hexdigest()


def _is_path(source: str | os.PathLike[str]) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return "\n" not in source and (source.endswith((".c", ".h")) or Path(source).is_file())


def compile_c(source: str | os.PathLike[str], *, output: Path | None = None, flags: Sequence[str] = (),
              kernel: bool = False, stack_size: int | None = None) -> Path:
    """Compile C (a file path, or C source text) into a BPF ELF object; return its path.

    ``output`` defaults to the source path with suffix ``.o``, or a temporary file for text.
    ``stack_size`` limits each function's frame (default: ``-mllvm -bpf-stack-size=N`` among
    ``flags``, else :data:`STACK_SIZE`; ignored for kernel programs).  Warnings go to
    ``sys.stderr``.  Raises :class:`CompileError` with clang's messages.
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
        return compile_ir(ir.read_text(), target, name=name, flags=_backend_flags(flags),
                          stack_size=stack_size)


def _backend_flags(flags: Sequence[str]) -> list[str]:
    """The user's flags that matter to code generation: ``-O…``, ``-mcpu=…``, ``-mllvm X``."""
    kept: list[str] = []
    for i, flag in enumerate(flags):
        if flag.startswith(("-O", "-mcpu=")) or flag == "-mllvm" or (i and flags[i - 1] == "-mllvm"):
            kept.append(flag)
    return kept


def compile_ir(ir: str, output: Path, *, name: str = "<source>", flags: Sequence[str] = (),
               stack_size: int | None = None) -> Path:
    """Legalise LLVM IR text from clang (bpfel) and compile it to a BPF object at ``output``.

    ``stack_size`` is the frame limit (see :func:`compile_c`), recorded in the object's
    :data:`STACK_SECTION`.  Raises :class:`CompileError` if the IR holds floating point bpfvm
    cannot lower, if the rewritten module does not verify, or with clang's messages if the
    backend fails.
    """
    try:
        size, flags = _stack_flags(flags, stack_size)
    except ValueError as error:
        raise CompileError(name, str(error)) from None
    try:
        legal = legalize(ir, name, _libc_names()) + _stack_record(size)
    except LegalizeError as error:
        raise CompileError(name, str(error)) from None
    _verify(legal, name)
    with tempfile.TemporaryDirectory(prefix="bpfvm-ir-") as tmp:
        path = Path(tmp) / "legal.ll"
        path.write_text(legal)
        command = [sys.executable, "-m", "ziglang", "cc", *BACKEND_FLAGS, *flags, "-c", str(path),
                   "-o", str(output)]
        try:
            return _run(command, name, None, output)
        except CompileError as error:
            explained = explain(error.stderr, legal, name, size)
            if explained is None:
                raise
            raise CompileError(name, explained) from None


def _libc_names() -> frozenset[str]:
    """The names of bpfvm's libc functions (a pointer to one needs a thunk)."""
    from ..libc import LIBC

    return frozenset(LIBC)


def _stack_flags(flags: Sequence[str], stack_size: int | None) -> tuple[int, list[str]]:
    """The frame limit in effect, and ``flags`` with exactly one ``-mllvm -bpf-stack-size=N``."""
    given = [int(f[len(_STACK_FLAG):]) for f in flags if f.startswith(_STACK_FLAG)]
    if given and stack_size is not None and given[-1] != stack_size:
        raise ValueError(f"stack_size={stack_size} contradicts {_STACK_FLAG}{given[-1]} in the flags")
    size = given[-1] if given else STACK_SIZE if stack_size is None else stack_size
    if size <= 0 or size % 8:
        raise ValueError(f"the stack size must be a positive multiple of 8, not {size}")
    if given:
        return size, list(flags)
    return size, [*flags, "-mllvm", f"{_STACK_FLAG}{size}"]


def _stack_record(size: int) -> str:
    """Module assembly putting ``size`` into :data:`STACK_SECTION` (not loaded into memory)."""
    return (f'module asm ".pushsection {STACK_SECTION},\\22\\22,@progbits"\n'
            f'module asm ".long {size}"\nmodule asm ".popsection"\n')


def stack_size_of(obj: bytes | os.PathLike[str] | str) -> int | None:
    """The frame size an object compiled by :func:`compile_c` needs (recorded in its
    :data:`STACK_SECTION`), or None if it has no record (kernel programs, other compilers)."""
    from ..elf.loader import frame_size
    from ..elf.reader import read_object

    return frame_size(read_object(obj))


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
            name: str | None = None, stack_size: int | None = None) -> Program:
    """Compile C (a path or source text) and load it: a :class:`~bpfvm.program.Program`.

    ``stack_size``: see :func:`compile_c`; run the program with ``VM(stack_size=…)`` at least as
    large.

    Raises :class:`CompileError` for compiler errors, :class:`~bpfvm.errors.ElfError` for an
    object the loader cannot handle.
    """
    from ..elf import load

    with tempfile.TemporaryDirectory(prefix="bpfvm-cc-") as tmp:
        obj = compile_c(source, output=Path(tmp) / "program.o", flags=flags, kernel=kernel,
                        stack_size=stack_size)
        data = obj.read_bytes()
    if name is None:
        name = Path(source).stem if _is_path(source) else "<source>"
    return load(data, name=name)
