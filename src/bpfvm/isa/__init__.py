"""The eBPF instruction set: opcode table, decoded instructions, width arithmetic."""

from .insn import Insn, check_jumps, decode, encode, make, spec_of
from .opcodes import SPECS, SPECS_BY_NAME, SPECS_BY_OPCODE, OpClass, OpSpec

__all__ = [
    "SPECS",
    "SPECS_BY_NAME",
    "SPECS_BY_OPCODE",
    "Insn",
    "OpClass",
    "OpSpec",
    "check_jumps",
    "decode",
    "encode",
    "make",
    "spec_of",
]
