"""``<signal.h>`` (C17 §7.14) and ``<locale.h>`` (C17 §7.11) for a sandbox with neither.

No signal is ever delivered to a guest: ``signal`` records the handler and returns the previous
one (so ``signal(SIGINT, h)`` then ``signal(SIGINT, SIG_DFL)`` behaves), ``raise`` calls the
recorded handler synchronously (SIG_DFL ends the program as the signal would: ``abort`` for
SIGABRT, else exit status 128 + sig; SIG_IGN does nothing).  The only locale is "C":
``setlocale`` accepts ``"C"``, ``"POSIX"`` and ``""`` (which here means "C") and answers "C";
``localeconv`` returns the C locale's ``struct lconv``.
"""

from __future__ import annotations

import errno as E
import struct

from ..errors import TrapKind, VmTrap
from ..runtime.calls import ProgramExit
from .state import Machine, arg_int, export, guest_string, set_errno

__all__ = ["LCONV_SIZE", "NSIG", "SIG_DFL", "SIG_ERR", "SIG_IGN", "localeconv", "raise_", "setlocale",
           "signal"]

SIG_DFL, SIG_IGN, SIG_ERR = 0, 1, (1 << 64) - 1
NSIG = 65
_SIGABRT = 6
#: ``struct lconv`` (glibc's layout, LP64): ten ``char *`` then fourteen ``char``.
LCONV_SIZE = 10 * 8 + 16
_C_LCONV_STRINGS = (".", "", "", "", "", "", "", "", "", "")
_CHAR_MAX = 127


def _handlers(vm: Machine) -> dict[int, int]:
    found: dict[int, int] | None = vm.libc_state.get("signal")
    if found is None:
        found = vm.libc_state["signal"] = {}
    return found


@export()
def signal(vm: Machine, sig: int, handler: int) -> int:
    """Record ``handler`` for ``sig`` (never called but by ``raise``); the previous handler, or
    SIG_ERR with errno EINVAL for a bad signal number."""
    number = arg_int(sig)
    if not 0 < number < NSIG:
        set_errno(vm, E.EINVAL)
        return SIG_ERR
    table = _handlers(vm)
    previous = table.get(number, SIG_DFL)
    table[number] = handler
    return previous


@export("raise")
def raise_(vm: Machine, sig: int) -> int:
    """Deliver ``sig`` to the guest now: its handler, or the default action; 0, or -1 (EINVAL)."""
    number = arg_int(sig)
    if not 0 < number < NSIG:
        set_errno(vm, E.EINVAL)
        return -1
    handler = _handlers(vm).get(number, SIG_DFL)
    if handler == SIG_IGN:
        return 0
    if handler == SIG_DFL:
        if number == _SIGABRT:
            raise VmTrap(TrapKind.ABORT, vm.pc, "raise(SIGABRT)")
        raise ProgramExit(128 + number)
    _handlers(vm)[number] = SIG_DFL  # C: the handler is reset before it runs
    vm.call(handler, number)
    return 0


@export()
def setlocale(vm: Machine, category: int, locale: int) -> int:
    """"C" for a query (NULL) or a request of "C", "POSIX" or "" (the environment's: "C" here);
    NULL for any other locale, which is not available."""
    if locale:
        name = vm.memory.cstring(locale, pc=vm.pc)
        if name not in (b"C", b"POSIX", b""):
            return 0
    return guest_string(vm, "locale", "C")


@export()
def localeconv(vm: Machine) -> int:
    """The C locale's ``struct lconv`` (decimal point ".", nothing else set)."""
    addr = guest_string(vm, "lconv", "\0" * (LCONV_SIZE - 1))
    if addr:
        pointers = [guest_string(vm, "lconv.text", text) for text in _C_LCONV_STRINGS]
        vm.memory.write(addr, struct.pack("<10Q", *pointers) + bytes([_CHAR_MAX] * 14) + b"\0\0", pc=vm.pc)
    return addr
