"""``bpf_trace_printk``, ``bpf_trace_vprintk`` and ``bpf_snprintf``: the kernel's restricted printf.

Follows kernel/bpf/helpers.c ``bpf_bprintf_prepare`` (which conversions a format may use, checked
before anything is printed: ``%d %i %u %x %X`` with ``l``/``ll``, ``%c``, ``%s``, ``%%``, the
``%p`` family ``%p %pK %px %pB %pS %ps %pks %pus %pI4 %pi4 %pI6 %pi6``; flags ``0 + - space``
and a width, no precision; no ASCII control characters but whitespace) and
lib/vsprintf.c for the output.  Differences: ``%p``/``%pK`` print the value itself as 16 hex
digits (the kernel hashes or hides non-NULL pointers), and ``%pB``/``%pS``/``%ps`` print
``0x…`` (the kernel's output for an address without a symbol: bpfvm has no kernel symbols).
The kernel's verifier refuses a bad ``bpf_snprintf`` format at load; bpfvm returns -EINVAL
when the call runs.
"""

from __future__ import annotations

import errno
import ipaddress

from ..env import KernelEnv
from ..registry import implements

__all__ = ["FormatError", "format_bprintf"]

#: MAX_BPRINTF_VARARGS and MAX_TRACE_PRINTK_VARARGS; MAX_BPRINTF_BUF.
MAX_VARARGS, MAX_TRACE_ARGS, MAX_BUF = 12, 3, 512


class FormatError(Exception):
    """A format the kernel refuses (the helper returns -EINVAL)."""


def _string(env: KernelEnv, address: int, user: bool = False) -> bytes:
    """The NUL-terminated string at ``address`` as strncpy_from_*_nofault reads it ('' on a fault)."""
    out = bytearray()
    while len(out) < MAX_BUF - 1:
        byte = env.read_user(address + len(out), 1) if user else env.read_kernel(address + len(out), 1)
        if byte is None:
            return b""
        if byte == b"\0":
            break
        out += byte
    return bytes(out)


def _pad(text: str, flags: str, width: int, numeric: bool) -> str:
    if len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric:
        sign = text[0] if text[:1] in "+- " and text[:1] else ""
        return sign + text[len(sign):].rjust(width - len(sign), "0")
    return text.rjust(width)


def _integer(value: int, conv: str, size: int, flags: str) -> str:
    bits = 32 if size == 4 else 64
    value &= (1 << bits) - 1
    if conv in "di":
        value = value - (1 << bits) if value >> (bits - 1) else value
        sign = "-" if value < 0 else "+" if "+" in flags else " " if " " in flags else ""
        return sign + str(abs(value))
    if conv == "u":
        return str(value)
    return f"{value:x}" if conv == "x" else f"{value:X}"


def _pointer(env: KernelEnv, kind: str, value: int) -> str:
    if kind in ("", "K", "x"):
        return f"{value:016x}"
    if kind in ("B", "s", "S"):  # a symbol name; bpfvm has none, so the kernel's fallback
        return f"{value:#x}"
    if kind in ("ks", "us"):
        return _string(env, value, user=kind == "us").decode("latin-1")
    size = 4 if kind[1] == "4" else 16
    raw = env.read_kernel(value, size)
    if raw is None:
        return "(efault)"
    if kind == "I4":
        return str(ipaddress.IPv4Address(raw))
    if kind == "i4":
        return ".".join(f"{b:03d}" for b in raw)
    if kind == "I6":
        return ":".join(raw[i:i + 2].hex() for i in range(0, 16, 2))
    return raw.hex()


def _spec(fmt: bytes, i: int) -> tuple[int, str, int, str, str]:
    """Parse the conversion at ``fmt[i]`` (after '%'): (next index, flags, width, conv, p-kind)."""
    start = i
    while i < len(fmt) and fmt[i:i + 1] in (b"0", b"+", b"-", b" "):
        i += 1
    flags = fmt[start:i].decode()
    width_start = i
    if i < len(fmt) and 0x31 <= fmt[i] <= 0x39:
        while i < len(fmt) and 0x30 <= fmt[i] <= 0x39:
            i += 1
    width = int(fmt[width_start:i] or b"0")
    c = chr(fmt[i]) if i < len(fmt) else ""
    if c == "p":
        nxt = fmt[i + 1:i + 3].decode("latin-1")
        if nxt[:2] in ("ks", "us"):
            return i + 3, flags, width, "p", nxt[:2]
        if nxt[:1] in ("", "K", "x", "B", "s", "S") or not nxt[:1].isalnum():
            kind = nxt[:1] if nxt[:1] in ("K", "x", "B", "s", "S") else ""
            return i + 1 + len(kind), flags, width, "p", kind
        if nxt in ("I4", "i4", "I6", "i6"):
            return i + 3, flags, width, "p", nxt
        raise FormatError(f"unsupported %p{nxt}")
    if c in ("c", "s"):
        return i + 1, flags, width, c, ""
    size = 4
    for _ in range(2):
        if i < len(fmt) and fmt[i:i + 1] == b"l":
            size, i = 8, i + 1
    c = chr(fmt[i]) if i < len(fmt) else ""
    if c not in ("i", "d", "u", "x", "X"):
        raise FormatError(f"unsupported conversion {c!r}")
    return i + 1, flags, width, c, str(size)


#: %p conversions bpf_bprintf_prepare turns into strings before bstr_printf runs; bstr_printf
#: counts such a string only while the output buffer has room (``if (str < end)``).
_PREFORMATTED = frozenset({"I4", "i4", "I6", "i6", "B", "ks", "us"})


def format_bprintf(env: KernelEnv, fmt: bytes, args: list[int], size: int | None = None) -> tuple[str, int]:
    """Format ``fmt`` (without its NUL) with ``args`` as the kernel's bpf_bprintf_prepare +
    bstr_printf do into a buffer of ``size`` bytes (None: unbounded): the text and the length
    bstr_printf returns.  Raises :class:`FormatError` where the kernel returns -EINVAL."""
    out: list[str] = []
    counted = 0
    i = used = 0
    while i < len(fmt):
        byte = fmt[i]
        if byte < 0x80 and not (0x20 <= byte < 0x7F or byte in b"\t\n\v\f\r"):
            raise FormatError(f"byte {byte:#x} in the format")
        if byte != 0x25:  # '%'
            out.append(chr(byte))
            counted += 1
            i += 1
            continue
        if fmt[i + 1:i + 2] == b"%":
            out.append("%")
            counted += 1
            i += 2
            continue
        if used >= len(args):
            raise FormatError("more conversions than arguments")
        i, flags, width, conv, extra = _spec(fmt, i + 1)
        value = args[used]
        used += 1
        if conv == "p":
            text = _pad(_pointer(env, extra, value), flags, width, False)
            if extra in _PREFORMATTED and size is not None and counted >= size:
                continue  # nothing fits and bstr_printf does not count it
        elif conv == "c":
            text = _pad(chr(value & 0xFF), flags, width, False)
        elif conv == "s":
            text = _pad(_string(env, value).decode("latin-1"), flags, width, False)
        else:
            text = _pad(_integer(value, conv, int(extra), flags), flags, width, True)
        out.append(text)
        counted += len(text)
    return "".join(out), counted


def _format(env: KernelEnv, fmt_addr: int, fmt_size: int, args: list[int]) -> str | int:
    raw = env.memory.read(fmt_addr, fmt_size)
    end = raw.find(b"\0")
    if end < 0:
        return -errno.EINVAL
    try:
        return format_bprintf(env, raw[:end], args, MAX_BUF)[0]
    except FormatError:
        return -errno.EINVAL


def _trace(env: KernelEnv, text: str) -> int:
    clipped = text[:MAX_BUF - 1]
    env.trace.write(env.task.comm.decode(errors="replace"), env.task.pid, env.cpu,
                    env.clock.monotonic_ns(), clipped)
    return len(text)


def _varargs(env: KernelEnv, data: int, data_len: int) -> list[int] | None:
    if data_len & 7 or data_len > MAX_VARARGS * 8 or (data_len and not data):
        return None
    raw = env.memory.read(data, data_len) if data_len else b""
    return [int.from_bytes(raw[k:k + 8], "little") for k in range(0, data_len, 8)]


@implements("bpf_trace_printk", nargs=5)
def trace_printk(env: KernelEnv, fmt: int, fmt_size: int, r3: int, r4: int, r5: int) -> int:
    """Format with r3..r5 (the C prototype's varargs) and append to the trace log; the length
    printed, or -EINVAL."""
    text = _format(env, fmt, fmt_size & 0xFFFF_FFFF, [r3, r4, r5])
    return text if isinstance(text, int) else _trace(env, text)


@implements("bpf_trace_vprintk")
def trace_vprintk(env: KernelEnv, fmt: int, fmt_size: int, data: int, data_len: int) -> int:
    """Format with the u64 array ``data`` and append to the trace log; the length, or -EINVAL."""
    args = _varargs(env, data, data_len & 0xFFFF_FFFF)
    if args is None:
        return -errno.EINVAL
    text = _format(env, fmt, fmt_size & 0xFFFF_FFFF, args)
    return text if isinstance(text, int) else _trace(env, text)


@implements("bpf_snprintf")
def snprintf(env: KernelEnv, out: int, size: int, fmt: int, data: int, data_len: int) -> int:
    """Format into ``out`` (NUL-terminated, truncated to ``size``); the length + 1, or -EINVAL."""
    size &= 0xFFFF_FFFF
    args = _varargs(env, data, data_len & 0xFFFF_FFFF)
    if args is None:
        return -errno.EINVAL
    try:
        text, length = format_bprintf(env, env.memory.cstring(fmt), args, size)
    except FormatError:
        return -errno.EINVAL
    if size:
        env.memory.write(out, text.encode("latin-1")[:size - 1] + b"\0")
    return length + 1
