"""Assembler and disassembler for the LLVM (llvm-objdump) and uBPF/bpf_conformance syntaxes."""

from .assembler import assemble
from .disasm import disassemble, disassemble_object, format_insn, raw_listing

__all__ = ["assemble", "disassemble", "disassemble_object", "format_insn", "raw_listing"]
