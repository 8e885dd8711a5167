"""ELF objects: the read-only reader the loader and the disassembler build on."""

from .reader import (
    EM_BPF,
    RELOC_TYPE_NAMES,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_WRITE,
    SHN_ABS,
    SHN_COMMON,
    SHN_UNDEF,
    ObjectFile,
    Relocation,
    Section,
    Symbol,
    read_object,
)

__all__ = [
    "EM_BPF",
    "RELOC_TYPE_NAMES",
    "SHF_ALLOC",
    "SHF_EXECINSTR",
    "SHF_WRITE",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_UNDEF",
    "ObjectFile",
    "Relocation",
    "Section",
    "Symbol",
    "read_object",
]
