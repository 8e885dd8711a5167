"""``bpfvm cc``: compile C to a BPF ELF object."""

from __future__ import annotations

import argparse
from pathlib import Path

from .base import command


def _cc_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="C source file")
    parser.add_argument("-o", "--output", type=Path, help="object file (default: SOURCE with suffix .o)")
    parser.add_argument("--kernel", action="store_true",
                        help="kernel-style program: no bpfvm libc headers, -mcpu=v3")
    parser.add_argument("flags", nargs=argparse.REMAINDER,
                        help="more clang flags, after SOURCE (e.g. -DN=3 -Wall)")


@command("cc", "compile C to a BPF ELF object with bpfvm's libc headers (clang from ziglang)",
         _cc_arguments)
def _cmd_cc(args: argparse.Namespace) -> int:
    from ..cc import compile_c

    flags, output = list(args.flags), args.output
    if "-o" in flags[:-1]:  # "-o OUT" given after SOURCE lands among the clang flags
        at = flags.index("-o")
        output = Path(flags[at + 1])
        del flags[at:at + 2]
    compile_c(args.source, output=output, flags=flags, kernel=args.kernel)
    return 0
