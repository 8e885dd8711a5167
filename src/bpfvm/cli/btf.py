"""``bpfvm btf dump FILE``: the BTF of an object or raw BTF file, as ``bpftool btf dump file`` prints
it; ``bpfvm skel FILE.o``: a typed Python skeleton module of the object's globals."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import command

_SYSFS = Path("/sys/kernel/btf")


def _btf_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="btf_command", required=True, metavar="SUBCOMMAND")
    dump = sub.add_parser("dump", help="print the types of FILE (bpftool's raw or C format)",
                          description="print the types of FILE (bpftool's raw or C format)")
    dump.add_argument("file", type=Path, help="BPF object, or raw BTF (/sys/kernel/btf/vmlinux)")
    dump.add_argument("--format", choices=("raw", "c"), default="raw", help="output format (default raw)")
    dump.add_argument("-B", "--base-btf", type=Path,
                      help="base BTF of a split BTF file (default for /sys/kernel/btf/MODULE: vmlinux)")


def _skel_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("object", type=Path, help="BPF object with BTF")
    parser.add_argument("-o", "--output", type=Path, help="Python module to write (default: stdout)")


@command("skel", "write a typed Python skeleton module for an object's globals (bpftool gen skeleton)",
         _skel_arguments)
def _cmd_skel(args: argparse.Namespace) -> int:
    from ..btf.skelgen import generate

    source = generate(args.object)
    if args.output is None:
        sys.stdout.write(source)
    else:
        args.output.write_text(source)
    return 0


@command("btf", "inspect BTF type information", _btf_arguments)
def _cmd_btf(args: argparse.Namespace) -> int:
    from ..btf import Btf
    from ..btf.dump import iter_raw

    base_path = args.base_btf
    if base_path is None and args.file.parent == _SYSFS and args.file.name != "vmlinux":
        base_path = _SYSFS / "vmlinux"
    base = Btf.from_file(base_path) if base_path is not None else None
    btf = Btf.from_file(args.file, base)
    if args.format == "c":
        from ..btf.cdump import dump_c
        sys.stdout.write(dump_c(btf))
    else:
        sys.stdout.writelines(iter_raw(btf))
    return 0
