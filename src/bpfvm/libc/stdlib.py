"""``<stdlib.h>`` (C17 §7.22) as intrinsics: memory, numbers, sorting, the environment, exit.

``malloc`` and friends are the VM's :class:`~bpfvm.runtime.heap.Heap`.  ``qsort`` and
``bsearch`` call the guest's comparator through ``vm.call`` and read its result as a C ``int``.
``rand`` is glibc's generator (:mod:`.random`).  ``exit`` flushes the streams, runs ``atexit``
handlers (last registered first) and ends the program with
:class:`~bpfvm.runtime.calls.ProgramExit`; ``abort`` traps with ``TrapKind.ABORT``.
"""

from __future__ import annotations

import errno as E
from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from ..errors import TrapKind, VmTrap
from ..isa.arith import sext
from ..runtime.calls import ProgramExit
from .random import GlibcRandom
from .state import Machine, arg_int, arg_long, export, guest_string, set_errno, state
from .stdio import flush_all

__all__ = [
    "QSORT_STABLE_MAX", "abort", "abs_", "assert_fail", "atexit", "atoi", "atol", "bpf_trap", "bsearch",
    "calloc", "exit_",
    "exit_now", "finish", "free", "getenv", "labs", "malloc", "parse_integer", "qsort", "rand", "realloc",
    "reallocarray", "run_atexit", "srand", "strtol", "strtoul",
]

_M64 = (1 << 64) - 1
_SPACE = b" \t\n\v\f\r"
_DIGITS = {c: v for v, c in enumerate(b"0123456789abcdefghijklmnopqrstuvwxyz")}
_DIGITS.update({c: v for v, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10)})


# -- memory ---------------------------------------------------------------------------------------

def _allocated(vm: Machine, addr: int) -> int:
    if not addr:
        set_errno(vm, E.ENOMEM)
    return addr


@export()
def malloc(vm: Machine, size: int) -> int:
    """``size`` bytes from the heap; 0 (errno ENOMEM) when it is exhausted."""
    return _allocated(vm, vm.heap.malloc(size))


@export()
def calloc(vm: Machine, count: int, size: int) -> int:
    """``count * size`` zeroed bytes; 0 (ENOMEM) on overflow or exhaustion."""
    return _allocated(vm, vm.heap.calloc(count, size))


@export()
def realloc(vm: Machine, addr: int, size: int) -> int:
    """Resize a block (glibc: ``realloc(p, 0)`` frees ``p`` and returns 0); 0 (ENOMEM) if full."""
    new = vm.heap.realloc(addr, size, pc=vm.pc)
    return _allocated(vm, new) if size or not addr else new


@export()
def reallocarray(vm: Machine, addr: int, count: int, size: int) -> int:
    """``realloc(addr, count * size)``, failing with ENOMEM if the product overflows."""
    if (count * size) >> 64:
        set_errno(vm, E.ENOMEM)
        return 0
    return realloc(vm, addr, count * size)


@export()
def free(vm: Machine, addr: int) -> None:
    """Free a heap block (``free(0)`` does nothing); traps ``HEAP`` on a bad or double free."""
    vm.heap.free(addr, pc=vm.pc)


# -- integers -------------------------------------------------------------------------------------

@export()
def abs_(vm: Machine, x: int) -> int:
    """``|x|`` of an int (``abs(INT_MIN)`` wraps to INT_MIN, as on every real machine)."""
    return sext(abs(arg_int(x)), 32)


@export("labs", "llabs", "imaxabs")
def labs(vm: Machine, x: int) -> int:
    """``|x|`` of a long (64-bit)."""
    return sext(abs(arg_long(x)), 64)


def _digit(text: bytes, i: int) -> int:
    """The value of the digit at ``text[i]`` (letters are 10–35), or 99 for anything else."""
    return _DIGITS.get(text[i], 99) if i < len(text) else 99


def parse_integer(text: bytes, base: int) -> tuple[int, int] | None:
    """Parse like ``strtol`` without range checks: ``(value, bytes consumed)``, or None if ``text``
    holds no number.  ``base`` is 0 (decimal, ``0x`` hex or ``0`` octal) or 2–36."""
    i = len(text) - len(text.lstrip(_SPACE))
    negative = text[i:i + 1] == b"-"
    i += text[i:i + 1] in (b"-", b"+")
    if base in (0, 16) and text[i:i + 2] in (b"0x", b"0X") and _digit(text, i + 2) < 16:
        i, base = i + 2, 16
    elif base == 0:
        base = 8 if text[i:i + 1] == b"0" else 10
    start = i
    value = 0
    while _digit(text, i) < base:
        value = value * base + _digit(text, i)
        i += 1
    if i == start:
        return None
    return (-value if negative else value), i


def _strto(vm: Machine, nptr: int, endptr: int, base: int, signed: bool) -> int:
    """strtol/strtoul on 64-bit longs, with endptr, errno ERANGE/EINVAL and saturation."""
    base = arg_int(base)
    if base == 1 or not 0 <= base <= 36:
        set_errno(vm, E.EINVAL)
        return 0
    text = vm.memory.cstring(nptr, 1 << 31, pc=vm.pc)
    parsed = parse_integer(text, base)
    value, used = parsed if parsed is not None else (0, 0)
    if endptr:
        vm.memory.store(endptr, 8, nptr + used, pc=vm.pc)
    low, high = (-(1 << 63), (1 << 63) - 1) if signed else (-_M64, _M64)
    if not low <= value <= high:
        set_errno(vm, E.ERANGE)
        return (low if value < 0 else high) if signed else _M64
    return value if signed else value & _M64


@export("strtol", "strtoll", "strtoimax")
def strtol(vm: Machine, nptr: int, endptr: int, base: int) -> int:
    """Parse a signed 64-bit integer (C ``long``); saturates at LONG_MIN/LONG_MAX with ERANGE."""
    return _strto(vm, nptr, endptr, base, signed=True)


@export("strtoul", "strtoull", "strtoumax")
def strtoul(vm: Machine, nptr: int, endptr: int, base: int) -> int:
    """Parse an unsigned 64-bit integer; a leading ``-`` negates modulo 2⁶⁴; ULONG_MAX + ERANGE
    when the magnitude does not fit."""
    return _strto(vm, nptr, endptr, base, signed=False)


@export()
def atoi(vm: Machine, nptr: int) -> int:
    """``(int)strtol(nptr, NULL, 10)``."""
    return sext(strtol(vm, nptr, 0, 10), 32)


@export("atol", "atoll")
def atol(vm: Machine, nptr: int) -> int:
    """``strtol(nptr, NULL, 10)``."""
    return strtol(vm, nptr, 0, 10)


# -- sorting and searching ------------------------------------------------------------------------

@export()
def qsort(vm: Machine, base: int, count: int, size: int, cmp: int) -> None:
    """Sort ``count`` items of ``size`` bytes at ``base`` with the guest's ``cmp(a, b)``.

    The sort is stable (a valid qsort; glibc's merge sort is stable too).  The comparator sees
    the items in place, which stay unmoved until the sort has finished.  Arrays of more than
    :data:`QSORT_STABLE_MAX` items are heap-sorted in place instead (not stable), as glibc
    falls back to an in-place sort when its buffer would be too large: the stable sort's host
    memory grows with the count (~100 bytes an item, before the first comparison), which a
    guest must not be able to choose.
    """
    if count < 2 or not size:
        return
    def compare(a: int, b: int) -> int:
        return sext(vm.call(cmp, a, b), 32)

    if count > QSORT_STABLE_MAX:
        vm.memory.check(base, count * size, write=True, pc=vm.pc)
        _heapsort(vm.memory.buf, base, count, size, compare)
        return
    data = vm.memory.read(base, count * size, pc=vm.pc)
    order = sorted((base + i * size for i in range(count)), key=cmp_to_key(compare))
    vm.memory.write(base, b"".join(data[a - base:a - base + size] for a in order), pc=vm.pc)


#: The most items :func:`qsort` sorts stably (with host memory proportional to the count).
QSORT_STABLE_MAX = 1 << 20


def _heapsort(buf: Any, base: int, count: int, size: int, compare: Callable[[int, int], int]) -> None:
    """Sort ``count`` items of ``size`` bytes at ``base`` of ``buf`` in place (constant host memory)."""
    def item(i: int) -> int:
        return base + i * size

    def swap(i: int, j: int) -> None:
        a, b = item(i), item(j)
        buf[a:a + size], buf[b:b + size] = buf[b:b + size], buf[a:a + size]

    def sift(root: int, end: int) -> None:
        while 2 * root + 1 < end:
            child = 2 * root + 1
            if child + 1 < end and compare(item(child), item(child + 1)) < 0:
                child += 1
            if compare(item(root), item(child)) >= 0:
                return
            swap(root, child)
            root = child

    for start in range(count // 2 - 1, -1, -1):
        sift(start, count)
    for end in range(count - 1, 0, -1):
        swap(0, end)
        sift(0, end)


@export()
def bsearch(vm: Machine, key: int, base: int, count: int, size: int, cmp: int) -> int:
    """Binary search of a sorted array with ``cmp(key, item)``: an equal item's address, or 0.

    Probes the same items as glibc, so it finds the same one among equals.
    """
    low, high = 0, count
    while low < high:
        mid = (low + high) // 2
        item = base + mid * size
        order = sext(vm.call(cmp, key, item), 32)
        if order < 0:
            high = mid
        elif order > 0:
            low = mid + 1
        else:
            return item
    return 0


# -- random numbers -------------------------------------------------------------------------------

def _generator(vm: Machine) -> GlibcRandom:
    st = state(vm)
    if st.random is None:
        st.random = GlibcRandom()
    return st.random


@export("rand", "random")
def rand(vm: Machine) -> int:
    """The next number of glibc's generator, in ``[0, RAND_MAX]``."""
    return _generator(vm).next()


@export("srand", "srandom")
def srand(vm: Machine, seed: int) -> None:
    """Reseed the generator (as glibc: ``srand(s)`` restarts the same sequence)."""
    _generator(vm).seed(seed & 0xFFFF_FFFF)


# -- environment and termination ------------------------------------------------------------------

@export()
def getenv(vm: Machine, name: int) -> int:
    """Address of the value of environment variable ``name`` in ``vm.env``, or 0 if unset."""
    key = vm.memory.cstring(name, pc=vm.pc).decode(errors="surrogateescape")
    value = vm.env.get(key)
    return 0 if value is None else guest_string(vm, f"env:{key}", value)


@export()
def atexit(vm: Machine, fn: int) -> int:
    """Register guest function ``fn`` to run at ``exit``; 0."""
    state(vm).atexit.append(fn)
    return 0


def run_atexit(vm: Machine) -> None:
    """Run the guest's ``atexit`` handlers, last registered first (each once)."""
    handlers = state(vm).atexit
    while handlers:
        vm.call(handlers.pop())


def finish(vm: Machine) -> None:
    """What returning from ``main`` does besides returning (C17 §5.1.2.2.3, §7.22.4.4): run the
    ``atexit`` handlers, then flush every stream.  Call it while the program still runs."""
    run_atexit(vm)
    flush_all(vm)


@export()
def exit_(vm: Machine, status: int) -> None:
    """Run ``atexit`` handlers, flush every stream and end the program with ``status``."""
    finish(vm)
    raise ProgramExit(arg_int(status))


@export("_Exit", "_exit")
def exit_now(vm: Machine, status: int) -> None:
    """End the program with ``status`` at once: no handlers, no flushing."""
    raise ProgramExit(arg_int(status))


@export()
def abort(vm: Machine) -> None:
    """Stop the program: :class:`VmTrap` of kind ``ABORT``."""
    raise VmTrap(TrapKind.ABORT, vm.pc, "abort() called")


@export("__bpf_trap")
def bpf_trap(vm: Machine) -> None:
    """What clang's BPF backend calls for ``__builtin_trap()`` and reached ``unreachable`` code:
    :class:`VmTrap` ``ABORT``."""
    raise VmTrap(TrapKind.ABORT, vm.pc, "__builtin_trap() or unreachable code reached")


@export("__bpfvm_assert_fail")
def assert_fail(vm: Machine, expr: int, file: int, line: int, func: int) -> None:
    """A failed ``assert``: :class:`VmTrap` ``ABORT`` with glibc's message."""
    text = [vm.memory.cstring(a, pc=vm.pc).decode(errors="replace") for a in (expr, file)]
    where = vm.memory.cstring(func, pc=vm.pc).decode(errors="replace") + ": " if func else ""
    flush_all(vm)
    raise VmTrap(TrapKind.ABORT, vm.pc,
                 f"{text[1]}:{arg_int(line)}: {where}Assertion `{text[0]}' failed.")
