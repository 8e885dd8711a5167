"""The printf formatting engine (C17 §7.21.6.1), byte-identical to glibc for defined behaviour.

Arguments arrive as unsigned 64-bit values (registers, or the ``unsigned long long`` array the
``<stdio.h>`` macros pack); each conversion takes the width its length modifier names — ``%d``
the low 32 bits as signed, ``%hhu`` the low 8 bits — as the callee of a real variadic call would.

Supported: flags ``-+ #0`` (and ``'``, ``I``, accepted and ignored as in the C locale), width and
precision as digits or ``*`` (negative ``*`` width means ``-``; negative precision means none),
positional arguments ``%N$`` / ``*N$``, length modifiers ``hh h l ll q L j z Z t``, conversions
``d i u o x X c s p n m %`` (``%m`` is ``strerror(errno)``; ``%lc``/``%ls`` are treated as
``%c``/``%s``), and ``f F e E g G a A`` on the argument's bits read as a ``double`` (the
``<stdio.h>`` macros pass a float or double argument as the bits of the double it promotes to;
infinities and NaNs print as ``inf``/``nan`` with their sign, as glibc).  glibc's quirks are
kept: ``%p`` of NULL is ``(nil)``, ``%s`` of NULL is ``(null)`` (or nothing when the precision
is below 6), an unknown conversion is copied literally, and a format ending inside a conversion
is an error (-1).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..isa.arith import sext

__all__ = ["MAX_FIELD", "Formatter", "format_printf"]

#: Widths and precisions above this fail the call (glibc fails above INT_MAX with EOVERFLOW).
MAX_FIELD = 1 << 24

_SPEC = re.compile(
    rb"%(?:([1-9][0-9]*)\$)?"             # 1: positional argument
    rb"([-+ #0'I]*)"                      # 2: flags
    rb"(\*(?:[1-9][0-9]*\$)?|[0-9]+)?"    # 3: width
    rb"(?:\.(\*(?:[1-9][0-9]*\$)?|[0-9]*))?"  # 4: precision
    rb"(hh|h|ll|l|q|L|j|z|Z|t)?"          # 5: length modifier
    rb"(.)?", re.S)                       # 6: conversion (None: the format ended)

_BITS = {b"hh": 8, b"h": 16, None: 32}  # every other modifier: 64
_SIGNED = b"di"
_UNSIGNED = b"ouxX"
_FLOAT = b"fFeEgGaA"


class FormatError(Exception):
    """The format cannot be processed (ends inside a conversion, field too wide): printf gives -1."""


@dataclass
class _Spec:
    flags: bytes
    width: int | None
    precision: int | None
    bits: int
    conv: int

    def has(self, flag: bytes) -> bool:
        return flag in self.flags


class _Args:
    """The argument list: taken in order, or by 1-based position (``%N$``); missing ones are 0."""

    def __init__(self, values: Sequence[int]) -> None:
        self.values = values
        self.next = 0

    def take(self, position: bytes | None = None) -> int:
        index = int(position) - 1 if position else self.next
        self.next = index + 1
        return self.values[index] if index < len(self.values) else 0


def _pad(body: bytes, spec: _Spec, prefix: bytes = b"", zero_ok: bool = False) -> bytes:
    """Pad ``prefix + body`` to the width: left/right with spaces, or zeros after the prefix."""
    room = (spec.width or 0) - len(prefix) - len(body)
    if room <= 0:
        return prefix + body
    if spec.has(b"-"):
        return prefix + body + b" " * room
    if zero_ok and spec.has(b"0"):
        return prefix + b"0" * room + body
    return b" " * room + prefix + body


def _integer(value: int, spec: _Spec) -> bytes:
    """``d i u o x X`` (and ``p`` as ``#lx``)."""
    conv = spec.conv
    sign = b""
    if conv in _SIGNED:
        value = sext(value, spec.bits)
        sign = b"-" if value < 0 else b"+" if spec.has(b"+") else b" " if spec.has(b" ") else b""
        value = abs(value)
    else:
        value &= (1 << spec.bits) - 1
        if conv == ord("p"):  # glibc honours "+" and " " for pointers
            sign = b"+" if spec.has(b"+") else b" " if spec.has(b" ") else b""
    digits = b"%x" % value if conv in b"xp" else b"%X" % value if conv == ord("X") else \
        b"%o" % value if conv == ord("o") else b"%d" % value
    if spec.precision is not None:
        digits = b"" if spec.precision == 0 and value == 0 else digits.rjust(spec.precision, b"0")
    prefix = sign
    if spec.has(b"#"):
        if conv == ord("o") and not digits.startswith(b"0"):
            digits = b"0" + digits
        elif conv in b"xXp" and value:
            prefix += b"0X" if conv == ord("X") else b"0x"
    return _pad(digits, spec, prefix, zero_ok=spec.precision is None)


def _pointer(value: int, spec: _Spec) -> bytes:
    """``%p``: ``(nil)`` for NULL, else like ``%#lx`` (flags ``+`` and space honoured, as glibc)."""
    if value == 0:
        return _pad(b"(nil)", spec)
    spec.flags += b"#"
    spec.bits = 64
    return _integer(value, spec)


def _string(text: bytes | None, spec: _Spec) -> bytes:
    """``%s``: at most ``precision`` bytes; NULL is ``(null)``, or empty if it would be cut."""
    if text is None:
        text = b"(null)" if spec.precision is None or spec.precision >= 6 else b""
    elif spec.precision is not None:
        text = text[:spec.precision]
    return _pad(text, spec)


def _float(bits: int, spec: _Spec) -> bytes:
    """``f F e E g G a A`` of the argument's bits read as a ``double`` (a float was promoted)."""
    bits &= (1 << 64) - 1
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    upper = chr(spec.conv).isupper()
    sign = b"-" if bits >> 63 else b"+" if spec.has(b"+") else b" " if spec.has(b" ") else b""
    if not math.isfinite(value):  # glibc: "inf"/"nan" (sign of a NaN too), never zero-padded
        word = b"nan" if value != value else b"inf"
        return _pad(word.upper() if upper else word, spec, sign)
    if spec.conv in b"aA":
        body = _hex_float(abs(value), spec.precision, spec.has(b"#"))
        prefix, body = sign + b"0x", body
        if upper:
            prefix, body = prefix.upper(), body.upper()
        return _pad(body, spec, prefix, zero_ok=True)
    fmt = "%" + ("#" if spec.has(b"#") else "") + \
        (f".{spec.precision}" if spec.precision is not None else "") + chr(spec.conv)
    return _pad((fmt % abs(value)).encode(), spec, sign, zero_ok=True)


def _hex_float(value: float, precision: int | None, point: bool) -> bytes:
    """glibc's ``%a`` digits after ``0x`` for a finite ``value >= 0``: ``1.8p+0``, ``0x0p+0``;
    subnormals as ``0.…p-1022``; ``precision`` rounds the 13 fraction digits (nearest even)."""
    raw = struct.unpack("<Q", struct.pack("<d", value))[0]
    exponent, fraction = raw >> 52, raw & ((1 << 52) - 1)
    lead = 1 if exponent else 0
    power = exponent - 1023 if exponent else (-1022 if fraction else 0)
    digits = 13
    if precision is not None and precision < 13:
        drop = 4 * (13 - precision)
        mantissa = lead << 52 | fraction
        half, rest = 1 << (drop - 1), mantissa & ((1 << drop) - 1)
        mantissa >>= drop
        if rest > half or (rest == half and mantissa & 1):
            mantissa += 1
        lead, fraction = mantissa >> (4 * precision), mantissa & ((1 << (4 * precision)) - 1)
        digits = precision
    text = f"{fraction:0{digits}x}" if digits else ""
    if precision is None:
        text = text.rstrip("0")
    elif precision > 13:
        text += "0" * (precision - 13)
    dot = "." if text or point else ""
    return f"{lead}{dot}{text}p{power:+d}".encode()


@dataclass
class Formatter:
    """Formats printf output, reading strings and storing ``%n`` counts through callbacks.

    ``read_string(addr, limit)`` returns the bytes of the C string at ``addr`` (at most ``limit``
    bytes when not None); ``store(addr, size, value)`` writes a ``%n`` result; ``errno_text()``
    gives the text for ``%m``.
    """

    read_string: Callable[[int, int | None], bytes]
    store: Callable[[int, int, int], None]
    errno_text: Callable[[], str] = lambda: "Success"

    def format(self, fmt: bytes, values: Sequence[int]) -> bytes:
        """The output of ``printf(fmt, values…)``; raises :class:`FormatError` where printf fails."""
        args = _Args(values)
        out: list[bytes] = []
        length = 0
        pos = 0
        while True:
            start = fmt.find(b"%", pos)
            if start < 0:
                out.append(fmt[pos:])
                return b"".join(out)
            out.append(fmt[pos:start])
            length += start - pos
            match = _SPEC.match(fmt, start)
            assert match is not None  # the pattern matches any text after "%"
            piece = self._conversion(match, args, length)
            out.append(piece)
            length += len(piece)
            pos = match.end()

    def _conversion(self, match: re.Match[bytes], args: _Args, length: int) -> bytes:
        position, flags, width, precision, modifier, conv = match.groups()
        if conv is None:
            raise FormatError("format ends inside a conversion")
        spec = _Spec(flags, None, None, _BITS.get(modifier, 64), conv[0])
        if conv == b"%":
            return b"%"
        self._fields(spec, width, precision, args)
        return self._convert(spec, args, position, length, match.group(0))

    def _fields(self, spec: _Spec, width: bytes | None, precision: bytes | None, args: _Args) -> None:
        if width is not None:
            value = sext(args.take(width[1:-1] or None), 32) if width.startswith(b"*") else int(width)
            if value < 0:
                spec.flags += b"-"
                value = -value
            spec.width = value
        if precision is not None:
            value = sext(args.take(precision[1:-1] or None), 32) if precision.startswith(b"*") \
                else int(precision or b"0")
            spec.precision = value if value >= 0 else None
        if max(spec.width or 0, spec.precision or 0) > MAX_FIELD:
            raise FormatError("field width or precision too large")

    def _convert(self, spec: _Spec, args: _Args, position: bytes | None, length: int,
                 literal: bytes) -> bytes:
        conv = spec.conv
        if conv in b"diouxX":
            return _integer(args.take(position), spec)
        if conv in b"cC":
            return _pad(bytes([args.take(position) & 0xFF]), spec)
        if conv in b"sS":
            addr = args.take(position)
            return _string(self.read_string(addr, spec.precision) if addr else None, spec)
        if conv == ord("p"):
            return _pointer(args.take(position), spec)
        if conv == ord("m"):
            return _string(self.errno_text().encode(), spec)
        if conv == ord("n"):
            addr = args.take(position)
            self.store(addr, {8: 1, 16: 2, 32: 4}.get(spec.bits, 8), length)
            return b""
        if conv in _FLOAT:
            return _float(args.take(position), spec)
        return literal


def format_printf(fmt: bytes, values: Sequence[int],
                  read_string: Callable[[int, int | None], bytes] | None = None) -> bytes:
    """Format without guest memory (``%s`` must not be used unless ``read_string`` is given).

    Raises :class:`FormatError` where printf would fail.
    """
    def no_strings(addr: int, limit: int | None) -> bytes:
        raise ValueError("%s needs read_string")

    def no_store(addr: int, size: int, value: int) -> None:
        raise ValueError("%n needs guest memory")

    return Formatter(read_string or no_strings, no_store).format(fmt, values)
