"""What the C library needs from a VM, and the per-VM state it keeps.

Every libc intrinsic takes the VM as its ``vm`` parameter and uses only the attributes of
:class:`Machine`.  State that C keeps in hidden globals — ``strtok``'s position, the ``rand``
generator, open ``FILE`` streams, ``errno``, ``atexit`` handlers, strings handed out by
``getenv``/``strerror`` — lives in a :class:`LibcState` per VM, created on first use by
:func:`state` (kept in the VM's ``libc_state`` dict).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TypeVar

from ..isa.arith import sext
from ..memory import Memory
from ..runtime.heap import Heap
from .random import GlibcRandom

if TYPE_CHECKING:
    from .stream import Stream

__all__ = ["LibcState", "Machine", "arg_int", "arg_long", "export", "exported", "get_errno", "guest_string",
           "set_errno", "state"]


class Machine(Protocol):
    """The VM as the C library sees it."""

    memory: Memory
    stdin: BinaryIO
    stdout: BinaryIO
    stderr: BinaryIO
    fs: dict[str, str]  #: guest path prefix → host directory (the file sandbox)
    env: dict[str, str]  #: the environment seen by ``getenv``
    pc: int  #: pc of the current intrinsic call
    libc_state: dict[str, Any]  #: where :func:`state` keeps this VM's :class:`LibcState`

    @property
    def heap(self) -> Heap:
        """The guest heap (:class:`~bpfvm.runtime.heap.Heap`)."""
        ...

    def call(self, addr: int, *args: int) -> int:
        """Call the guest function at code address ``addr`` with ``args``; return its r0."""
        ...


@dataclass
class LibcState:
    """The hidden globals of one VM's C library."""

    strtok_next: int = 0  #: where ``strtok(NULL, …)`` continues (0: nothing left)
    random: GlibcRandom | None = None  #: the ``rand``/``random`` generator (made on first use)
    errno: int = 0  #: errno's value until the guest asks for its address
    errno_addr: int = 0  #: guest address of errno (0: not handed out yet)
    streams: dict[int, Stream] = field(default_factory=dict)  #: FILE handle → stream
    closed_std: set[int] = field(default_factory=set)  #: standard streams the guest fclose'd
    next_handle: int = 4  #: the next FILE handle to give out (1–3 are the standard streams)
    atexit: list[int] = field(default_factory=list)  #: guest functions, in registration order
    strings: dict[tuple[str, str], int] = field(default_factory=dict)  #: interned guest strings
    clock_start: int = field(default_factory=time.process_time_ns)


def state(vm: Machine) -> LibcState:
    """The C library state of ``vm`` (created on first use, kept in ``vm.libc_state``)."""
    found: LibcState | None = vm.libc_state.get("libc")
    if found is None:
        found = vm.libc_state["libc"] = LibcState()
    return found


def get_errno(vm: Machine) -> int:
    """The guest's current ``errno``."""
    st = state(vm)
    return sext(vm.memory.load(st.errno_addr, 4), 32) if st.errno_addr else st.errno


def set_errno(vm: Machine, value: int) -> None:
    """Set the guest's ``errno``."""
    st = state(vm)
    st.errno = value
    if st.errno_addr:
        vm.memory.store(st.errno_addr, 4, value, pc=vm.pc)


def arg_int(value: int) -> int:
    """A C ``int`` argument: the low 32 bits of its register, signed."""
    return sext(value, 32)


def arg_long(value: int) -> int:
    """A C ``long`` argument: the 64-bit register, signed."""
    return sext(value, 64)


def guest_string(vm: Machine, kind: str, text: str) -> int:
    """The guest address of a NUL-terminated copy of ``text``, allocated once per VM and ``kind``.

    Returns 0 if the heap is exhausted.
    """
    st = state(vm)
    addr = st.strings.get((kind, text), 0)
    if not addr:
        data = text.encode() + b"\0"
        addr = vm.heap.malloc(len(data))
        if addr:
            vm.memory.write(addr, data, pc=vm.pc)
            st.strings[(kind, text)] = addr
    return addr


F = TypeVar("F", bound=Callable[..., Any])

_EXPORTS: dict[str, Callable[..., Any]] = {}


def export(*names: str) -> Callable[[F], F]:
    """Decorator: export the function to guests as libc symbol ``names`` (default: its own name)."""
    def register(fn: F) -> F:
        for name in names or (fn.__name__.rstrip("_"),):
            if name in _EXPORTS:
                raise ValueError(f"libc symbol {name!r} exported twice")
            _EXPORTS[name] = fn
        return fn
    return register


def exported() -> dict[str, Callable[..., Any]]:
    """Every function exported with :func:`export` so far, by symbol name."""
    return dict(_EXPORTS)
