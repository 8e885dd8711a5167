"""Reading ``.BTF.ext``: per-section function info, line info and CO-RE relocation records.

Follows ``Documentation/bpf/btf.rst`` §4.2 and libbpf's ``btf_ext__new``: a header
(magic, version, flags, hdr_len, then offset/length pairs relative to the end of the header for
func_info, line_info and — when hdr_len allows — core_relo), each info block a ``rec_size``
word followed by ``{sec_name_off, num_info, records[num_info]}`` groups.  Records larger than
the known layout (a newer producer) are read by their known prefix, as libbpf does.  Strings
are offsets into the ``.BTF`` string table.  ``insn_off`` is kept in bytes, as stored;
:attr:`FuncInfo.insn` etc. give the instruction index.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import BtfError
from .reader import BTF_MAGIC, Btf

__all__ = ["BtfExt", "CoreRelo", "CoreReloKind", "FuncInfo", "LineInfo", "parse_ext"]

_T = TypeVar("_T")


class CoreReloKind(enum.IntEnum):
    """``enum bpf_core_relo_kind``: what a CO-RE relocation computes."""

    FIELD_BYTE_OFFSET = 0
    FIELD_BYTE_SIZE = 1
    FIELD_EXISTS = 2
    FIELD_SIGNED = 3
    FIELD_LSHIFT_U64 = 4
    FIELD_RSHIFT_U64 = 5
    TYPE_ID_LOCAL = 6
    TYPE_ID_TARGET = 7
    TYPE_EXISTS = 8
    TYPE_SIZE = 9
    ENUMVAL_EXISTS = 10
    ENUMVAL_VALUE = 11
    TYPE_MATCHES = 12


@dataclass(frozen=True, slots=True)
class FuncInfo:
    """A function starts at byte ``insn_off`` of its section; ``type_id`` is its FUNC."""

    insn_off: int
    type_id: int

    @property
    def insn(self) -> int:
        """The instruction index (``insn_off / 8``)."""
        return self.insn_off // 8


@dataclass(frozen=True, slots=True)
class LineInfo:
    """The instruction at byte ``insn_off`` comes from ``file_name:line:column``.

    ``line_text`` is the source line itself, as the compiler recorded it.
    """

    insn_off: int
    file_name: str
    line_text: str
    line: int
    column: int

    @property
    def insn(self) -> int:
        """The instruction index (``insn_off / 8``)."""
        return self.insn_off // 8


@dataclass(frozen=True, slots=True)
class CoreRelo:
    """A CO-RE relocation of the instruction at byte ``insn_off``.

    ``type_id`` is the local root type, ``access`` the access string (``"0:1:2"``, or an enumerator
    index for ENUMVAL kinds), ``kind`` what to compute.
    """

    insn_off: int
    type_id: int
    access: str
    kind: CoreReloKind | int

    @property
    def insn(self) -> int:
        """The instruction index (``insn_off / 8``)."""
        return self.insn_off // 8


@dataclass(frozen=True, slots=True)
class BtfExt:
    """``.BTF.ext`` of an object: section name → its records, in file order."""

    func_info: dict[str, tuple[FuncInfo, ...]]
    line_info: dict[str, tuple[LineInfo, ...]]
    core_relos: dict[str, tuple[CoreRelo, ...]]
    func_info_rec_size: int = 8
    line_info_rec_size: int = 16
    core_relo_rec_size: int = 16


def parse_ext(data: bytes, btf: Btf, *, label: str = "<btf.ext>") -> BtfExt:
    """Parse a ``.BTF.ext`` section whose strings are in ``btf``.

    Raises :class:`~bpfvm.errors.BtfError` naming the block and record of the first defect.
    """
    if len(data) < 8 or int.from_bytes(data[:2], "little") != BTF_MAGIC:
        raise BtfError(f"{label}: bad magic or truncated header")
    if data[2] != 1:
        raise BtfError(f"{label}: unsupported version {data[2]}")
    hdr_len = int.from_bytes(data[4:8], "little")
    if hdr_len < 24 or hdr_len > len(data):
        raise BtfError(f"{label}: bad hdr_len {hdr_len}")
    words = struct.unpack_from("<6I" if hdr_len >= 32 else "<4I", data, 8)
    pairs = [(words[i], words[i + 1]) for i in range(0, len(words), 2)]

    def block(index: int, what: str, min_size: int, build: Callable[[tuple[int, ...]], _T],
              fmt: str) -> tuple[dict[str, tuple[_T, ...]], int]:
        if index >= len(pairs) or pairs[index][1] == 0:
            return {}, min_size
        off, length = pairs[index]
        return _read_block(data, hdr_len + off, length, btf, f"{label}: {what}", min_size, build, fmt)

    def line(r: tuple[int, ...]) -> LineInfo:
        return LineInfo(r[0], btf.string(r[1]), btf.string(r[2]), r[3] >> 10, r[3] & 0x3FF)

    def relo(r: tuple[int, ...]) -> CoreRelo:
        kind: CoreReloKind | int = CoreReloKind(r[3]) if r[3] in CoreReloKind._value2member_map_ else r[3]
        return CoreRelo(r[0], r[1], btf.string(r[2]), kind)

    funcs, fsize = block(0, "func_info", 8, lambda r: FuncInfo(r[0], r[1]), "<2I")
    lines, lsize = block(1, "line_info", 16, line, "<4I")
    relos, rsize = block(2, "core_relo", 16, relo, "<4I")
    return BtfExt(funcs, lines, relos, fsize, lsize, rsize)


def _read_block(data: bytes, start: int, length: int, btf: Btf, label: str, min_size: int,
                build: Callable[[tuple[int, ...]], _T], fmt: str) -> tuple[dict[str, tuple[_T, ...]], int]:
    end = start + length
    if end > len(data) or length < 4:
        raise BtfError(f"{label}: block [{start:#x}, {end:#x}) extends past the section ({len(data)} bytes)")
    rec_size = int.from_bytes(data[start:start + 4], "little")
    if rec_size < min_size or rec_size % 4:
        raise BtfError(f"{label}: record size {rec_size} (need a multiple of 4, at least {min_size})")
    out: dict[str, tuple[_T, ...]] = {}
    pos = start + 4
    while pos < end:
        if pos + 8 > end:
            raise BtfError(f"{label}: truncated section header at {pos:#x}")
        name_off, count = struct.unpack_from("<2I", data, pos)
        pos += 8
        if count == 0 or pos + count * rec_size > end:
            raise BtfError(f"{label}: section {btf.string(name_off)!r} has {count} records of {rec_size} "
                           f"bytes, past the block end")
        try:
            records = tuple(build(struct.unpack_from(fmt, data, pos + i * rec_size)) for i in range(count))
        except BtfError as exc:
            raise BtfError(f"{label}: section {btf.string(name_off)!r}: {exc.reason}") from exc
        out[btf.string(name_off)] = out.get(btf.string(name_off), ()) + records
        pos += count * rec_size
    return out, rec_size
