"""ELF objects: the read-only reader, and the loader that turns an object into a Program."""

from .lines import DebugInfoWarning
from .loader import CODE, COMMON_SEGMENT, load
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
    "CODE",
    "COMMON_SEGMENT",
    "EM_BPF",
    "RELOC_TYPE_NAMES",
    "SHF_ALLOC",
    "SHF_EXECINSTR",
    "SHF_WRITE",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_UNDEF",
    "DebugInfoWarning",
    "ObjectFile",
    "Relocation",
    "Section",
    "Symbol",
    "load",
    "read_object",
]
