"""``bpfvm writesizes [--strace LOG] [-- COMMAND…]``: seed 001's write-size histogram.

Runs COMMAND under strace (default: cat of some files in /etc), or reads a saved
``strace -f -e trace=write`` log, fires the tracepoint program ``write_sizes.c`` once per
write, and prints the histogram as bcc's ``print_log2_hist`` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .base import command

__all__ = ["DEFAULT_COMMAND"]

#: What ``bpfvm writesizes`` traces without a command: cat writes each file in one write of
#: its size, so the sizes spread over many buckets.
DEFAULT_COMMAND = ["sh", "-c", "cat /etc/*.conf /etc/passwd /etc/os-release"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strace", type=Path, metavar="LOG", help="a saved strace log instead of a command")
    parser.add_argument("--engine", default="interpreter", help="execution engine (interpreter, jit)")


@command("writesizes", "histogram of write(2) sizes by a tracepoint program (seed 001's example)",
         _arguments, rest=True)
def _cmd_writesizes(args: argparse.Namespace) -> int:
    from ..examples.tracing import histogram, parse_strace, strace_writes

    if args.strace is not None:
        writes = list(parse_strace(args.strace.read_text(errors="replace").splitlines()))
    else:
        writes = strace_writes(args.rest or DEFAULT_COMMAND)
    print(f"Tracing {len(writes)} writes")
    histogram((count for _, _, count in writes), engine=args.engine)
    return 0
