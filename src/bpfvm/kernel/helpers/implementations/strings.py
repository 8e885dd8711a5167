"""``bpf_strtol``, ``bpf_strtoul`` and ``bpf_strncmp`` (kernel/bpf/helpers.c ``__bpf_strtoull``,
lib/kstrtox.c ``_parse_integer``, lib/string.c ``strncmp``)."""

from __future__ import annotations

import errno

from ..env import KernelEnv
from ..registry import implements

__all__ = ["parse_strtoull"]

_M64 = (1 << 64) - 1
#: BPF_STRTOX_BASE_MASK; the kernel parses at most sizeof(str) - 1 = 63 bytes.
_BASE_MASK, _MAX_DIGITS = 0x1F, 63
#: The kernel's isspace (lib/ctype.c: 0xA0 is a space too).
_SPACE = frozenset(b" \t\n\v\f\r\xa0")
#: The bases the kernel parses (0: from the prefix, as C's strtol).
_BASES = frozenset({0, 8, 10, 16})


def _fixup_radix(s: bytes, base: int) -> tuple[bytes, int]:
    if base == 0:
        if s[:1] == b"0":
            base = 16 if s[1:2].lower() == b"x" and s[2:3] and s[2:3] in b"0123456789abcdefABCDEF" \
                else 8
        else:
            base = 10
    if base == 16 and s[:1] == b"0" and s[1:2].lower() == b"x":
        s = s[2:]
    return s, base


def _parse_integer(s: bytes, base: int) -> tuple[int, int, bool]:
    """(value, digits consumed, overflowed) as lib/kstrtox.c _parse_integer."""
    value, count, overflow = 0, 0, False
    for c in s:
        lc = c | 0x20
        if 0x30 <= c <= 0x39:
            digit = c - 0x30
        elif 0x61 <= lc <= 0x66:
            digit = lc - 0x61 + 10
        else:
            break
        if digit >= base:
            break
        if value >> 60 and value > (_M64 - digit) // base:
            overflow = True
        value = (value * base + digit) & _M64
        count += 1
    return value, count, overflow


def parse_strtoull(buf: bytes, flags: int) -> tuple[int, int, bool]:
    """(bytes consumed or -errno, value, negative) as the kernel's ``__bpf_strtoull``."""
    if not buf or flags & ~_BASE_MASK or flags not in _BASES:
        return -errno.EINVAL, 0, False
    i = 0
    while i < len(buf) and buf[i] in _SPACE:
        i += 1
    negative = i < len(buf) and buf[i] == 0x2D
    i += negative
    if i == len(buf):
        return -errno.EINVAL, 0, negative
    text = buf[i:i + _MAX_DIGITS].split(b"\0", 1)[0]
    digits, base = _fixup_radix(text, flags & _BASE_MASK)
    value, count, overflow = _parse_integer(digits, base)
    if overflow:
        return -errno.ERANGE, 0, negative
    if count == 0:
        return -errno.EINVAL, 0, negative
    return i + (len(text) - len(digits)) + count, value, negative


@implements("bpf_strtol")
def strtol(env: KernelEnv, buf: int, buf_len: int, flags: int, res: int) -> int:
    """Parse a signed long into ``*res``; the bytes consumed, -EINVAL or -ERANGE."""
    consumed, value, negative = parse_strtoull(env.memory.read(buf, buf_len & 0xFFFF_FFFF), flags)
    if consumed < 0:
        return consumed
    signed = -value if negative else value
    if not -(1 << 63) <= signed < (1 << 63):
        return -errno.ERANGE
    env.memory.store(res, 8, signed & _M64)
    return consumed


@implements("bpf_strtoul")
def strtoul(env: KernelEnv, buf: int, buf_len: int, flags: int, res: int) -> int:
    """Parse an unsigned long into ``*res``; the bytes consumed, -EINVAL (also for a '-') or -ERANGE."""
    consumed, value, negative = parse_strtoull(env.memory.read(buf, buf_len & 0xFFFF_FFFF), flags)
    if consumed < 0:
        return consumed
    if negative:
        return -errno.EINVAL
    env.memory.store(res, 8, value)
    return consumed


@implements("bpf_strncmp")
def strncmp(env: KernelEnv, s1: int, s1_size: int, s2: int) -> int:
    """Compare at most ``s1_size`` bytes of ``s1`` with the string ``s2``: -1, 0 or 1."""
    a = env.memory.read(s1, s1_size & 0xFFFF_FFFF)
    for k, c1 in enumerate(a):
        c2 = env.memory.load(s2 + k, 1)
        if c1 != c2:
            return -1 if c1 < c2 else 1
        if not c1:
            return 0
    return 0
