"""Finding the ``.BTF`` and ``.BTF.ext`` sections of an ELF object.

BPF objects go through bpfvm's ELF reader (:func:`bpfvm.elf.reader.read_object`); other ELF
files that carry BTF (a ``vmlinux`` built with ``CONFIG_DEBUG_INFO_BTF``) are read with
pyelftools directly, as bpftool reads any ELF file.
"""

from __future__ import annotations

import io
import os

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.elffile import ELFFile

from ..elf.reader import EM_BPF, read_object
from ..errors import BtfError, ElfError

__all__ = ["btf_sections"]


def btf_sections(source: str | os.PathLike[str] | bytes) -> tuple[str, bytes, bytes | None]:
    """``(label, .BTF bytes, .BTF.ext bytes or None)`` of an ELF object (path or bytes).

    Raises :class:`ElfError` for an unreadable or malformed object and :class:`BtfError` when it
    has no ``.BTF`` section.
    """
    label = "<bytes>" if isinstance(source, bytes) else os.fspath(source)
    data = source if isinstance(source, bytes) else _read(label)
    if len(data) > 19 and int.from_bytes(data[18:20], "little") != EM_BPF and data[:4] == b"\x7fELF":
        sections = _foreign_sections(data, label)
    else:
        obj = read_object(data, name=label)
        sections = {s.name: s.data for s in obj.sections if s.name in (".BTF", ".BTF.ext")}
    if ".BTF" not in sections:
        raise BtfError(f"{label}: no .BTF section")
    return label, sections[".BTF"], sections.get(".BTF.ext")


def _read(label: str) -> bytes:
    try:
        with open(label, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ElfError(f"{label}: cannot read: {exc.strerror or exc}") from exc


def _foreign_sections(data: bytes, label: str) -> dict[str, bytes]:
    try:
        elf = ELFFile(io.BytesIO(data))
        return {s.name: bytes(s.data()) for s in elf.iter_sections() if s.name in (".BTF", ".BTF.ext")}
    except (_PyElfError, ValueError, KeyError, IndexError) as exc:
        raise ElfError(f"{label}: malformed ELF object: {exc}") from exc
