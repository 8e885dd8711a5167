"""``<string.h>`` and ``<strings.h>`` (C17 §7.24, POSIX) as intrinsics, C locale.

Every function checks the guest memory it touches and traps (``VmTrap``, out-of-bounds or
read-only) where a real program would crash; a length of 0 touches nothing.  Comparisons return
the difference of the first differing bytes as unsigned chars, as glibc's x86-64 versions do.
"""

from __future__ import annotations

import errno
import os

from ..errors import TrapKind, VmTrap
from .state import Machine, arg_int, export, guest_string, set_errno, state

__all__ = [
    "bcopy", "bzero", "memchr", "memcmp", "memcpy", "memmove", "memrchr", "memset", "stpcpy", "strcasecmp",
    "strcat", "strchr", "strcmp", "strcpy", "strcspn", "strdup", "strerror", "strerror_text", "strlen",
    "strn", "strncasecmp", "strncat", "strncmp", "strncpy", "strndup", "strnlen", "strpbrk", "strrchr",
    "strspn", "strstr", "strtok",
]

_UPPER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def strn(vm: Machine, addr: int, limit: int) -> bytes:
    """The bytes at ``addr`` up to the first NUL or ``limit`` bytes, whichever comes first."""
    if limit <= 0:
        return b""
    mem = vm.memory
    mem.check(addr, 1, write=False, pc=vm.pc)
    stop = min(mem.size, addr + limit)
    end = mem.buf.find(b"\0", addr, stop)
    if end < 0:
        if stop < addr + limit:
            raise VmTrap(TrapKind.OUT_OF_BOUNDS, vm.pc, f"unterminated string at {addr:#x}", addr)
        end = stop
    return mem.buf[addr:end]


def _cstr(vm: Machine, addr: int) -> bytes:
    return vm.memory.cstring(addr, 1 << 31, pc=vm.pc)


def _read(vm: Machine, addr: int, n: int) -> bytes:
    return vm.memory.read(addr, n, pc=vm.pc) if n else b""


def _write(vm: Machine, addr: int, data: bytes) -> None:
    if data:
        vm.memory.write(addr, data, pc=vm.pc)


def _writable(vm: Machine, addr: int, n: int) -> None:
    """Trap now if ``n`` bytes at ``addr`` are not writable (before building ``n`` bytes on the host)."""
    if n:
        vm.memory.check(addr, n, write=True, pc=vm.pc)


def _diff(a: bytes, b: bytes) -> int:
    """memcmp of two byte strings, comparing ``len(a)`` bytes (b is NUL-padded if shorter)."""
    for x, y in zip(a, b.ljust(len(a), b"\0")):
        if x != y:
            return x - y
    return 0


def _cmp_str(a: bytes, b: bytes) -> int:
    """strcmp of two strings given without their NULs."""
    return _diff(a + b"\0", b + b"\0")


# -- memory blocks --------------------------------------------------------------------------------

@export()
def memcpy(vm: Machine, dst: int, src: int, n: int) -> int:
    """Copy ``n`` bytes from ``src`` to ``dst`` (overlap allowed, as with memmove); return ``dst``."""
    _write(vm, dst, _read(vm, src, n))
    return dst


@export()
def memmove(vm: Machine, dst: int, src: int, n: int) -> int:
    """Copy ``n`` bytes from ``src`` to ``dst``, regions may overlap; return ``dst``."""
    return memcpy(vm, dst, src, n)


@export()
def memset(vm: Machine, s: int, c: int, n: int) -> int:
    """Fill ``n`` bytes at ``s`` with ``(unsigned char)c``; return ``s``."""
    _writable(vm, s, n)
    _write(vm, s, bytes([c & 0xFF]) * n)
    return s


@export()
def bzero(vm: Machine, s: int, n: int) -> None:
    """Zero ``n`` bytes at ``s``."""
    memset(vm, s, 0, n)


@export()
def bcopy(vm: Machine, src: int, dst: int, n: int) -> None:
    """Copy ``n`` bytes from ``src`` to ``dst`` (note the argument order)."""
    memcpy(vm, dst, src, n)


@export()
def memcmp(vm: Machine, a: int, b: int, n: int) -> int:
    """Compare ``n`` bytes: the difference of the first differing bytes, or 0."""
    return _diff(_read(vm, a, n), _read(vm, b, n))


@export()
def memchr(vm: Machine, s: int, c: int, n: int) -> int:
    """Address of the first ``(unsigned char)c`` in ``n`` bytes at ``s``, or 0."""
    i = _read(vm, s, n).find(c & 0xFF)
    return s + i if i >= 0 else 0


@export()
def memrchr(vm: Machine, s: int, c: int, n: int) -> int:
    """Address of the last ``(unsigned char)c`` in ``n`` bytes at ``s``, or 0 (GNU)."""
    i = _read(vm, s, n).rfind(c & 0xFF)
    return s + i if i >= 0 else 0


# -- lengths, copies, concatenation ---------------------------------------------------------------

@export()
def strlen(vm: Machine, s: int) -> int:
    """Number of bytes before the NUL."""
    return len(_cstr(vm, s))


@export()
def strnlen(vm: Machine, s: int, n: int) -> int:
    """``strlen(s)``, but at most ``n`` (bytes past ``n`` are not read)."""
    return len(strn(vm, s, n))


@export()
def strcpy(vm: Machine, dst: int, src: int) -> int:
    """Copy the string at ``src`` with its NUL to ``dst``; return ``dst``."""
    _write(vm, dst, _cstr(vm, src) + b"\0")
    return dst


@export()
def stpcpy(vm: Machine, dst: int, src: int) -> int:
    """Like strcpy; return the address of the NUL written at the end of ``dst`` (POSIX)."""
    text = _cstr(vm, src)
    _write(vm, dst, text + b"\0")
    return dst + len(text)


@export()
def strncpy(vm: Machine, dst: int, src: int, n: int) -> int:
    """Copy at most ``n`` bytes of ``src`` and pad ``dst`` with NULs to ``n`` bytes; return ``dst``.

    Like C, writes no NUL when ``src`` is ``n`` bytes or longer.
    """
    _writable(vm, dst, n)
    _write(vm, dst, strn(vm, src, n).ljust(n, b"\0"))
    return dst


@export()
def strcat(vm: Machine, dst: int, src: int) -> int:
    """Append the string at ``src`` to the one at ``dst``; return ``dst``."""
    _write(vm, dst + strlen(vm, dst), _cstr(vm, src) + b"\0")
    return dst


@export()
def strncat(vm: Machine, dst: int, src: int, n: int) -> int:
    """Append at most ``n`` bytes of ``src``, then a NUL, to the string at ``dst``; return ``dst``."""
    _write(vm, dst + strlen(vm, dst), strn(vm, src, n) + b"\0")
    return dst


@export()
def strdup(vm: Machine, s: int) -> int:
    """A heap copy of the string at ``s``; 0 with errno ENOMEM when the heap is full."""
    return _dup(vm, _cstr(vm, s))


@export()
def strndup(vm: Machine, s: int, n: int) -> int:
    """A heap copy of at most ``n`` bytes of ``s``, NUL-terminated; 0 (ENOMEM) when full."""
    return _dup(vm, strn(vm, s, n))


def _dup(vm: Machine, text: bytes) -> int:
    addr = vm.heap.malloc(len(text) + 1)
    if not addr:
        set_errno(vm, errno.ENOMEM)
        return 0
    _write(vm, addr, text + b"\0")
    return addr


# -- comparison -----------------------------------------------------------------------------------

@export("strcmp", "strcoll")
def strcmp(vm: Machine, a: int, b: int) -> int:
    """Compare two strings as unsigned bytes (``strcoll`` too: the C locale collates bytewise)."""
    return _cmp_str(_cstr(vm, a), _cstr(vm, b))


@export()
def strncmp(vm: Machine, a: int, b: int, n: int) -> int:
    """Compare at most ``n`` bytes of two strings."""
    return _cmp_str(strn(vm, a, n), strn(vm, b, n))


@export()
def strcasecmp(vm: Machine, a: int, b: int) -> int:
    """Compare two strings ignoring ASCII case (bytes compared in lower case)."""
    return _cmp_str(_cstr(vm, a).translate(_UPPER), _cstr(vm, b).translate(_UPPER))


@export()
def strncasecmp(vm: Machine, a: int, b: int, n: int) -> int:
    """Compare at most ``n`` bytes of two strings ignoring ASCII case."""
    return _cmp_str(strn(vm, a, n).translate(_UPPER), strn(vm, b, n).translate(_UPPER))


# -- search ---------------------------------------------------------------------------------------

@export("strchr", "index")
def strchr(vm: Machine, s: int, c: int) -> int:
    """Address of the first ``(char)c`` in ``s`` (the NUL itself for ``c == 0``), or 0."""
    i = (_cstr(vm, s) + b"\0").find(c & 0xFF)
    return s + i if i >= 0 else 0


@export("strrchr", "rindex")
def strrchr(vm: Machine, s: int, c: int) -> int:
    """Address of the last ``(char)c`` in ``s`` (the NUL itself for ``c == 0``), or 0."""
    i = (_cstr(vm, s) + b"\0").rfind(c & 0xFF)
    return s + i if i >= 0 else 0


@export()
def strstr(vm: Machine, haystack: int, needle: int) -> int:
    """Address of the first occurrence of ``needle`` in ``haystack`` (``haystack`` if empty), or 0."""
    i = _cstr(vm, haystack).find(_cstr(vm, needle))
    return haystack + i if i >= 0 else 0


def _span(text: bytes, chars: bytes, inside: bool) -> int:
    """Length of the prefix of ``text`` whose bytes are (``inside``) or are not in ``chars``."""
    members = set(chars)
    for i, byte in enumerate(text):
        if (byte in members) != inside:
            return i
    return len(text)


@export()
def strspn(vm: Machine, s: int, accept: int) -> int:
    """Length of the prefix of ``s`` made only of bytes in ``accept``."""
    return _span(_cstr(vm, s), _cstr(vm, accept), True)


@export()
def strcspn(vm: Machine, s: int, reject: int) -> int:
    """Length of the prefix of ``s`` made only of bytes not in ``reject``."""
    return _span(_cstr(vm, s), _cstr(vm, reject), False)


@export()
def strpbrk(vm: Machine, s: int, accept: int) -> int:
    """Address of the first byte of ``s`` that is in ``accept``, or 0."""
    text = _cstr(vm, s)
    i = _span(text, _cstr(vm, accept), False)
    return s + i if i < len(text) else 0


@export()
def strtok(vm: Machine, s: int, delim: int) -> int:
    """Split a string into tokens: the next token (NUL-terminated in place), or 0 at the end.

    ``s`` starts a new string; 0 continues the previous one (state kept per VM).
    """
    st = state(vm)
    start = s or st.strtok_next
    if not start:
        return 0
    text, delims = _cstr(vm, start), _cstr(vm, delim)
    skip = _span(text, delims, True)
    if skip == len(text):
        st.strtok_next = 0
        return 0
    length = _span(text[skip:], delims, False)
    end = start + skip + length
    if skip + length < len(text):
        _write(vm, end, b"\0")
        st.strtok_next = end + 1
    else:
        st.strtok_next = 0
    return start + skip


# -- errors ---------------------------------------------------------------------------------------

def strerror_text(errnum: int) -> str:
    """glibc's message for ``errnum`` (``"Unknown error N"`` for unknown codes)."""
    if 0 < errnum < 134:
        return os.strerror(errnum)
    return "Success" if errnum == 0 else f"Unknown error {errnum}"


@export()
def strerror(vm: Machine, errnum: int) -> int:
    """Address of a (per-VM, read-only by convention) string describing ``errnum``."""
    return guest_string(vm, "strerror", strerror_text(arg_int(errnum)))
