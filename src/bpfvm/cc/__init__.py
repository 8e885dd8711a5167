"""The C toolchain stage: C source → BPF ELF object.

:mod:`.driver` runs clang (the ``ziglang`` package) against bpfvm's libc headers; the IR passes
it applies in order are one module each — :mod:`.legalize` (floating point, intrinsics; it
drives the others), :mod:`.argblock` (arguments beyond the fifth), :mod:`.varargs`,
:mod:`.aggregates` (structs by value, memory intrinsics), :mod:`.thunks`, :mod:`.vla` (the
shadow stack) — and :mod:`.diagnose` turns backend failures into ``file:line: what to change``.
"""

from .driver import (
    BACKEND_FLAGS,
    INCLUDE,
    KERNEL_FLAGS,
    LIBC_FLAGS,
    STACK_SECTION,
    STACK_SIZE,
    CompileError,
    cc_command,
    compile,
    compile_c,
    compile_ir,
    fingerprint,
    stack_size_of,
)

__all__ = ["BACKEND_FLAGS", "INCLUDE", "KERNEL_FLAGS", "LIBC_FLAGS", "STACK_SECTION", "STACK_SIZE",
           "CompileError", "cc_command", "compile", "compile_c", "compile_ir", "fingerprint", "stack_size_of"]
