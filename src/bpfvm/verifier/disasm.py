"""Instructions as the kernel verifier's log prints them (``kernel/bpf/disasm.c``, ``print_bpf_insn``).

This is not llvm-objdump's syntax (that is :mod:`bpfvm.asm`): the verifier log writes
``(b7) r0 = 0``, ``(61) r1 = *(u32 *)(r1 +0)``, ``(25) if r0 > 0x5 goto pc+1``,
``(85) call bpf_map_lookup_elem#1`` — opcode in hex, immediates of ALU in decimal, of jumps in
hex.  :func:`kernel_insn` formats one :class:`RawInsn` (raw fields, not validated: the
verifier reports bad fields itself).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

from ..asm.syntax import ALU_OPERATORS, ATOMIC_OPERATORS, JCOND_OPERATORS
from ..isa.opcodes import ALU_OPS, ATOMIC_OPS, JMP_OPS, SIZE_CODES

__all__ = ["RawInsn", "kernel_insn", "raw_decode"]

_SLOT = struct.Struct("<BBhi")

#: Op bits → the operator the kernel's log prints, derived from the one opcode table (isa) and
#: the disassembler's operators (asm.syntax); ``neg`` and ``end`` print as words.
ALU_SYMBOLS: dict[int, str] = {code: ALU_OPERATORS.get(op, "endian" if op == "end" else op)
                               for op, code in ALU_OPS.items()}
JMP_SYMBOLS: dict[int, str] = {code: JCOND_OPERATORS[op] for op, code in JMP_OPS.items()}
_ALU, _JMP = ALU_SYMBOLS, JMP_SYMBOLS
_SIZE = {code: f"u{8 * size}" for code, size in SIZE_CODES.items()}
_ATOMIC = {imm: ATOMIC_OPERATORS[op] for imm, (op, fetch) in ATOMIC_OPS.items() if not fetch}
_FETCH = {imm: op for imm, (op, fetch) in ATOMIC_OPS.items() if fetch and op in ATOMIC_OPERATORS}


class RawInsn(NamedTuple):
    """One 8-byte slot's fields, unvalidated; ``imm64`` is set on the first slot of a ``lddw``."""

    code: int
    dst: int
    src: int
    off: int
    imm: int
    imm64: int = 0


def raw_decode(code: bytes) -> list[RawInsn]:
    """Split bytecode into slots (the second slot of a lddw stays in the list, as in the kernel)."""
    slots = [RawInsn(c, r & 0xF, r >> 4, o, i) for c, r, o, i in _SLOT.iter_unpack(bytes(code))]
    for i, s in enumerate(slots[:-1]):
        if s.code == 0x18:
            slots[i] = s._replace(imm64=(s.imm & 0xFFFFFFFF) | ((slots[i + 1].imm & 0xFFFFFFFF) << 32))
    return slots


def _alu(insn: RawInsn) -> str:
    cls, op, x = insn.code & 7, insn.code & 0xF0, insn.code & 8
    r = "w" if cls == 0x04 else "r"
    d = f"{r}{insn.dst}"
    if op == 0xD0:
        if cls == 0x07:
            return f"r{insn.dst} = bswap{insn.imm} r{insn.dst}"
        return f"r{insn.dst} = {'be' if x else 'le'}{insn.imm} r{insn.dst}"
    if op == 0x80:
        return f"{d} = -{d}"
    if op == 0xB0 and x and insn.off in (8, 16, 32):
        return f"{d} = (s{insn.off}){r}{insn.src}"
    name = _ALU.get(op, "?")
    if insn.off == 1 and op in (0x30, 0x90):
        name = "s" + name
    if x:
        return f"{d} {name} {r}{insn.src}"
    return f"{d} {name} {insn.imm}"


def _jmp(insn: RawInsn, helper_name: Callable[[int], str]) -> str:
    cls, op, x = insn.code & 7, insn.code & 0xF0, insn.code & 8
    if op == 0x80:
        if x:
            return f"callx r{insn.dst}"
        if insn.src == 1:
            return f"call pc{insn.imm:+d}"
        if insn.src == 2:
            return "call kernel-function"
        return f"call {helper_name(insn.imm)}#{insn.imm}"
    if op == 0x90:
        return "exit"
    if op == 0x00:
        if cls == 0x06:
            return f"gotol pc{insn.imm:+d}"
        return f"goto pc{insn.off:+d}"
    if op == 0xE0:
        return f"may_goto pc{insn.off:+d}"
    r = "w" if cls == 0x06 else "r"
    rhs = f"{r}{insn.src}" if x else f"{insn.imm & 0xFFFFFFFF:#x}"
    return f"if {r}{insn.dst} {_JMP.get(op, '?')} {rhs} goto pc{insn.off:+d}"


def _mem(insn: RawInsn) -> str:
    cls, mode, size = insn.code & 7, insn.code & 0xE0, insn.code & 0x18
    t = _SIZE[size]
    addr = f"(r{insn.dst} {insn.off:+d})"
    if cls == 0x03 and mode == 0xC0:
        return _atomic(insn, t, addr)
    if cls == 0x03:
        return f"*({t} *){addr} = r{insn.src}"
    if cls == 0x02:
        return f"*({t} *){addr} = {insn.imm}"
    if cls == 0x01:
        st = ("s" + t[1:]) if mode == 0x80 else t
        return f"r{insn.dst} = *({st} *)(r{insn.src} {insn.off:+d})"
    if mode == 0x20:
        return f"r0 = *({t} *)skb[{insn.imm}]"
    if mode == 0x40:
        return f"r0 = *({t} *)skb[r{insn.src} + {insn.imm}]"
    return "BUG"


def _atomic(insn: RawInsn, t: str, addr: str) -> str:
    w = "" if t == "u64" else "32"
    a = f"({t} *){addr}"
    if insn.imm in _ATOMIC:
        return f"lock *{a} {_ATOMIC[insn.imm]} r{insn.src}"
    if insn.imm in _FETCH:
        return f"r{insn.src} = atomic{'64' if not w else ''}_fetch_{_FETCH[insn.imm]}({a}, r{insn.src})"
    if insn.imm == 0xE1:
        return f"r{insn.src} = atomic{'64' if not w else ''}_xchg({a}, r{insn.src})"
    if insn.imm == 0xF1:
        return f"r0 = atomic{'64' if not w else ''}_cmpxchg({a}, r0, r{insn.src})"
    return f"BUG_{insn.imm:02x}"


def kernel_insn(insn: RawInsn, helper_name: Callable[[int], str] = lambda n: "unknown") -> str:
    """``(code) text`` as the verifier log prints the instruction."""
    cls = insn.code & 7
    if insn.code == 0x18:
        text = f"r{insn.dst} = {insn.imm64:#x}"
    elif cls in (0x04, 0x07):
        text = _alu(insn)
    elif cls in (0x05, 0x06):
        text = _jmp(insn, helper_name)
    else:
        text = _mem(insn)
    return f"({insn.code:02x}) {text}"
