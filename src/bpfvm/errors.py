"""The one error hierarchy of bpfvm.

Every failure that bad input or a misbehaving guest program can cause is a subclass of
:class:`BpfError` and says *what* went wrong and *where* (instruction index, line/column,
file/section). Guest faults at run time are :class:`VmTrap` with a :class:`TrapKind`.
"""

from __future__ import annotations

import enum

__all__ = [
    "AsmError",
    "BpfError",
    "BtfError",
    "DecodeError",
    "ElfError",
    "MapError",


    "GuestMemoryError",
    "ProgramError",
    "TrapKind",
    "VmTrap",
]


class BpfError(Exception):
    """Base class of every error bpfvm raises on bad input or guest misbehaviour."""


class DecodeError(BpfError):
    """An instruction stream is malformed: unknown opcode, reserved field set, bad jump.

    ``pc`` is the instruction (slot) index of the offending instruction.
    """

    def __init__(self, message: str, pc: int) -> None:
        super().__init__(f"{message} (insn #{pc})")
        self.reason = message
        self.pc = pc


class AsmError(BpfError):
    """Assembly text that cannot be assembled; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int = 1, source: str = "<asm>") -> None:
        super().__init__(f"{source}:{line}:{column}: {message}")
        self.reason = message
        self.line = line
        self.column = column
        self.source = source


class ElfError(BpfError):
    """A malformed or unsupported ELF object; the message names file, section, symbol or offset."""


class MapError(BpfError):
    """A map operation failed as the kernel's would: ``errno`` is the positive kernel errno
    (``errno.ENOENT`` for a missing key, ``E2BIG`` for a full map …), ``op`` the operation and
    ``map_name`` the map."""

    def __init__(self, errno: int, op: str, map_name: str = "", detail: str = "") -> None:
        import errno as _errno
        import os

        code = _errno.errorcode.get(errno, str(errno))
        where = f"map {map_name}: " if map_name else ""
        text = f"{where}{op}: {os.strerror(errno) if errno != 524 else 'Operation not supported'} ({code})"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.errno = errno
        self.op = op
        self.map_name = map_name
        self.detail = detail


class BtfError(BpfError):
    """Malformed or unsupported BTF: the message names the type id and the field (or the header
    field, or the ``.BTF.ext`` record) that is wrong.

    ``type_id`` and ``field`` are None where the defect is not in one type (header, string table).
    """

    def __init__(self, message: str, type_id: int | None = None, field: str | None = None) -> None:
        where = "" if type_id is None else f"type [{type_id}]" + (f" field {field}" if field else "") + ": "
        super().__init__(where + message)
        self.reason = message
        self.type_id = type_id
        self.field = field


class GuestMemoryError(BpfError, MemoryError):
    """A VM's guest memory (``VM(memory_size=…)``) has no room for a region: a program's
    segments, a run buffer, a map.  A ``MemoryError`` too, so callers that treat it as C's
    ``ENOMEM`` keep working; the host's memory is never touched."""


class ProgramError(BpfError):
    """A program that decodes but cannot run: bad entry, unknown helper, bad call target."""

    def __init__(self, message: str, pc: int | None = None) -> None:
        super().__init__(message if pc is None else f"{message} (insn #{pc})")
        self.reason = message
        self.pc = pc


class TrapKind(enum.Enum):
    """Why a guest program was stopped. Both engines report the same kind and pc."""

    #: Load or store outside guest memory, or in the unmapped guard page around address 0.
    OUT_OF_BOUNDS = "out-of-bounds"
    #: Store to read-only memory (.rodata, code).
    READ_ONLY = "read-only"
    #: ``call imm`` to a helper id that no one registered.
    UNKNOWN_HELPER = "unknown-helper"
    #: ``call`` to a symbol name with no intrinsic bound (lazy binding).
    UNKNOWN_INTRINSIC = "unknown-intrinsic"
    #: BPF-to-BPF call nesting deeper than the configured frame limit.
    CALL_DEPTH = "call-depth"
    #: An ``r10``-relative access outside the current stack frame ``[r10 - stack_size, r10)``.
    STACK_OVERFLOW = "stack-overflow"
    #: The instruction budget (``max_instructions``) ran out.
    BUDGET = "budget"
    #: The wall-clock timeout elapsed or the run was cancelled.
    TIMEOUT = "timeout"
    #: ``callx`` to an address that is not the start of a function.
    BAD_CALL_TARGET = "bad-call-target"
    #: A helper or intrinsic raised an exception (kept as ``__cause__``).
    HELPER_FAILED = "helper-failed"
    #: Guest called ``abort()`` or failed an ``assert``.
    ABORT = "abort"
    #: Heap misuse detected by the allocator (double free, bad pointer).
    HEAP = "heap"
    #: A function's last instruction, a call to a function that should not return, returned.
    FELL_OFF = "fell-off"
    #: ``longjmp`` to a ``jmp_buf`` whose ``setjmp`` frame has returned (or that no ``setjmp`` filled).
    BAD_LONGJMP = "bad-longjmp"


    #: The guest wrote more than ``max_output`` bytes in one run (stdout, stderr and files),
    #: as a process past ``RLIMIT_FSIZE`` gets ``SIGXFSZ``.
    OUTPUT_LIMIT = "output-limit"


class VmTrap(BpfError):
    """A guest program fault: ``kind`` says what, ``pc`` the instruction index where.

    ``addr`` is the guest address involved, if any.
    """

    def __init__(self, kind: TrapKind, pc: int, message: str = "", addr: int | None = None) -> None:
        text = f"trap {kind.value} at pc {pc}"
        if message:
            text += f": {message}"
        super().__init__(text)
        self.kind = kind
        self.pc = pc
        self.reason = message
        self.addr = addr
