"""Decoded classic instructions (``struct sock_filter``) and their binary encoding.

A :class:`SockFilter` is an immutable value ``(code, jt, jf, k)`` that remembers its index
``pc``; the encoding is the host's ``struct sock_filter`` (``u16 code; u8 jt; u8 jf; u32 k``,
8 bytes, little endian here) as ``SO_ATTACH_FILTER``, ``seccomp(2)`` and libpcap take it.
Decoding accepts any code: the checkers (:mod:`bpfvm.cbpf.check`) say which codes may run.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .errors import CbpfError
from .opcodes import SPECS_BY_CODE, CbpfSpec

__all__ = ["SockFilter", "decode", "encode", "from_tuples"]

_INSN = struct.Struct("<HBBI")


class SockFilter(NamedTuple):
    """One classic instruction; ``k`` is unsigned 32-bit, ``jt``/``jf`` unsigned 8-bit."""

    code: int
    jt: int = 0
    jf: int = 0
    k: int = 0
    pc: int = 0

    @property
    def spec(self) -> CbpfSpec:
        """The table entry of this code; raises :class:`CbpfError` for an unknown code."""
        spec = SPECS_BY_CODE.get(self.code)
        if spec is None:
            raise CbpfError(f"unknown classic BPF opcode {self.code:#x}", self.pc)
        return spec

    @property
    def known(self) -> bool:
        """Whether the code is in the opcode table."""
        return self.code in SPECS_BY_CODE

    @property
    def raw(self) -> tuple[int, int, int, int]:
        """``(code, jt, jf, k)``, as tcpdump ``-ddd`` prints it."""
        return (self.code, self.jt, self.jf, self.k)


def from_tuples(rows: Iterable[Sequence[int]]) -> tuple[SockFilter, ...]:
    """Instructions from ``(code, jt, jf, k)`` rows; raises :class:`CbpfError` for fields out
    of range."""
    out = []
    for pc, row in enumerate(rows):
        if len(row) != 4:
            raise CbpfError(f"an instruction has 4 fields (code, jt, jf, k), not {len(row)}", pc)
        code, jt, jf, k = (int(v) for v in row)
        for name, value, bits in (("code", code, 16), ("jt", jt, 8), ("jf", jf, 8), ("k", k, 32)):
            if not 0 <= value < (1 << bits):
                if name == "k" and -(1 << 31) <= value < 0:
                    k = value & 0xFFFF_FFFF
                    continue
                raise CbpfError(f"{name} {value} does not fit in {bits} bits", pc)
        out.append(SockFilter(code, jt, jf, k, pc))
    return tuple(out)


def decode(data: bytes | bytearray | memoryview) -> tuple[SockFilter, ...]:
    """Decode a ``struct sock_filter`` array; raises :class:`CbpfError` if its length is not a
    multiple of 8."""
    view = memoryview(data).cast("B")
    if len(view) % _INSN.size:
        raise CbpfError(f"classic BPF code length {len(view)} is not a multiple of 8", len(view) // 8)
    out = []
    for off in range(0, len(view), _INSN.size):
        code, jt, jf, k = _INSN.unpack_from(view, off)
        out.append(SockFilter(code, jt, jf, k, off // _INSN.size))
    return tuple(out)


def encode(insns: Iterable[SockFilter]) -> bytes:
    """Encode instructions as a ``struct sock_filter`` array (the inverse of :func:`decode`)."""
    return b"".join(_INSN.pack(i.code, i.jt, i.jf, i.k) for i in insns)
