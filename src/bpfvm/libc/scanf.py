"""The scanf family (C17 §7.21.6.2) with glibc's semantics, as intrinsics.

``sscanf``, ``scanf`` and ``fscanf`` are declared variadic, so bpfvm's IR stage
(:mod:`bpfvm.cc.varargs`) passes their destination pointers in a block of 8-byte slots after the
fixed arguments; ``vsscanf``, ``vscanf`` and ``vfscanf`` receive a ``va_list``, a pointer to the
next such slot.  Either way the intrinsic reads one slot per assigning conversion.

Supported: ``%d %i %u %x %X %o %c %s %[...] %n %%``, ``*`` (suppress assignment), a maximum
field width and the length modifiers ``hh h l ll z j t q L``.  Integers are converted as
``strtol``/``strtoul`` (so out-of-range input saturates at 64 bits, then is truncated to the
destination's size), as glibc does.  The result is the number of assignments, or ``EOF`` when
input ends before the first assignment.  A stream is read a byte at a time with one byte of
push-back, so a failed conversion leaves the stream after the last byte it consumed.
"""

from __future__ import annotations

from collections.abc import Callable

from .state import Machine, export
from .stdio import EOF, STDIN, stream

__all__ = ["Scanner", "fscanf", "scanf", "sscanf", "vfscanf", "vscanf", "vsscanf"]

_SPACE = b" \t\n\v\f\r"
_SIZES = {"hh": 1, "h": 2, "": 4, "l": 8, "ll": 8, "z": 8, "j": 8, "t": 8, "q": 8, "L": 8}
_BASES = {"d": 10, "i": 0, "u": 10, "x": 16, "X": 16, "o": 8}
_DIGITS = "0123456789abcdef"
_U64 = 1 << 64


class _Stop(Exception):
    """Scanning ends: ``input_failure`` tells an input failure from a matching failure."""

    def __init__(self, input_failure: bool) -> None:
        super().__init__()
        self.input_failure = input_failure


class _Failed(Exception):
    """The format has a conversion bpfvm does not support."""


class Scanner:
    """Scans input (a byte at a time through ``getc``/``ungetc``) by a format, storing through
    the destination pointers ``dest(i)`` returns."""

    def __init__(self, vm: Machine, getc: Callable[[], int], ungetc: Callable[[int], None],
                 dest: Callable[[int], int]) -> None:
        self.vm, self._getc, self._ungetc, self._dest = vm, getc, ungetc, dest
        self.consumed = 0
        self.assigned = 0
        self._slot = 0

    # -- input ---------------------------------------------------------------------------------

    def getc(self) -> int:
        """The next input byte, or -1 at the end."""
        c = self._getc()
        if c >= 0:
            self.consumed += 1
        return c

    def ungetc(self, c: int) -> None:
        """Push ``c`` back (nothing for -1)."""
        if c >= 0:
            self.consumed -= 1
            self._ungetc(c)

    def skip_space(self) -> int:
        """Skip white space; the next byte (still unread), or -1."""
        c = self.getc()
        while c >= 0 and c in _SPACE:
            c = self.getc()
        self.ungetc(c)
        return c

    # -- output --------------------------------------------------------------------------------

    def _next_dest(self) -> int:
        addr = self._dest(self._slot)
        self._slot += 1
        return addr

    def store_int(self, size: int, value: int) -> None:
        """Store the low ``size`` bytes of ``value`` through the next pointer."""
        self.vm.memory.store(self._next_dest(), size, value % (1 << 8 * size), pc=self.vm.pc)

    def store_bytes(self, data: bytes) -> None:
        """Store ``data`` through the next pointer."""
        self.vm.memory.write(self._next_dest(), data, pc=self.vm.pc)

    # -- the format ----------------------------------------------------------------------------

    def run(self, fmt: bytes) -> int:
        """Scan by ``fmt``: the number of assignments, or EOF on an early input failure."""
        try:
            self._directives(fmt)
        except _Stop as stop:
            if stop.input_failure and self.assigned == 0:
                return EOF
        except _Failed:
            pass
        return self.assigned

    def _directives(self, fmt: bytes) -> None:
        i = 0
        while i < len(fmt):
            ch = fmt[i]
            if ch in _SPACE:
                self.skip_space()
                i += 1
            elif ch == ord("%"):
                i = self._conversion(fmt, i + 1)
            else:
                self._literal(ch)
                i += 1

    def _literal(self, ch: int) -> None:
        c = self.getc()
        if c != ch:
            self.ungetc(c)
            raise _Stop(c < 0)

    def _conversion(self, fmt: bytes, i: int) -> int:
        """Perform the conversion whose spec starts at ``fmt[i]``; the index after it."""
        suppress = fmt[i:i + 1] == b"*"
        i += suppress
        start = i
        while i < len(fmt) and chr(fmt[i]).isdigit():
            i += 1
        width = int(fmt[start:i]) if i > start else -1
        length = ""
        while i < len(fmt) and chr(fmt[i]) in "hlzjtqL" and len(length) < 2:
            length += chr(fmt[i])
            i += 1
        if i >= len(fmt) or length not in _SIZES:
            raise _Failed
        conv = chr(fmt[i])
        if conv == "[":
            scanset, i = _scanset(fmt, i + 1)
            self._chars(width, suppress, lambda c: c in scanset, terminate=True, need_one=True)
            self.assigned += not suppress
            return i
        self._simple(conv, width, suppress, _SIZES[length])
        return i + 1

    def _simple(self, conv: str, width: int, suppress: bool, size: int) -> None:
        if conv == "n":
            if not suppress:
                self.store_int(size, self.consumed)
        elif conv == "c":
            self._chars(width if width > 0 else 1, suppress, lambda c: True, terminate=False, need_one=False)
        elif conv == "%":
            if self.skip_space() < 0:
                raise _Stop(True)
            self._literal(ord("%"))
        elif conv == "s":
            if self.skip_space() < 0:
                raise _Stop(True)
            self._chars(width, suppress, lambda c: c not in _SPACE, terminate=True, need_one=False)
        elif conv in _BASES:
            if self.skip_space() < 0:
                raise _Stop(True)
            value = self._integer(_BASES[conv], width, signed=conv in "di")
            if not suppress:
                self.store_int(size, value)
        else:
            raise _Failed
        if not suppress and conv not in "n%":
            self.assigned += 1

    def _chars(self, width: int, suppress: bool, accept: Callable[[int], bool], *,
               terminate: bool, need_one: bool) -> None:
        """``%c``, ``%s``, ``%[``: take up to ``width`` (-1: any number) accepted bytes."""
        out = bytearray()
        c = self.getc()
        if c < 0:
            raise _Stop(True)
        while c >= 0 and accept(c):
            out.append(c)
            if len(out) == width:
                c = -2
                break
            c = self.getc()
        if c != -2:
            self.ungetc(c)
        if need_one and not out:
            raise _Stop(False)
        if not suppress:
            self.store_bytes(bytes(out) + (b"\0" if terminate else b""))

    def _integer(self, base: int, width: int, *, signed: bool) -> int:
        """Read an integer as glibc's scanf does; its value as strtol/strtoul would give it."""
        text, base = _IntReader(self, base, width).read()
        if text in ("", "+", "-"):
            raise _Stop(False)
        negative = text.startswith("-")
        magnitude = int(text.lstrip("+-"), base)
        if signed:
            value = -magnitude if negative else magnitude
            return max(-(1 << 63), min((1 << 63) - 1, value))
        if magnitude >= _U64:
            return _U64 - 1
        return -magnitude % _U64 if negative else magnitude


class _IntReader:
    """Collects the characters of an integer field: sign, ``0``/``0x`` prefix, digits."""

    def __init__(self, scanner: Scanner, base: int, width: int) -> None:
        self.s, self.base, self.width = scanner, base, width
        self.text = ""

    def _take(self) -> int:
        """The next byte if the width allows one more, else -2 (nothing read)."""
        if self.width == 0:
            return -2
        if self.width > 0:
            self.width -= 1
        return self.s.getc()

    def _give_back(self, c: int) -> None:
        if c != -2:
            self.s.ungetc(c)
            if self.width >= 0:
                self.width += 1

    def read(self) -> tuple[str, int]:
        """The collected text and the base to convert it in."""
        c = self._take()
        if c in (ord("+"), ord("-")):
            self.text += chr(c)
            c = self._take()
        if c == ord("0"):
            self.text += "0"
            c = self._take()
            if c in (ord("x"), ord("X")) and self.base in (0, 16):
                self.base = 16
                c = self._take()
            elif self.base == 0:
                self.base = 8
        if self.base == 0:
            self.base = 10
        while c >= 0 and chr(c).lower() in _DIGITS[:self.base]:
            self.text += chr(c)
            c = self._take()
        self._give_back(c)
        return self.text, self.base


def _scanset(fmt: bytes, i: int) -> tuple[frozenset[int], int]:
    """The bytes ``%[...]`` starting at ``fmt[i]`` accepts, and the index after its ``]``."""
    negate = fmt[i:i + 1] == b"^"
    i += negate
    members: set[int] = set()
    first = True
    while i < len(fmt) and (first or fmt[i] != ord("]")):
        if fmt[i] == ord("-") and not first and i + 1 < len(fmt) and fmt[i + 1] != ord("]") \
                and fmt[i - 1] <= fmt[i + 1]:
            members.update(range(fmt[i - 1], fmt[i + 1] + 1))
            i += 2
        else:
            members.add(fmt[i])
            i += 1
        first = False
    if i >= len(fmt):
        raise _Failed
    accepted = set(range(256)) - members if negate else members
    return frozenset(accepted), i + 1


# -- the intrinsics ------------------------------------------------------------------------------

def _slots(vm: Machine, block: int) -> Callable[[int], int]:
    return lambda i: vm.memory.load(block + 8 * i, 8, pc=vm.pc)


def _scan_string(vm: Machine, text: int, fmt: int, block: int) -> int:
    data = vm.memory.cstring(text, 1 << 31, pc=vm.pc)
    pos = 0

    def getc() -> int:
        nonlocal pos
        if pos >= len(data):
            return -1
        pos += 1
        return data[pos - 1]

    def ungetc(c: int) -> None:
        nonlocal pos
        pos -= 1

    scanner = Scanner(vm, getc, ungetc, _slots(vm, block))
    return scanner.run(vm.memory.cstring(fmt, 1 << 31, pc=vm.pc))


def _scan_stream(vm: Machine, f: int, fmt: int, block: int) -> int:
    s = stream(vm, f)
    if s is None:
        return EOF
    found = s

    def getc() -> int:
        data = found.read(1)
        return data[0] if data else -1

    def ungetc(c: int) -> None:
        found.pushback.insert(0, c)
        found.eof = False

    scanner = Scanner(vm, getc, ungetc, _slots(vm, block))
    return scanner.run(vm.memory.cstring(fmt, 1 << 31, pc=vm.pc))


@export()
def sscanf(vm: Machine, text: int, fmt: int, block: int) -> int:
    """``sscanf``: the destinations are the variadic block's slots."""
    return _scan_string(vm, text, fmt, block)


@export()
def vsscanf(vm: Machine, text: int, fmt: int, ap: int) -> int:
    """``vsscanf``: the destinations are the slots ``ap`` points to."""
    return _scan_string(vm, text, fmt, ap)


@export()
def scanf(vm: Machine, fmt: int, block: int) -> int:
    """``scanf`` from ``stdin``."""
    return _scan_stream(vm, STDIN, fmt, block)


@export()
def vscanf(vm: Machine, fmt: int, ap: int) -> int:
    """``vscanf`` from ``stdin``."""
    return _scan_stream(vm, STDIN, fmt, ap)


@export()
def fscanf(vm: Machine, f: int, fmt: int, block: int) -> int:
    """``fscanf`` from stream ``f``."""
    return _scan_stream(vm, f, fmt, block)


@export()
def vfscanf(vm: Machine, f: int, fmt: int, ap: int) -> int:
    """``vfscanf`` from stream ``f``."""
    return _scan_stream(vm, f, fmt, ap)
