"""``bpfvm asm`` and ``bpfvm disasm``: the assembler and the llvm-objdump-style disassembler."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import command


def _asm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="assembly source (LLVM or uBPF syntax)")
    parser.add_argument("-o", "--output", type=Path, help="output file (default: INPUT with suffix .bin)")


@command("asm", "assemble text into raw bytecode", _asm_arguments)
def _cmd_asm(args: argparse.Namespace) -> int:
    from ..asm import assemble

    code = assemble(args.input.read_text(), source=str(args.input))
    output: Path = args.output or args.input.with_suffix(".bin")
    output.write_bytes(code)
    return 0


def _disasm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="ELF object (or, with --raw, raw bytecode)")
    parser.add_argument("-r", "--reloc", action="store_true", help="interleave relocations (objdump -r)")
    parser.add_argument("-S", "--source", action="store_true",
                        help="interleave source lines from BTF line info (objdump -S)")
    parser.add_argument("--raw", action="store_true", help="FILE is a raw instruction stream, not ELF")
    parser.add_argument("--mcpu", choices=("v1", "v2", "v3", "v4"), default="v1",
                        help="v3/v4 print 32-bit loads/stores/atomics with w registers, like "
                             "llvm-objdump --mcpu=v3 (default: v1, like plain llvm-objdump -d)")
    parser.add_argument("--lossless", action="store_true",
                        help="print bpfvm's lossless forms where llvm-objdump loses information")


@command("disasm", "disassemble like llvm-objdump-19 -d", _disasm_arguments)
def _cmd_disasm(args: argparse.Namespace) -> int:
    from ..asm import disassemble_object, raw_listing

    alu32 = args.mcpu in ("v3", "v4")
    if args.raw:
        text = raw_listing(args.file.read_bytes(), alu32=alu32, exact=not args.lossless)
    else:
        text = disassemble_object(str(args.file), relocs=args.reloc, alu32=alu32, exact=not args.lossless,
                                  source=args.source)
    sys.stdout.write(text)
    return 0
