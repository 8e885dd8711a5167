"""Immutable decoded instructions, and decoding/encoding of the 64-bit eBPF encoding.

RFC 9669 §3: each slot is ``opcode:8 dst:4 src:4 off:16 imm:32`` (little endian); ``lddw``
occupies two slots, the second one holding the upper 32 bits of the immediate.  An :class:`Insn`
is one *instruction* (``lddw`` is a single Insn of width 2) and remembers the slot index ``pc``
where it was decoded.  Decoding validates everything the encoding itself can get wrong and
raises :class:`~bpfvm.errors.DecodeError` naming the instruction index.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..errors import DecodeError
from .opcodes import LDDW_PSEUDO, SPECS_BY_NAME, SPECS_BY_OPCODE, OpSpec

__all__ = ["Insn", "check_jumps", "decode", "encode", "make", "spec_of"]

_SLOT = struct.Struct("<BBhi")
_FIELD_NAMES = ("dst", "src", "off", "imm")


def spec_of(opcode: int, src: int, off: int, imm: int) -> OpSpec | None:
    """Return the spec for an encoded instruction, or None if no instruction has that encoding."""
    candidates = SPECS_BY_OPCODE.get(opcode)
    if not candidates:
        return None
    values = {"src": src, "off": off, "imm": imm}
    for spec in candidates:
        if spec.discr is None or values[spec.discr[0]] == spec.discr[1]:
            return spec
    return None


class Insn(NamedTuple):
    """One decoded instruction. ``off`` is signed 16-bit, ``imm`` signed 32-bit.

    For ``lddw`` ``imm_hi`` is the second slot's immediate (signed 32-bit) and ``width`` is 2.
    """

    opcode: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0
    pc: int = 0
    imm_hi: int = 0

    @property
    def spec(self) -> OpSpec:
        """The table entry of this instruction (decoded instructions always have one)."""
        spec = spec_of(self.opcode, self.src, self.off, self.imm)
        if spec is None:
            raise DecodeError(f"unknown opcode {self.opcode:#04x}", self.pc)
        return spec

    @property
    def width(self) -> int:
        """Number of 8-byte slots: 2 for lddw, else 1."""
        return 2 if self.opcode == 0x18 else 1

    @property
    def imm64(self) -> int:
        """The 64-bit immediate of lddw as an unsigned value."""
        return (self.imm & 0xFFFFFFFF) | ((self.imm_hi & 0xFFFFFFFF) << 32)

    @property
    def target(self) -> int | None:
        """The slot index a jump or local call goes to, or None for other instructions."""
        kind = self.spec.kind
        if kind in ("ja", "jcond", "may_goto"):
            return self.pc + 1 + self.off
        if kind == "gotol" or (kind == "call" and self.src == 1):
            return self.pc + 1 + self.imm
        return None

    def with_pc(self, pc: int) -> Insn:
        """Return the same instruction placed at slot ``pc``."""
        return self._replace(pc=pc)


def make(name: str, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0, imm_hi: int = 0,
         pc: int = 0) -> Insn:
    """Build an instruction from a spec name; the discriminating field is filled in."""
    spec = SPECS_BY_NAME[name]
    fields = {"dst": dst, "src": src, "off": off, "imm": imm}
    if spec.discr is not None:
        fields[spec.discr[0]] = spec.discr[1]
    return Insn(spec.opcode, fields["dst"], fields["src"], fields["off"], fields["imm"], pc, imm_hi)


def _check_fields(spec: OpSpec, insn: Insn) -> None:
    for field in _FIELD_NAMES:
        if field in spec.uses or (spec.discr is not None and spec.discr[0] == field):
            continue
        if getattr(insn, field) != 0:
            raise DecodeError(f"{spec.name}: reserved field {field} must be 0, is {getattr(insn, field)}",
                              insn.pc)
    if insn.dst > 10:
        raise DecodeError(f"{spec.name}: invalid destination register r{insn.dst}", insn.pc)
    if insn.src > 10 and "src" in spec.uses:
        raise DecodeError(f"{spec.name}: invalid source register r{insn.src}", insn.pc)
    if spec.writes_dst and insn.dst == 10:
        raise DecodeError(f"{spec.name}: r10 is read-only", insn.pc)
    if spec.kind == "atomic" and spec.fetch and spec.op != "cmpxchg" and insn.src == 10:
        raise DecodeError(f"{spec.name}: r10 is read-only (a fetching atomic writes src)", insn.pc)
    if spec.kind == "callx" and not 0 <= insn.imm <= 10:
        raise DecodeError(f"callx: invalid register r{insn.imm} in imm", insn.pc)
    if spec.kind == "callx" and insn.dst and insn.imm:
        raise DecodeError("callx: register given in both dst and imm", insn.pc)


def _decode_one(data: bytes | memoryview, slot: int, nslots: int) -> Insn:
    opcode, regs, off, imm = _SLOT.unpack_from(data, slot * 8)
    insn = Insn(opcode, regs & 0x0F, regs >> 4, off, imm, slot)
    spec = spec_of(opcode, insn.src, off, imm)
    if spec is None:
        if opcode in SPECS_BY_OPCODE:
            what = SPECS_BY_OPCODE[opcode][0]
            field = what.discr[0] if what.discr else "imm"
            raise DecodeError(f"invalid {field} value {getattr(insn, field)} for opcode {opcode:#04x}"
                              f" ({what.kind})", slot)
        raise DecodeError(f"unknown opcode {opcode:#04x}", slot)
    if spec.kind == "lddw":
        if insn.src not in LDDW_PSEUDO:
            raise DecodeError(f"lddw: invalid source (pseudo kind) {insn.src}", slot)
        if slot + 1 >= nslots:
            raise DecodeError("incomplete lddw: second slot missing", slot)
        op2, regs2, off2, imm2 = _SLOT.unpack_from(data, (slot + 1) * 8)
        if op2 or regs2 or off2:
            raise DecodeError("invalid lddw second half: opcode, registers and offset must be 0", slot + 1)
        insn = insn._replace(imm_hi=imm2)
    _check_fields(spec, insn)
    return insn


def decode(code: bytes | bytearray | memoryview, *, jumps: bool = True) -> list[Insn]:
    """Decode and validate an instruction stream.

    With ``jumps`` (the default) every jump and local call must land on an instruction inside
    the stream (see :func:`check_jumps`).  Raises :class:`DecodeError` with the slot index.
    """
    data = memoryview(code).cast("B")
    if len(data) % 8:
        raise DecodeError(f"code length {len(data)} is not a multiple of 8", len(data) // 8)
    nslots = len(data) // 8
    insns: list[Insn] = []
    slot = 0
    while slot < nslots:
        insn = _decode_one(data, slot, nslots)
        insns.append(insn)
        slot += insn.width
    if jumps:
        check_jumps(insns)
    return insns


def check_jumps(insns: Sequence[Insn]) -> None:
    """Check that every jump/local call targets the start of an instruction of ``insns``."""
    starts = {insn.pc for insn in insns}
    end = insns[-1].pc + insns[-1].width if insns else 0
    for insn in insns:
        target = insn.target
        if target is None:
            continue
        if not 0 <= target < end:
            raise DecodeError(f"jump out of range: target {target} outside 0..{end - 1}", insn.pc)
        if target not in starts:
            raise DecodeError(f"jump into the middle of lddw at {target - 1}", insn.pc)


def encode(insns: Iterable[Insn]) -> bytes:
    """Encode instructions back to bytes (the inverse of :func:`decode`)."""
    out = bytearray()
    for insn in insns:
        out += _SLOT.pack(insn.opcode, (insn.src << 4) | insn.dst, insn.off, insn.imm)
        if insn.width == 2:
            out += _SLOT.pack(0, 0, 0, insn.imm_hi)
    return bytes(out)
