"""``bpfvm debug PROG.o [MORE.o…] [-- ARGS…]``: the step debugger's command (Textual TUI, or
``--batch CMDS``); several objects are linked as ``bpfvm run`` links them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BpfError
from .base import command

if TYPE_CHECKING:
    from ..debug.debugger import Debugger

__all__: list[str] = []


def _debug_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="BPF ELF object, best compiled with -g")
    parser.add_argument("args", nargs="*",
                        help="more ELF objects to link with FILE, then argv for main, else integers for "
                             "r1..r5; with --, the words before it are objects and those after it arguments")
    parser.add_argument("--entry", help="function or section to run instead of main(argc, argv)")
    parser.add_argument("--batch", metavar="CMDS", type=Path,
                        help="run the gdb-like commands in file CMDS ('-': stdin), print their output, exit")
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[:GUEST]",
                        help="let the program open files under HOST, seen as GUEST (default: same path)")
    parser.add_argument("--stack-size", type=int,
                        help="stack bytes per call frame (default: what the object was compiled for, or 512)")
    parser.add_argument("--call-depth", type=int, default=128, help="call frames (default 128)")
    parser.add_argument("--max-instructions", type=int,
                        help="instruction budget per run (trap when exceeded)")


@command("debug", "source-level step debugger: TUI, or gdb-like --batch commands", _debug_arguments,
         rest=True)
def _cmd_debug(args: argparse.Namespace) -> int:
    from ..debug.debugger import Debugger
    from ..elf import load
    from ..linker import link_programs
    from ..vm import VM
    from .base import fs_grants
    from .run import split_objects

    data = args.file.read_bytes()
    objects, args.args = split_objects(args, True)
    program = load(data, name=str(args.file))
    elf: bytes | list[bytes] = data
    if objects:
        program = link_programs([program, *(load(p, name=str(p)) for p in objects)], name=args.file.stem)
        elf = [data, *(p.read_bytes() for p in objects)]
    vm = VM("interpreter", stack_size=args.stack_size, max_call_depth=args.call_depth,
            max_instructions=args.max_instructions, fs=fs_grants(args.dir))
    if args.entry and args.entry != "main":
        dbg = Debugger(vm, program, entry=args.entry, args=[int(a, 0) for a in args.args], elf=elf)
    else:
        dbg = Debugger(vm, program, entry=args.entry, argv=[str(args.file), *args.args], elf=elf)
    try:
        if args.batch is not None:
            return _batch(dbg, args.batch)
        from ..debug.tui import DebuggerApp

        DebuggerApp(dbg).run()
        return 0
    finally:
        dbg.close()
        vm.stdout.flush()


def _batch(dbg: Debugger, path: Path) -> int:
    from ..debug.commands import CommandLine

    text = sys.stdin.read() if str(path) == "-" else path.read_text()

    def out(line: str) -> None:
        dbg.vm.stdout.flush()
        print(line, flush=True)

    commands = CommandLine(dbg, out)
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                if not commands.execute(line):
                    break
            except (ValueError, BpfError) as exc:
                out(str(exc))
    return 0
