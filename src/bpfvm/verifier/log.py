"""The verifier log: a buffer with the kernel's reset semantics, and its register/state formats.

:class:`VLog` mirrors ``struct bpf_verifier_log``: text is written at ``end``; :meth:`VLog.reset`
moves ``end`` back (at log level 1 the verifier rewinds to where a path was pushed each time it
pops one, so only the failing path stays) without erasing the bytes after it, which later
writes overwrite — exactly as the kernel's buffer behaves, quirks included.  The functions below
follow ``kernel/bpf/log.c`` (``print_reg_state``, ``print_scalar_ranges``,
``print_verifier_state``, ``verbose_snum``) of Linux 6.18.
"""

from __future__ import annotations

from ..analysis import M32, S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar
from ..analysis.tnum import M64
from .state import ADD_CONST, Frame, Reg, RegType, Slot

__all__ = ["VLog", "format_reg", "format_state", "snum", "unum"]


class VLog:
    """An append buffer whose end can be moved back; ``level`` is the log level (0: no log)."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.buf = bytearray()
        self.end = 0

    def write(self, text: str) -> None:
        """Append ``text`` at the end (overwriting bytes left beyond a reset)."""
        data = text.encode()
        self.buf[self.end : self.end + len(data)] = data
        self.end += len(data)

    def reset(self, pos: int) -> None:
        """``bpf_vlog_reset``: the log ends at ``pos`` again."""
        self.end = pos

    def text(self) -> str:
        """The log as the kernel hands it back."""
        return self.buf[: self.end].decode(errors="replace")


def snum(num: int) -> str:
    """``verbose_snum``: decimal within the s16 range, else the 64-bit pattern in hex."""
    s = num - (1 << 64) if num > S64_MAX else num
    if -32768 <= s <= 32767:
        return str(s)
    return f"{s & M64:#x}"


def unum(num: int) -> str:
    """``verbose_unum``: decimal up to U16_MAX, else hex."""
    return str(num) if num <= 0xFFFF else f"{num:#x}"


def _ranges(v: Scalar) -> list[str]:
    """``print_scalar_ranges``: equal neighbours share one value (``smax=umax=255``)."""

    def s32v(x: int) -> int:
        return (x if -32768 <= x <= 32767 else x & M32) & M64

    names = ["smin", "smax", "umin", "umax", "smin32", "smax32", "umin32", "umax32"]
    vals = [
        v.smin & M64,
        v.smax & M64,
        v.umin,
        v.umax,
        s32v(v.s32_min),
        s32v(v.s32_max),
        v.u32_min,
        v.u32_max,
    ]
    omit = [
        v.smin == S64_MIN,
        v.smax == S64_MAX,
        v.umin == 0,
        v.umax == M64,
        v.s32_min == S32_MIN,
        v.s32_max == S32_MAX,
        v.u32_min == 0,
        v.u32_max == M32,
    ]
    out: list[str] = []
    for i, name in enumerate(names):
        if omit[i]:
            continue
        neg1 = name[0] == "s" and vals[i] >> 63 == 1
        shown = [name]
        for j in range(i + 2, len(names), 2):
            if omit[j] or vals[j] != vals[i] or (names[j][0] == "s" and vals[j] >> 63 == 1) != neg1:
                continue
            omit[j] = True
            shown.append(names[j])
        text = snum(vals[i]) if name[0] == "s" else unum(vals[i])
        out.append("=".join(shown) + "=" + text)
    return out


def format_reg(reg: Reg, frameno: int = 0) -> str:
    """``print_reg_state``: ``scalar(smin=…)``, ``fp-8``, ``ctx()``, ``map_value(map=m,ks=4,vs=8)`` …"""
    v = reg.val
    if reg.type is RegType.SCALAR:
        prefix = "P" if reg.precise else ""
        if v.is_const():
            return prefix + snum(v.value)
    else:
        prefix = ""
    text = prefix + reg.type_str()
    if reg.type is RegType.PTR_TO_STACK:
        if reg.frameno != frameno:
            text += f"[{reg.frameno}]"
        if v.is_const():
            return text + snum((v.value + reg.off) & M64)
    parts: list[str] = []
    if reg.id:
        ident = f"id={reg.id & ~ADD_CONST}"
        if reg.id & ADD_CONST:
            ident += f"{reg.off:+d}"
        parts.append(ident)
    if reg.map is not None and reg.type in (
        RegType.CONST_PTR_TO_MAP,
        RegType.PTR_TO_MAP_VALUE,
        RegType.PTR_TO_MAP_KEY,
    ):
        if reg.map.name:
            parts.append(f"map={reg.map.name}")
        parts.append(f"ks={reg.map.key_size},vs={reg.map.value_size}")
    if reg.type is not RegType.SCALAR and reg.off:
        parts.append(f"off={snum(reg.off & M64)}")
    if reg.is_pkt:
        parts.append(f"r={unum(reg.range)}")
    if v.is_const():
        if v.value:
            parts.append(f"imm={snum(v.value)}")
    else:
        parts.extend(_ranges(v))
        if not v.var_off.is_unknown():
            parts.append(f"var_off={v.var_off}")
    return text + "(" + ",".join(parts) + ")"


def format_state(frame: Frame, regs: set[int] | None, slots: set[int] | None) -> str:
    """``print_verifier_state``: `` R0=… fp-8=…`` for the given (scratched) registers and stack
    slots, all of them where None; ends with a newline."""
    out: list[str] = [f" frame{frame.frameno}:"] if frame.frameno else []
    for i, reg in enumerate(frame.regs):
        if reg.type is RegType.NOT_INIT or (regs is not None and i not in regs):
            continue
        out.append(f" R{i}={format_reg(reg, frame.frameno)}")
    for i, slot in enumerate(frame.stack):
        if slots is not None and i not in slots:
            continue
        if all(t is Slot.INVALID for t in slot.types):
            continue
        chars = "".join(t.value for t in slot.types)
        if slot.types[7] is Slot.SPILL:
            cut = chars.index("r")
            out.append(f" fp{-(i + 1) * 8}={chars[:cut]}{format_reg(slot.spilled, frame.frameno)}")
        else:
            out.append(f" fp{-(i + 1) * 8}={chars}")
    return "".join(out) + "\n"
