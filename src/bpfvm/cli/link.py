"""``bpfvm link``: link BPF ELF objects into one object (as ``bpftool gen object`` does)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .base import command


def _link_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("objects", type=Path, nargs="+", help="BPF ELF objects")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the linked object to write")


@command("link", "link BPF objects into one ELF object (code, data, symbols, relocations, BTF)",
         _link_arguments)
def _cmd_link(args: argparse.Namespace) -> int:
    from ..elf.objlink import link_objects

    args.output.write_bytes(link_objects([str(p) for p in args.objects]))
    return 0
